// Generates NAME.h and NAME.c of an exported model.
#include "export/c_model.hpp"

#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "export/mve_layout.hpp"
#include "export/pair_layout.hpp"
#include "export/ternary_layout.hpp"
#include "quant/bitpack.hpp"
#include "quant/fixed_point.hpp"

namespace mpgru::codegen {
namespace {

using engine::GruLayer;
using engine::IntegerModel;
using engine::Lut;
using engine::QuantizedAdd;
using engine::QuantizedLinear;
using engine::QuantizedMul;
using engine::QuantPoint;

const char* const kGateNames[3] = {"r", "z", "n"};

std::string layer_prefix(size_t k) {
  return "layer " + std::to_string(k) + " ";
}

std::string check_multiplier(const quant::Multiplier& m, const std::string& what) {
  if (m.m0 == 0) return {};
  if (m.m0 < (int32_t{1} << 30) || m.shift < -31 || m.shift > 30) {
    return what + ": multiplier (m0 " + std::to_string(m.m0) + ", shift " +
           std::to_string(m.shift) + ") is not m0 in [2^30, 2^31), shift in [-31, 30]";
  }
  return {};
}

// Bit offsets into a packed stream are uint32 in the runtime.
std::string check_stream_bits(int64_t values, int bits, const std::string& what) {
  if (values * bits >= (int64_t{1} << 32)) {
    return what + ": " + std::to_string(values) + " values of " + std::to_string(bits) +
           " bits exceed the runtime's 32-bit bit offsets";
  }
  return {};
}

std::string check_linear(const QuantizedLinear& l, const std::string& what) {
  if (auto e = check_stream_bits(int64_t{l.rows} * l.cols, l.weight_bits, what); !e.empty()) {
    return e;
  }
  for (const quant::Multiplier& m : l.multipliers) {
    if (auto e = check_multiplier(m, what); !e.empty()) return e;
  }
  return {};
}

// The add's multipliers fit the runtime's types (check_model bounds the operand multipliers by
// 0.5, so the int32 sum cannot overflow).
std::string check_add(const QuantizedAdd& a, const std::string& what) {
  for (const quant::Multiplier* m : {&a.params.a, &a.params.b, &a.params.out}) {
    if (auto e = check_multiplier(*m, what); !e.empty()) return e;
  }
  return {};
}

std::string check_layer(const GruLayer& l, size_t k, int32_t hidden) {
  const std::string p = layer_prefix(k);
  if (l.hidden != hidden) {
    return p + "has " + std::to_string(l.hidden) + " units, layer 0 " + std::to_string(hidden) +
           ": the export needs every layer the same width";
  }
  if (!l.h_add.output.is_signed) return p + "h: the hidden state must be signed (stored int8)";
  for (int g = 0; g < 3; ++g) {
    const std::string gate = kGateNames[g];
    if (auto e = check_linear(l.lin_i[g], p + "lin_i." + gate); !e.empty()) return e;
    if (auto e = check_linear(l.lin_h[g], p + "lin_h." + gate); !e.empty()) return e;
    if (auto e = check_add(l.sum[g], p + "sum." + gate); !e.empty()) return e;
  }
  if (auto e = check_add(l.h_add, p + "h"); !e.empty()) return e;
  for (const QuantizedMul* m : {&l.mul_rn, &l.mul_un, &l.mul_zh}) {
    if (auto e = check_multiplier(m->multiplier, p + "mul"); !e.empty()) return e;
  }
  return {};
}

// ---- C text ----

std::string hex_byte(uint8_t b) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

// `static const TYPE NAME[N] = {...};`, `per_line` values per line.
template <typename T, typename Format>
std::string c_array(const std::string& type, const std::string& name, const std::vector<T>& v,
                    Format format, size_t per_line) {
  std::ostringstream out;
  out << "static const " << type << ' ' << name << '[' << (v.empty() ? 1 : v.size()) << "] = {";
  for (size_t i = 0; i < v.size(); ++i) {
    out << (i % per_line == 0 ? "\n    " : " ") << format(v[i]) << (i + 1 < v.size() ? "," : "");
  }
  if (v.empty()) out << "0";
  out << "};\n";
  return out.str();
}

std::string hex_word(uint32_t w) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "0x%08xu", static_cast<unsigned>(w));
  return buffer;
}

std::string packed_array(const std::string& name, const std::vector<uint8_t>& bytes) {
  return c_array("uint8_t", name, bytes, hex_byte, 16);
}

template <typename T>
std::string int_array(const std::string& type, const std::string& name, const std::vector<T>& v) {
  return c_array(
      type, name, v, [](T x) { return std::to_string(x); }, 12);
}

// INT32_MIN cannot be written as a decimal literal of type int32_t.
std::string int32_literal(int64_t v) {
  if (v == std::numeric_limits<int32_t>::min()) return "INT32_MIN";
  return std::to_string(v);
}

std::string multiplier_init(const quant::Multiplier& m) {
  return "{" + int32_literal(m.m0) + ", " + std::to_string(m.shift) + "}";
}

std::string range_init(const QuantPoint& p) {
  return std::to_string(p.qmin()) + ", " + std::to_string(p.qmax());
}

// Whether every row's multiplier is below 0.25 (shift <= -2, or the zero multiplier): the
// runtime then requantizes without testing the shift.
bool small_multipliers(const QuantizedLinear& l) {
  for (const quant::Multiplier& m : l.multipliers) {
    if (m.m0 != 0 && m.shift > -2) return false;
  }
  return true;
}

// Whether every input of the linear fits int8 (Helium then multiplies bytes by bytes).
bool narrow_input(const QuantizedLinear& l) {
  return l.input.qmin() >= -128 && l.input.qmax() <= 127;
}

// A value of the Helium layout or of the scalar one, as the preprocessor chooses.
std::string layout_choice(int32_t mve, int32_t scalar) {
  return "MPGRU_LAYOUT(" + std::to_string(mve) + ", " + std::to_string(scalar) + ")";
}

// Emits a linear's arrays into `data`; returns its mpgru_linear initializer.
std::string emit_linear(const QuantizedLinear& l, const std::string& sym, std::string& data) {
  std::vector<int32_t> m0;
  std::vector<int32_t> shift;
  for (const quant::Multiplier& m : l.multipliers) {
    m0.push_back(m.m0);
    shift.push_back(m.shift);
  }
  const int bits = l.weight_bits;
  const bool ternary = bits == 2;  // ternary words (ternary_layout.hpp), else pair words
  const bool narrow = narrow_input(l);
  // Both layouts; the preprocessor compiles Helium's or the scalar one (mpgru_rt.h, MPGRU_MVE).
  data += "#if MPGRU_MVE\n" +
          c_array("uint32_t", sym + "_w", mve_pack(l.weights, l.rows, l.cols, bits, narrow),
                  hex_word, 8) +
          "#else\n" +
          c_array("uint32_t", sym + "_w",
                  ternary ? ternary_pack(l.weights, l.rows, l.cols)
                          : pair_pack(l.weights, l.rows, l.cols, bits),
                  hex_word, 8) +
          "#endif\n";
  data += c_array("int32_t", sym + "_b", l.bias, int32_literal, 8);
  data += c_array("int32_t", sym + "_m0", m0, int32_literal, 8);
  data += int_array("int8_t", sym + "_shift", shift);
  const int32_t max_input = std::max(-l.input.qmin(), l.input.qmax());
  return "{mpgru_rows_" + std::to_string(bits) + ", " + sym + "_w, " + sym + "_b, " + sym +
         "_m0, " + sym + "_shift, " + std::to_string(l.rows) + ", " +
         layout_choice(mve_words_per_row(l.cols, bits), ternary
                                                            ? ternary_words_per_pair(l.cols)
                                                            : pair_words_per_row(l.cols, bits)) +
         ", " +
         layout_choice(
             mve_segment_vectors(bits, narrow, max_input),
             ternary ? ternary_segment_words(max_input) : pair_segment_words(bits, max_input)) +
         ", " + std::to_string(bits) + ", " + (small_multipliers(l) ? "1, " : "0, ") +
         (narrow ? "1, " : "0, ") + range_init(l.output) + "}";
}

std::string emit_lut(const Lut& l, const std::string& sym, std::string& data) {
  std::vector<int32_t> entries(l.table.begin(), l.table.end());
  const bool is_signed = l.output.is_signed;
  data += int_array(is_signed ? "int8_t" : "uint8_t", sym, entries);
  return std::string("{") + (is_signed ? sym : "NULL") + ", " + (is_signed ? "NULL" : sym) + ", " +
         std::to_string(l.input.qmin()) + "}";
}

std::string add_init(const QuantizedAdd& a) {
  return "{" + multiplier_init(a.params.a) + ", " + multiplier_init(a.params.b) + ", " +
         multiplier_init(a.params.out) + ", " + range_init(a.output) + "}";
}

std::string mul_init(const QuantizedMul& m) {
  return "{" + multiplier_init(m.multiplier) + ", " + range_init(m.output) + "}";
}

std::string emit_layer(const GruLayer& l, const std::string& sym, std::string& data) {
  std::string lin_i, lin_h, sums, acts;
  for (int g = 0; g < 3; ++g) {
    const std::string gate = kGateNames[g];
    const std::string sep = g < 2 ? ",\n      " : "";
    lin_i += emit_linear(l.lin_i[g], sym + "_lin_i_" + gate, data) + sep;
    lin_h += emit_linear(l.lin_h[g], sym + "_lin_h_" + gate, data) + sep;
    acts += emit_lut(l.act[g], sym + "_act_" + gate, data) + sep;
    sums += add_init(l.sum[g]) + sep;
  }
  return "  {" + std::to_string(l.input_size) + ", " + std::to_string(l.hidden) + ",\n     {" +
         lin_i + "},\n     {" + lin_h + "},\n     {" + sums + "},\n     {" + acts + "},\n     " +
         mul_init(l.mul_rn) + ", " + mul_init(l.mul_un) + ", " + mul_init(l.mul_zh) + ",\n     " +
         add_init(l.h_add) + ", " + std::to_string(l.act[engine::kGateZ].output.qmax()) + "}";
}

std::string hex_double(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%a", v);
  return buffer;
}

std::string decimal(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

std::string point_text(const QuantPoint& p) {
  return std::to_string(p.bits) + " bits " + (p.is_signed ? "signed" : "unsigned") + " [" +
         std::to_string(p.qmin()) + ", " + std::to_string(p.qmax()) + "], scale " +
         decimal(p.scale);
}

// Text from outside (a data file's description) made safe inside a C block comment: printable
// ASCII only, "*/" broken up.
std::string comment_text(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool printable = c >= 0x20 && c < 0x7f;
    out += printable ? c : ' ';
    if (out.size() >= 2 && out.compare(out.size() - 2, 2, "*/") == 0)
      out.insert(out.size() - 1, " ");
  }
  return out;
}

std::string banner(const IntegerModel& m, const ModelDescription& d, const std::string& file) {
  std::ostringstream out;
  out << "/* " << file << ": an integer GRU classifier exported by " << d.generator
      << " (C generator version " << kGeneratorVersion << "). Generated; do not edit.\n"
      << " *\n"
      << " * Model:  " << (d.source.empty() ? "(unnamed)" : comment_text(d.source)) << "\n"
      << " * Task:   "
      << (d.task.empty() ? "not given (mpgru export --task)" : comment_text(d.task)) << "\n"
      << " * Genome: " << m.genome.to_compact() << "\n"
      << " *         " << m.genome.to_pairs() << "\n"
      << " * Shape:  " << m.layers.size() << " GRU layer(s) of " << m.hidden() << " units, "
      << m.classes << " classes, " << m.features << " features per step";
  if (m.embedding.vocabulary > 0) {
    out << " from a " << m.embedding.vocabulary << "-token embedding ("
        << m.embedding.table_point.bits << "-bit table)";
  }
  out << "\n * GRU:    PyTorch's variant: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), the "
         "reset\n"
      << " *         gate applied after the recurrent product; h' = (1 - z) * n + z * h.\n"
      << " * Input:  " << point_text(m.input) << ":\n"
      << " *         q = clamp(round(x / scale)), ties away from zero (mpgru_quantize in\n"
      << " *         mpgru_input.c does it for hosts with floating point).\n";
  if (!d.input_note.empty()) out << " *         x: " << comment_text(d.input_note) << "\n";
  out << " */\n";
  return out.str();
}

std::string header_text(const IntegerModel& m, const ModelDescription& d) {
  const std::string& n = d.name;
  std::string N;
  for (char c : n) N += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const bool tokens = m.embedding.vocabulary > 0;
  const bool input_signed = m.input.is_signed;
  std::ostringstream h;
  h << banner(m, d, n + ".h") << "#ifndef " << N << "_H\n#define " << N << "_H\n\n"
    << "#include <stdint.h>\n\n#include \"mpgru_rt.h\"\n\n"
    << "#if MPGRU_RT_VERSION != 3\n"
    << "#error \"this model needs the mpgru_rt.h exported with it (runtime version 3)\"\n"
    << "#endif\n\n#ifdef __cplusplus\nextern \"C\" {\n"
    << "#endif\n\n"
    << "#define " << N << "_LAYERS " << m.layers.size() << "\n"
    << "#define " << N << "_HIDDEN " << m.hidden() << "\n"
    << "#define " << N << "_CLASSES " << m.classes << "\n"
    << "#define " << N << "_FEATURES " << m.features << " /* GRU inputs per step */\n";
  if (tokens) h << "#define " << N << "_VOCABULARY " << m.embedding.vocabulary << "\n";
  h << "/* The input's quantization: real value = " << N << "_INPUT_SCALE * q. */\n"
    << "#define " << N << "_INPUT_BITS " << m.input.bits << "\n"
    << "#define " << N << "_INPUT_MIN " << m.input.qmin() << "\n"
    << "#define " << N << "_INPUT_MAX " << m.input.qmax() << "\n"
    << "#define " << N << "_INPUT_SCALE " << hex_double(m.input.scale) << " /* "
    << decimal(m.input.scale) << " */\n\n"
    << "typedef " << (input_signed ? "int8_t" : "uint8_t") << ' ' << n << "_input_t;\n\n"
    << "/* The hidden state of every layer: all a model keeps between steps. */\n"
    << "typedef struct {\n  int8_t h[" << N << "_LAYERS][" << N << "_HIDDEN];\n} " << n
    << "_state;\n\n"
    << "/* Zeroes the hidden state: call before the first step of a sequence. */\n"
    << "void " << n << "_reset(" << n << "_state* state);\n\n";
  if (tokens) {
    h << "/* One time step: token in [0, " << N << "_VOCABULARY). Returns MPGRU_OK, or\n"
      << " * MPGRU_BAD_INPUT (state unchanged) / MPGRU_BAD_ARGUMENT. */\n"
      << "int " << n << "_step(" << n << "_state* state, int32_t token);\n\n";
  } else {
    h << "/* One time step: " << N << "_FEATURES quantized values, each in [" << N << "_INPUT_MIN, "
      << N << "_INPUT_MAX].\n"
      << " * Returns MPGRU_OK, or MPGRU_BAD_INPUT (state unchanged) / MPGRU_BAD_ARGUMENT. */\n"
      << "int " << n << "_step(" << n << "_state* state, const " << n << "_input_t* x);\n\n";
  }
  h << "/* The classifier on the last layer's state: " << N << "_CLASSES integer logits. */\n"
    << "int " << n << "_logits(const " << n << "_state* state, int32_t* logits);\n\n";
  if (m.per_step) {
    h << "/* A per-step model (speech enhancement): after every step, the head's " << N
      << "_CLASSES gains,\n * each q in [0, " << N << "_GAIN_MAX] standing for the gain q / " << N
      << "_GAIN_MAX in [0, 1]. */\n"
      << "#define " << N << "_GAIN_MAX " << m.head.output.qmax() << "\n"
      << "int " << n << "_gains(const " << n << "_state* state, int32_t* gains);\n\n";
  }
  h << "/* reset, `steps` steps (" << (tokens ? "tokens" : N + "_FEATURES values each")
    << ", one after another), logits: the class\n"
    << " * (argmax, ties to the lowest index), or a negative MPGRU_ status. `logits` may be NULL. "
       "*/\n"
    << "int " << n << "_predict(" << n << "_state* state, const "
    << (tokens ? std::string("int32_t") : n + "_input_t") << "* sequence, int32_t steps,\n"
    << "    int32_t* logits);\n\n"
    << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << N << "_H */\n";
  return h.str();
}

// The bounds check of one step's features: only the comparisons the type does not make vacuous.
std::string input_check(const IntegerModel& m) {
  std::string cond;
  const int32_t type_min = m.input.is_signed ? -128 : 0;
  const int32_t type_max = m.input.is_signed ? 127 : 255;
  if (m.input.qmin() > type_min) cond += "x[f] < " + std::to_string(m.input.qmin());
  if (m.input.qmax() < type_max) {
    cond += (cond.empty() ? "" : " || ") + std::string("x[f] > ") + std::to_string(m.input.qmax());
  }
  return cond;
}

// The inputs a linear reads: its columns padded to a whole pair word (pair_layout.hpp; at 2 bits
// more than the ternary words' 8 columns read, harmless) or MVE vector (mve_layout.hpp), whichever
// is longer.
int32_t padded_cols(const QuantizedLinear& l) {
  return std::max(pair_words_per_row(l.cols, l.weight_bits) * word_weights(l.weight_bits),
                  mve_padded_cols(l.cols, l.weight_bits));
}

// The longest padded input of the layers' input (lin_i) and recurrent (lin_h) linears.
int32_t padded_inputs(const IntegerModel& m, bool recurrent) {
  int32_t most = recurrent ? m.hidden() : std::max(m.features, m.hidden());
  for (const GruLayer& l : m.layers) {
    for (int g = 0; g < 3; ++g)
      most = std::max(most, padded_cols(recurrent ? l.lin_h[g] : l.lin_i[g]));
  }
  return most;
}

// Each layer's element-wise work as its own function, on the layer's `static const` parameters
// (a constant index into NAME_layers), so that the compiler folds every multiplier, shift, range
// and table into the code.
std::string unit_functions(const IntegerModel& m, const std::string& n) {
  std::ostringstream s;
  const std::string H = std::to_string(m.hidden());
  for (size_t k = 0; k < m.layers.size(); ++k) {
    const std::string L = n + "_layers[" + std::to_string(k) + "]";
    s << "/* Layer " << k << "'s element-wise operators, unit by unit, in the engine's order. */\n"
      << "static void " << n << "_units_" << k
      << "(const int16_t* out, const int16_t* h_old, int8_t* h_new) {\n  int32_t c;\n"
      << "  for (c = 0; c < " << H << "; ++c) {\n"
      << "    const int16_t* a = out + c;\n"
      << "    const int16_t r = mpgru_lut_q(&" << L << ".act[0], mpgru_add_q(&" << L
      << ".sum[0], a[0], a[3 * " << H << "]));\n"
      << "    const int16_t z = mpgru_lut_q(&" << L << ".act[1], mpgru_add_q(&" << L
      << ".sum[1], a[" << H << "], a[4 * " << H << "]));\n"
      << "    const int16_t rn = mpgru_mul_q(&" << L << ".mul_rn, r, a[5 * " << H << "]);\n"
      << "    const int16_t n = mpgru_lut_q(&" << L << ".act[2], mpgru_add_q(&" << L
      << ".sum[2], a[2 * " << H << "], rn));\n"
      << "    const int16_t un = mpgru_mul_q(&" << L << ".mul_un, " << L << ".one_z - z, n);\n"
      << "    const int16_t zh = mpgru_mul_q(&" << L << ".mul_zh, z, h_old[c]);\n"
      << "    h_new[c] = (int8_t)mpgru_add_q(&" << L << ".h_add, un, zh);\n  }\n}\n\n";
  }
  s << "static void (*const " << n << "_units[" << m.layers.size()
    << "])(const int16_t*, const int16_t*, int8_t*) = {";
  for (size_t k = 0; k < m.layers.size(); ++k) s << (k ? ", " : "") << n << "_units_" << k;
  s << "};\n\n";
  return s.str();
}

std::string functions_text(const IntegerModel& m, const std::string& n) {
  const bool tokens = m.embedding.vocabulary > 0;
  std::string N;
  for (char c : n) N += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const int32_t in_max = padded_inputs(m, false);
  const int32_t old_max = padded_inputs(m, true);
  const int32_t head_max = std::max(m.hidden(), padded_cols(m.classifier));
  std::ostringstream s;
  s << unit_functions(m, n);
  s << "void " << n << "_reset(" << n << "_state* state) {\n"
    << "  int32_t k, c;\n  if (state == NULL) return;\n"
    << "  for (k = 0; k < " << N << "_LAYERS; ++k)\n"
    << "    for (c = 0; c < " << N << "_HIDDEN; ++c) state->h[k][c] = 0;\n}\n\n";
  if (tokens) {
    s << "int " << n << "_step(" << n << "_state* state, int32_t token) {\n"
      << "  int16_t in[" << in_max << "], old[" << old_max << "], out[6 * " << N << "_HIDDEN];\n"
      << "  int32_t acc[" << N << "_HIDDEN];\n  int32_t k, c, f;\n"
      << "  if (state == NULL) return MPGRU_BAD_ARGUMENT;\n"
      << "  if (token < 0 || token >= " << N << "_VOCABULARY) return MPGRU_BAD_INPUT;\n"
      << "  mpgru_embedding_row(&" << n << "_embedding, token, in);\n"
      << "  for (f = " << N << "_FEATURES; f < " << in_max << "; ++f) in[f] = 0;\n";
  } else {
    const std::string check = input_check(m);
    s << "int " << n << "_step(" << n << "_state* state, const " << n << "_input_t* x) {\n"
      << "  int16_t in[" << in_max << "], old[" << old_max << "], out[6 * " << N << "_HIDDEN];\n"
      << "  int32_t acc[" << N << "_HIDDEN];\n  int32_t k, c, f;\n"
      << "  if (state == NULL || x == NULL) return MPGRU_BAD_ARGUMENT;\n";
    if (!check.empty()) {
      s << "  for (f = 0; f < " << N << "_FEATURES; ++f)\n"
        << "    if (" << check << ") return MPGRU_BAD_INPUT;\n";
    }
    s << "  for (f = 0; f < " << N << "_FEATURES; ++f) in[f] = x[f];\n"
      << "  for (f = " << N << "_FEATURES; f < " << in_max << "; ++f) in[f] = 0;\n";
  }
  s << "  for (c = " << N << "_HIDDEN; c < " << old_max << "; ++c) old[c] = 0;\n";
  s << "  for (k = 0; k < " << N << "_LAYERS; ++k) {\n"
    << "    for (c = 0; c < " << N << "_HIDDEN; ++c) old[c] = state->h[k][c];\n"
    << "    mpgru_gru_linears(&" << n << "_layers[k], in, old, acc, out);\n"
    << "    " << n << "_units[k](out, old, state->h[k]);\n"
    << "    for (c = 0; c < " << N << "_HIDDEN; ++c) in[c] = state->h[k][c];\n";
  if (m.layers.size() > 1 && in_max > m.hidden()) {
    // The next layer's padding: zeros, not the features left there (kernels read it in range).
    s << "    for (c = " << N << "_HIDDEN; c < " << in_max << "; ++c) in[c] = 0;\n";
  }
  s << "  }\n  return MPGRU_OK;\n}\n\n"
    << "int " << n << "_logits(const " << n << "_state* state, int32_t* logits) {\n"
    << "  int16_t h[" << head_max << "], y[" << N << "_CLASSES];\n  int32_t acc[" << N
    << "_CLASSES];\n  int32_t c;\n"
    << "  if (state == NULL || logits == NULL) return MPGRU_BAD_ARGUMENT;\n"
    << "  for (c = 0; c < " << N << "_HIDDEN; ++c) h[c] = state->h[" << N << "_LAYERS - 1][c];\n"
    << "  for (c = " << N << "_HIDDEN; c < " << head_max << "; ++c) h[c] = 0;\n"
    << "  mpgru_linear_apply(&" << n << "_classifier, h, acc, y);\n"
    << "  for (c = 0; c < " << N << "_CLASSES; ++c) logits[c] = y[c];\n  return MPGRU_OK;\n}\n\n";
  if (m.per_step) {
    s << "int " << n << "_gains(const " << n << "_state* state, int32_t* gains) {\n"
      << "  int32_t c;\n  int status = " << n << "_logits(state, gains);\n"
      << "  if (status != MPGRU_OK) return status;\n"
      << "  for (c = 0; c < " << N << "_CLASSES; ++c) gains[c] = mpgru_lut_apply(&" << n
      << "_head, gains[c]);\n  return MPGRU_OK;\n}\n\n";
  }
  s << "int " << n << "_predict(" << n << "_state* state, const "
    << (tokens ? std::string("int32_t") : n + "_input_t") << "* sequence, int32_t steps,\n"
    << "    int32_t* logits) {\n"
    << "  int32_t own[" << N << "_CLASSES];\n  int32_t t, c, best = 0;\n  int status;\n"
    << "  if (state == NULL || sequence == NULL || steps < 0) return MPGRU_BAD_ARGUMENT;\n"
    << "  if (logits == NULL) logits = own;\n  " << n << "_reset(state);\n"
    << "  for (t = 0; t < steps; ++t) {\n"
    << "    status = " << n << "_step(state, "
    << (tokens ? "sequence[t]" : "sequence + (size_t)t * " + N + "_FEATURES") << ");\n"
    << "    if (status != MPGRU_OK) return status;\n  }\n"
    << "  " << n << "_logits(state, logits);\n"
    << "  for (c = 1; c < " << N << "_CLASSES; ++c)\n"
    << "    if (logits[c] > logits[best]) best = c;\n  return best;\n}\n";
  return s.str();
}

std::string source_text(const IntegerModel& m, const ModelDescription& d) {
  const std::string& n = d.name;
  std::string data;
  std::string layers;
  for (size_t k = 0; k < m.layers.size(); ++k) {
    layers += (k ? ",\n" : "") + emit_layer(m.layers[k], n + "_l" + std::to_string(k), data);
  }
  const std::string classifier = emit_linear(m.classifier, n + "_out", data);
  const std::string head = m.per_step ? emit_lut(m.head, n + "_gain", data) : std::string();
  std::string embedding;
  if (m.embedding.vocabulary > 0) {
    const engine::QuantizedEmbedding& e = m.embedding;
    data += packed_array(n + "_emb", quant::pack_signed(e.table, e.table_point.bits));
    embedding = "static const mpgru_embedding " + n + "_embedding = {" + n + "_emb, " +
                std::to_string(e.vocabulary) + ", " + std::to_string(e.dim) + ", " +
                std::to_string(e.table_point.bits) + ", " + multiplier_init(e.to_input) + ", " +
                range_init(m.input) + "};\n\n";
  }
  std::ostringstream s;
  s << banner(m, d, n + ".c") << "#include \"" << n << ".h\"\n\n#include <stddef.h>\n\n"
    << "/* Parameters: weights at their own bit widths in the layout of the core's kernels\n"
    << " * (mpgru_rt.h: pair words, ternary words at 2 bits, or Helium's lane vectors, chosen by\n"
    << " * MPGRU_MVE), the embedding packed LSB-first as in the .mpq file, int32 biases,\n"
    << " * requantization multipliers m0 * 2^(shift - 31), lookup tables. */\n"
    << data << "\n"
    << embedding << "static const mpgru_gru_layer " << n << "_layers[" << m.layers.size()
    << "] = {\n"
    << layers << "};\n\n"
    << "static const mpgru_linear " << n << "_classifier = " << classifier << ";\n\n"
    << (m.per_step ? "static const mpgru_lut " + n + "_head = " + head + ";\n\n" : "")
    << functions_text(m, n);
  return s.str();
}

}  // namespace

std::string check_c_name(const std::string& name) {
  static const char* const kKeywords[] = {
      "auto",     "break",  "case",   "char",     "const",     "continue", "default",  "do",
      "double",   "else",   "enum",   "extern",   "float",     "for",      "goto",     "if",
      "inline",   "int",    "long",   "register", "restrict",  "return",   "short",    "signed",
      "sizeof",   "static", "struct", "switch",   "typedef",   "union",    "unsigned", "void",
      "volatile", "while",  "_Bool",  "_Complex", "_Imaginary"};
  const std::string why = "model name '" + name + "' ";
  if (name.empty() || name.size() > 40) return why + "must have 1 to 40 characters";
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) return why + "must start with a letter";
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return why + "may hold only letters, digits and '_' (it prefixes C symbols)";
    }
  }
  for (const char* k : kKeywords) {
    if (name == k) return why + "is a C keyword";
  }
  if (name.rfind("mpgru_", 0) == 0 || name == "mpgru") {
    return why + "collides with the runtime's prefix mpgru_";
  }
  return {};
}

std::string export_problem(const IntegerModel& model) {
  if (auto e = engine::check_model(model); !e.empty()) return "invalid model: " + e;
  for (size_t k = 0; k < model.layers.size(); ++k) {
    if (auto e = check_layer(model.layers[k], k, model.layers[0].hidden); !e.empty()) return e;
  }
  if (auto e = check_linear(model.classifier, "classifier"); !e.empty()) return e;
  const engine::QuantizedEmbedding& emb = model.embedding;
  if (emb.vocabulary > 0) {
    if (auto e =
            check_stream_bits(int64_t{emb.vocabulary} * emb.dim, emb.table_point.bits, "embedding");
        !e.empty()) {
      return e;
    }
    if (auto e = check_multiplier(emb.to_input, "embedding"); !e.empty()) return e;
  }
  return {};
}

CModel generate_c_model(const IntegerModel& model, const ModelDescription& description) {
  if (auto e = check_c_name(description.name); !e.empty()) throw std::invalid_argument(e);
  if (auto e = export_problem(model); !e.empty()) {
    throw std::invalid_argument("cannot export the model: " + e);
  }
  return {header_text(model, description), source_text(model, description)};
}

}  // namespace mpgru::codegen
