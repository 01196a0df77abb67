// The integer GRU classifier: every parameter the engine needs, nothing float on its hot path.
// Scales are kept beside the integers for the float simulation and for reports only.
//
// GRU variant (PyTorch): r = sigma(a_ir + a_hr), z = sigma(a_iz + a_hz),
// n = tanh(a_in + r * a_hn) (reset gate applied after the recurrent product, a_hn includes
// b_hn), h' = (1 - z) * n + z * h. Classifier on the last step. docs/quantization.md derives
// every integer step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/genome.hpp"
#include "quant/fixed_point.hpp"

namespace mpgru::engine {

// A quantized tensor's integer range and real scale: real = scale * q.
struct QuantPoint {
  int bits = 8;
  bool is_signed = true;  // signed narrow [-(2^(b-1)-1), 2^(b-1)-1], else unsigned [0, 2^b-1]
  double scale = 1.0;
  int32_t qmin() const { return is_signed ? -quant::signed_max(bits) : 0; }
  int32_t qmax() const { return is_signed ? quant::signed_max(bits) : quant::unsigned_max(bits); }
};

// y[c] = clamp_out(apply(sum_j w[c][j] * x[j] + bias[c], multipliers[c])), per output channel c.
struct QuantizedLinear {
  int32_t rows = 0;  // outputs
  int32_t cols = 0;  // inputs
  int weight_bits = 8;
  std::vector<int8_t> weights;        // rows * cols, row-major, signed narrow range
  std::vector<double> weight_scales;  // rows (per output channel)
  std::vector<int32_t> bias;          // rows, at scale weight_scales[c] * input.scale
  std::vector<quant::Multiplier>
      multipliers;  // rows: weight_scales[c] * input.scale / output.scale
  QuantPoint input;
  QuantPoint output;
};

// A lookup table for sigma or tanh: out_q = table[in_q - input.qmin()].
struct Lut {
  QuantPoint input;
  QuantPoint output;
  std::vector<int16_t> table;  // input.qmax() - input.qmin() + 1 entries, each in output's range
};

// y = clamp_out(add_rescaled(a, b)): the TFLite integer add.
struct QuantizedAdd {
  QuantPoint a;
  QuantPoint b;
  QuantPoint output;
  quant::AddParams params;
};

// y = clamp_out(apply(a * b, multiplier)), multiplier = a.scale * b.scale / output.scale.
struct QuantizedMul {
  QuantPoint a;
  QuantPoint b;
  QuantPoint output;
  quant::Multiplier multiplier;
};

// The token embedding (the emb gene): a table of b-bit rows at one scale, requantized to the x
// gene's grid when looked up: q_x = clamp_x(apply(table[t][f], to_input)).
struct QuantizedEmbedding {
  int32_t vocabulary = 0;      // 0: no embedding, sequences hold real features
  int32_t dim = 0;             // = the model's features (the first layer's input size)
  QuantPoint table_point;      // bits = the emb gene, signed, one scale for the whole table
  std::vector<int8_t> table;   // vocabulary * dim, row-major, signed narrow range
  quant::Multiplier to_input;  // table_point.scale / input.scale
};

enum Gate { kGateR = 0, kGateZ = 1, kGateN = 2 };

struct GruLayer {
  int32_t input_size = 0;
  int32_t hidden = 0;
  QuantizedLinear lin_i[3];  // a_ig = W_ig x + b_ig
  QuantizedLinear lin_h[3];  // a_hg = W_hg h + b_hg
  QuantizedAdd sum[3];       // r, z: lin_i + lin_h; n: lin_i.n + mul.rn
  Lut act[3];                // sigma, sigma, tanh
  QuantizedMul mul_rn;       // act.r * lin_h.n
  QuantizedMul mul_un;       // (1 - z) * n, 1 - z exact: act.z.qmax() - q_z
  QuantizedMul mul_zh;       // z * h
  QuantizedAdd h_add;        // h' = mul.un + mul.zh, output at the fixed h scale
};

struct IntegerModel {
  core::Genome genome = core::Genome::homogeneous({}, 8);
  int32_t steps = 0;     // sequence length the model was calibrated for (informational)
  int32_t features = 0;  // GRU input size per step (the embedding's dim when there is one)
  int32_t classes = 0;
  QuantPoint input;  // the x gene: how float features (or embedding rows) are quantized
  QuantizedEmbedding embedding;
  std::vector<GruLayer> layers;
  QuantizedLinear classifier;
  // Sequence to sequence (genome layout per_step): the classifier runs on every step and its
  // output goes through `head`, a sigmoid table onto the gain gene's unsigned grid of fixed
  // scale 1/(2^b - 1); `classes` is then the head's number of outputs.
  bool per_step = false;
  Lut head;

  int32_t hidden() const { return layers.empty() ? 0 : layers.back().hidden; }
  // Values per step of the sequences the model reads: 1 token id with an embedding, else features.
  int32_t sequence_features() const { return embedding.vocabulary > 0 ? 1 : features; }
};

// Size accounting (DESIGN.md section 5).
struct ModelSize {
  int64_t weight_count = 0;
  int64_t weight_bits = 0;       // sum of weights * bits
  int64_t bias_count = 0;        // each int32
  int64_t size_bits = 0;         // weight_bits + 32 * bias_count: the search's size objective
  int64_t lut_bytes = 0;         // one byte per entry (entries have <= 8 bits)
  int64_t multiplier_bytes = 0;  // 5 per multiplier: int32 m0 + int8 shift
  int64_t footprint_bytes = 0;   // packed weights + 4 * biases + LUTs + multipliers
  // Bit operations per sequence (DESIGN.md section 6): sum over linear layers of MACs x weight
  // bits x input bits (GRU linears every step, the classifier once) + element-wise products
  // (mul.rn, mul.un, mul.zh per hidden unit and step) x both operands' bits. An embedding lookup
  // is a load, no bit operations.
  int64_t bops = 0;
  double size_bytes() const { return static_cast<double>(size_bits) / 8.0; }
};

ModelSize model_size(const IntegerModel& model);

// Checks every invariant the kernels rely on, so that a model that passes can run without reading
// outside a table or overflowing int32 (the model file loader, convert, the engine and the C
// exporter all call it): shapes, bit widths 2..8, weights/LUT entries in range, multipliers valid,
// genome consistent with the stored bit widths; the data flow: every operator's input point is
// its producer's output point (the GRU's wiring, model.cpp's layer_wiring), the fixed scales of
// act.* and h, add operand multipliers <= 0.5; and, with the input ranges that can therefore
// arrive, that no linear's int32 accumulator can overflow. Returns an empty string if valid, else
// the first problem found, naming the operator and the rule.
std::string check_model(const IntegerModel& model);

// The worst-case |accumulator| of a linear layer: max over c of sum_j |w[c][j]| * max|x| +
// |bias[c]|, in 64 bits. The model is refused if this exceeds INT32_MAX.
int64_t worst_case_accumulator(const QuantizedLinear& linear);

}  // namespace mpgru::engine
