// The .mpq model file (format in model_file.hpp): one writer and one reader function per op type.
#include "engine/model_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "core/text_file.hpp"
#include "quant/bitpack.hpp"

namespace mpgru::engine {
namespace {

static_assert(std::numeric_limits<double>::is_iec559, "the file stores f64 as IEEE-754 binary64");

constexpr uint8_t kMagic[8] = {0x89, 'M', 'P', 'Q', 0x0D, 0x0A, 0x1A, 0x0A};
constexpr size_t kMultiplierBytes = 5;  // i32 m0 + i8 shift
constexpr const char* kGateNames[3] = {"r", "z", "n"};

std::string hex32(uint32_t v) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<unsigned>(v));
  return text;
}

uint32_t payload_crc(const uint8_t* data, size_t size) {
  // Callers guarantee size <= UINT32_MAX (the header stores the length as u32).
  const uLong crc = crc32(0L, Z_NULL, 0);
  return static_cast<uint32_t>(crc32(crc, data, static_cast<uInt>(size)));
}

// ceil(n * bits / 8) without overflow for any n < 2^62.
uint64_t packed_bytes(uint64_t n, int bits) {
  const auto b = static_cast<uint64_t>(bits);
  return n / 8 * b + (n % 8 * b + 7) / 8;
}

// ---------------------------------------------------------------------------------------------
// Writing

class Writer {
 public:
  void u8(uint8_t v) { bytes_.push_back(v); }
  void i8(int v) { u8(static_cast<uint8_t>(static_cast<int8_t>(v))); }
  void u16(uint16_t v) { little_endian(v, 2); }
  void u32(uint32_t v) { little_endian(v, 4); }
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void f64(double v) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    little_endian(bits, 8);
  }
  void raw(const uint8_t* data, size_t n) { bytes_.insert(bytes_.end(), data, data + n); }
  void raw(const std::vector<uint8_t>& data) { raw(data.data(), data.size()); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  void little_endian(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> bytes_;
};

void write_point(Writer& w, const QuantPoint& p) {
  w.u8(static_cast<uint8_t>(p.bits));
  w.u8(p.is_signed ? 1 : 0);
  w.f64(p.scale);
}

void write_multiplier(Writer& w, const quant::Multiplier& m) {
  w.i32(m.m0);
  w.i8(m.shift);
}

void write_linear(Writer& w, const QuantizedLinear& l) {
  w.i32(l.rows);
  w.i32(l.cols);
  w.u8(static_cast<uint8_t>(l.weight_bits));
  write_point(w, l.input);
  write_point(w, l.output);
  w.raw(quant::pack_signed(l.weights, l.weight_bits));
  for (double s : l.weight_scales) w.f64(s);
  for (int32_t b : l.bias) w.i32(b);
  for (const quant::Multiplier& m : l.multipliers) write_multiplier(w, m);
}

void write_embedding(Writer& w, const QuantizedEmbedding& e) {
  w.i32(e.vocabulary);
  w.i32(e.dim);
  write_point(w, e.table_point);
  write_multiplier(w, e.to_input);
  w.raw(quant::pack_signed(e.table, e.table_point.bits));
}

void write_lut(Writer& w, const Lut& lut) {
  write_point(w, lut.input);
  write_point(w, lut.output);
  const int bits = lut.output.bits;
  if (lut.output.is_signed) {
    w.raw(quant::pack_signed(std::vector<int8_t>(lut.table.begin(), lut.table.end()), bits));
  } else {
    w.raw(quant::pack_unsigned(std::vector<uint8_t>(lut.table.begin(), lut.table.end()), bits));
  }
}

void write_add(Writer& w, const QuantizedAdd& a) {
  write_point(w, a.a);
  write_point(w, a.b);
  write_point(w, a.output);
  write_multiplier(w, a.params.a);
  write_multiplier(w, a.params.b);
  write_multiplier(w, a.params.out);
}

void write_mul(Writer& w, const QuantizedMul& m) {
  write_point(w, m.a);
  write_point(w, m.b);
  write_point(w, m.output);
  write_multiplier(w, m.multiplier);
}

void write_layer(Writer& w, const GruLayer& l) {
  w.i32(l.input_size);
  w.i32(l.hidden);
  for (const QuantizedLinear& lin : l.lin_i) write_linear(w, lin);
  for (const QuantizedLinear& lin : l.lin_h) write_linear(w, lin);
  for (const QuantizedAdd& sum : l.sum) write_add(w, sum);
  for (const Lut& act : l.act) write_lut(w, act);
  write_mul(w, l.mul_rn);
  write_mul(w, l.mul_un);
  write_mul(w, l.mul_zh);
  write_add(w, l.h_add);
}

void write_genome(Writer& w, const core::Genome& g) {
  const std::string digits = g.to_compact();
  w.u8(static_cast<uint8_t>(g.layout().layers));
  w.u8(static_cast<uint8_t>((g.layout().embedding ? 1 : 0) | (g.layout().per_step ? 2 : 0)));
  w.u16(static_cast<uint16_t>(digits.size()));
  w.raw(reinterpret_cast<const uint8_t*>(digits.data()), digits.size());
}

std::vector<uint8_t> serialize_payload(const IntegerModel& m) {
  Writer w;
  write_genome(w, m.genome);
  w.i32(m.steps);
  w.i32(m.features);
  w.i32(m.classes);
  write_point(w, m.input);
  if (m.genome.layout().embedding) write_embedding(w, m.embedding);
  for (const GruLayer& layer : m.layers) write_layer(w, layer);
  write_linear(w, m.classifier);
  if (m.per_step) write_lut(w, m.head);
  return std::move(w.bytes());
}

// ---------------------------------------------------------------------------------------------
// Reading

// Thrown inside the parser only; parse_model turns it into the returned message.
struct ParseError {
  std::string message;
  bool truncated = false;
};

// Bounds-checked little-endian reads of bytes[pos, end), naming the current section on failure.
class Reader {
 public:
  Reader(const std::vector<uint8_t>& bytes, size_t begin, size_t end,
         std::vector<ModelSection>* log)
      : bytes_(bytes), pos_(begin), end_(end), log_(log) {}

  void section(std::string name) {
    section_ = std::move(name);
    if (log_ != nullptr) log_->push_back({section_, pos_});
  }
  size_t remaining() const { return end_ - pos_; }
  size_t offset() const { return pos_; }

  // Throws a truncation error unless n more bytes are available.
  void need(uint64_t n) const {
    if (n <= remaining()) return;
    throw ParseError{"truncated in section '" + section_ + "' (need " + std::to_string(n) +
                         " bytes at offset " + std::to_string(pos_) + ", file has " +
                         std::to_string(end_) + ")",
                     true};
  }
  [[noreturn]] void fail(const std::string& problem, size_t at) const {
    throw ParseError{"section '" + section_ + "' at offset " + std::to_string(at) + ": " + problem};
  }

  const uint8_t* take(uint64_t n) {
    need(n);
    const uint8_t* p = bytes_.data() + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }
  std::vector<uint8_t> take_vector(uint64_t n) {
    const uint8_t* p = take(n);
    return std::vector<uint8_t>(p, p + n);
  }
  uint8_t u8() { return *take(1); }
  int i8() { return static_cast<int8_t>(u8()); }
  uint16_t u16() { return static_cast<uint16_t>(little_endian(2)); }
  uint32_t u32() { return static_cast<uint32_t>(little_endian(4)); }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  double f64() {
    const uint64_t bits = little_endian(8);
    double v = 0;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  bool flag(const char* what) {
    const size_t at = pos_;
    const uint8_t v = u8();
    if (v > 1) fail(std::string(what) + " flag " + std::to_string(v) + " is not 0 or 1", at);
    return v == 1;
  }
  int bits(const char* what) {
    const size_t at = pos_;
    const int v = u8();
    if (v < core::kMinBits || v > core::kMaxBits) {
      fail(std::string(what) + " " + std::to_string(v) + " outside 2..8", at);
    }
    return v;
  }

 private:
  uint64_t little_endian(int n) {
    const uint8_t* p = take(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
  }

  const std::vector<uint8_t>& bytes_;
  size_t pos_;
  size_t end_;
  std::vector<ModelSection>* log_;
  std::string section_ = "header";
};

QuantPoint read_point(Reader& r) {
  QuantPoint p;
  p.bits = r.bits("bits");
  p.is_signed = r.flag("signed");
  p.scale = r.f64();
  return p;
}

quant::Multiplier read_multiplier(Reader& r) {
  quant::Multiplier m;
  m.m0 = r.i32();
  m.shift = r.i8();
  return m;
}

int32_t read_positive(Reader& r, const char* what) {
  const size_t at = r.offset();
  const int32_t v = r.i32();
  if (v <= 0) r.fail(std::string(what) + " " + std::to_string(v) + " is not positive", at);
  return v;
}

// Reads `count` elements of `element_bytes` each, checking the total against the bytes left
// before allocating anything.
template <typename T, typename ReadOne>
std::vector<T> read_array(Reader& r, int32_t count, size_t element_bytes, ReadOne read_one) {
  r.need(static_cast<uint64_t>(count) * element_bytes);
  std::vector<T> values(static_cast<size_t>(count));
  for (T& v : values) v = read_one(r);
  return values;
}

// Unpacks a packed stream, turning bitpack's complaints (non-zero padding) into parse errors.
template <typename Unpack>
auto read_packed(Reader& r, uint64_t n, int bits, Unpack unpack) {
  const size_t at = r.offset();
  const std::vector<uint8_t> packed = r.take_vector(packed_bytes(n, bits));
  try {
    return unpack(packed, static_cast<size_t>(n), bits);
  } catch (const std::invalid_argument& e) {
    r.fail(e.what(), at);
  }
}

QuantizedLinear read_linear(Reader& r) {
  QuantizedLinear l;
  l.rows = read_positive(r, "rows");
  l.cols = read_positive(r, "cols");
  l.weight_bits = r.bits("weight bits");
  l.input = read_point(r);
  l.output = read_point(r);
  const uint64_t n = static_cast<uint64_t>(l.rows) * static_cast<uint64_t>(l.cols);
  l.weights = read_packed(r, n, l.weight_bits, quant::unpack_signed);
  l.weight_scales = read_array<double>(r, l.rows, 8, [](Reader& in) { return in.f64(); });
  l.bias = read_array<int32_t>(r, l.rows, 4, [](Reader& in) { return in.i32(); });
  l.multipliers = read_array<quant::Multiplier>(r, l.rows, kMultiplierBytes, read_multiplier);
  return l;
}

QuantizedEmbedding read_embedding(Reader& r) {
  QuantizedEmbedding e;
  e.vocabulary = read_positive(r, "vocabulary");
  e.dim = read_positive(r, "dim");
  e.table_point = read_point(r);
  e.to_input = read_multiplier(r);
  const uint64_t n = static_cast<uint64_t>(e.vocabulary) * static_cast<uint64_t>(e.dim);
  e.table = read_packed(r, n, e.table_point.bits, quant::unpack_signed);
  return e;
}

Lut read_lut(Reader& r) {
  Lut lut;
  lut.input = read_point(r);
  lut.output = read_point(r);
  // Both points have 2..8 bits here, so at most 256 entries.
  const auto entries = static_cast<uint64_t>(lut.input.qmax() - lut.input.qmin() + 1);
  if (lut.output.is_signed) {
    const auto values = read_packed(r, entries, lut.output.bits, quant::unpack_signed);
    lut.table.assign(values.begin(), values.end());
  } else {
    const auto values = read_packed(r, entries, lut.output.bits, quant::unpack_unsigned);
    lut.table.assign(values.begin(), values.end());
  }
  return lut;
}

QuantizedAdd read_add(Reader& r) {
  QuantizedAdd a;
  a.a = read_point(r);
  a.b = read_point(r);
  a.output = read_point(r);
  a.params.a = read_multiplier(r);
  a.params.b = read_multiplier(r);
  a.params.out = read_multiplier(r);
  return a;
}

QuantizedMul read_mul(Reader& r) {
  QuantizedMul m;
  m.a = read_point(r);
  m.b = read_point(r);
  m.output = read_point(r);
  m.multiplier = read_multiplier(r);
  return m;
}

GruLayer read_layer(Reader& r, int k) {
  const std::string where = "layer " + std::to_string(k) + " ";
  GruLayer l;
  r.section(where + "shape");
  l.input_size = read_positive(r, "input size");
  l.hidden = read_positive(r, "hidden");
  for (int g = 0; g < 3; ++g) {
    r.section(where + "lin_i." + kGateNames[g]);
    l.lin_i[g] = read_linear(r);
  }
  for (int g = 0; g < 3; ++g) {
    r.section(where + "lin_h." + kGateNames[g]);
    l.lin_h[g] = read_linear(r);
  }
  for (int g = 0; g < 3; ++g) {
    r.section(where + "sum." + kGateNames[g]);
    l.sum[g] = read_add(r);
  }
  for (int g = 0; g < 3; ++g) {
    r.section(where + "act." + kGateNames[g]);
    l.act[g] = read_lut(r);
  }
  const std::pair<const char*, QuantizedMul*> muls[] = {
      {"mul.rn", &l.mul_rn}, {"mul.un", &l.mul_un}, {"mul.zh", &l.mul_zh}};
  for (const auto& [name, mul] : muls) {
    r.section(where + name);
    *mul = read_mul(r);
  }
  r.section(where + "h");
  l.h_add = read_add(r);
  return l;
}

// Version 1: the flags byte is the embedding flag (0/1). Version 2 (models with a per-step head
// only, so that every file has one encoding): bit 0 embedding, bit 1 per-step head, set.
core::Genome read_genome(Reader& r, uint32_t version) {
  r.section("genome");
  const size_t at = r.offset();
  core::GenomeLayout layout;
  layout.layers = r.u8();
  if (version == 1) {
    layout.embedding = r.flag("embedding");
  } else {
    const uint8_t flags = r.u8();
    if (flags != 2 && flags != 3) {
      r.fail("genome flags " + std::to_string(flags) +
                 " are not a per-step model's (2 or 3), which format version 2 holds",
             at + 1);
    }
    layout.embedding = (flags & 1) != 0;
    layout.per_step = true;
  }
  const uint16_t n = r.u16();
  const uint8_t* p = r.take(n);
  const std::string digits(p, p + n);
  // Only the canonical compact form: Genome::parse would also accept "name=bits" pairs.
  for (char c : digits) {
    if (c < '0' || c > '9') r.fail("genome string holds a non-digit", at);
  }
  try {
    return core::Genome::parse(layout, digits);
  } catch (const std::exception& e) {
    r.fail(e.what(), at);
  }
}

IntegerModel read_payload(Reader& r, uint32_t version) {
  IntegerModel m;
  m.genome = read_genome(r, version);
  r.section("shape");
  m.steps = r.i32();
  m.features = r.i32();
  m.classes = r.i32();
  r.section("input");
  m.input = read_point(r);
  if (m.genome.layout().embedding) {
    r.section("embedding");
    m.embedding = read_embedding(r);
  }
  for (int k = 0; k < m.genome.layout().layers; ++k) m.layers.push_back(read_layer(r, k));
  r.section("classifier");
  m.classifier = read_linear(r);
  if (m.genome.layout().per_step) {
    r.section("head");
    m.per_step = true;
    m.head = read_lut(r);
  }
  return m;
}

// Checks the magic, version and length; returns the payload's declared length.
uint32_t read_header(Reader& r, const std::vector<uint8_t>& bytes, uint32_t* version_out) {
  r.section("header");
  const size_t prefix = std::min(bytes.size(), sizeof kMagic);
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(prefix), kMagic)) {
    throw ParseError{"bad magic (not an .mpq model file)"};
  }
  r.take(sizeof kMagic);
  const uint32_t version = r.u32();
  if (version < 1 || version > kModelFormatVersion) {
    throw ParseError{"format version " + std::to_string(version) +
                     " not supported (this build reads 1 to " +
                     std::to_string(kModelFormatVersion) + ")"};
  }
  *version_out = version;
  return r.u32();
}

IntegerModel parse_bytes(const std::vector<uint8_t>& bytes, std::vector<ModelSection>* log) {
  Reader header(bytes, 0, bytes.size(), log);
  uint32_t version = 0;
  const uint32_t length = read_header(header, bytes, &version);
  const uint32_t stored_crc = header.u32();
  const size_t available = bytes.size() - kModelHeaderBytes;
  if (length < available) {
    throw ParseError{std::to_string(available - length) + " trailing bytes after the " +
                     std::to_string(length) + "-byte payload the header declares"};
  }
  if (length > available) {
    // Parse what is there to name the section where the file ends; any other complaint from
    // these unverified bytes would mislead, so report the plain truncation instead.
    try {
      Reader partial(bytes, kModelHeaderBytes, bytes.size(), nullptr);
      read_payload(partial, version);
    } catch (const ParseError& e) {
      if (e.truncated) throw;
    }
    throw ParseError{"truncated in section 'payload' (need " + std::to_string(length) +
                         " bytes at offset " + std::to_string(kModelHeaderBytes) + ", file has " +
                         std::to_string(bytes.size()) + ")",
                     true};
  }
  const uint32_t computed = payload_crc(bytes.data() + kModelHeaderBytes, length);
  if (computed != stored_crc) {
    throw ParseError{"CRC mismatch (stored " + hex32(stored_crc) + ", computed " + hex32(computed) +
                     ")"};
  }
  Reader payload(bytes, kModelHeaderBytes, bytes.size(), log);
  IntegerModel m = read_payload(payload, version);
  if (payload.remaining() != 0) {
    throw ParseError{std::to_string(payload.remaining()) +
                     " trailing bytes inside the payload at offset " +
                     std::to_string(payload.offset())};
  }
  if (std::string e = check_model(m); !e.empty()) throw ParseError{e};
  return m;
}

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec)
    throw std::runtime_error("cannot read model file '" + path.string() + "': " + ec.message());
  if (size > kMaxModelFileBytes) {
    throw std::runtime_error("model file '" + path.string() + "' is " + std::to_string(size) +
                             " bytes, more than a model can be (" +
                             std::to_string(kMaxModelFileBytes) + "); refused before reading");
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in || in.gcount() != static_cast<std::streamsize>(bytes.size())) {
    throw std::runtime_error("cannot read model file '" + path.string() + "'");
  }
  return bytes;
}

}  // namespace

std::vector<uint8_t> serialize_model(const IntegerModel& model) {
  if (std::string e = check_model(model); !e.empty()) {
    throw std::invalid_argument("serialize_model: invalid model: " + e);
  }
  const std::vector<uint8_t> payload = serialize_payload(model);
  if (payload.size() > std::numeric_limits<uint32_t>::max()) {
    throw std::invalid_argument("serialize_model: payload of " + std::to_string(payload.size()) +
                                " bytes does not fit the u32 length field");
  }
  const auto length = static_cast<uint32_t>(payload.size());
  Writer w;
  w.raw(kMagic, sizeof kMagic);
  w.u32(model.per_step ? 2 : 1);  // version 2 only where it differs: old readers keep working
  w.u32(length);
  w.u32(payload_crc(payload.data(), payload.size()));
  w.raw(payload);
  return std::move(w.bytes());
}

void save_model(const IntegerModel& model, const std::filesystem::path& path) {
  if (std::string e = check_model(model); !e.empty()) {
    throw std::invalid_argument("cannot save model to '" + path.string() + "': " + e);
  }
  const std::vector<uint8_t> bytes = serialize_model(model);
  core::write_file_atomically(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

std::string parse_model(const std::vector<uint8_t>& bytes, const std::string& source,
                        IntegerModel* out) {
  try {
    IntegerModel m = parse_bytes(bytes, nullptr);
    if (out != nullptr) *out = std::move(m);
    return {};
  } catch (const ParseError& e) {
    return source + ": " + e.message;
  } catch (const std::exception& e) {
    // Not expected (sizes are checked before allocating), but parse_model never throws.
    return source + ": " + e.what();
  }
}

IntegerModel load_model(const std::filesystem::path& path) {
  IntegerModel m;
  if (std::string e = parse_model(read_file(path), path.string(), &m); !e.empty()) {
    throw std::runtime_error(e);
  }
  return m;
}

std::vector<ModelSection> model_sections(const std::vector<uint8_t>& bytes) {
  std::vector<ModelSection> sections;
  try {
    parse_bytes(bytes, &sections);
  } catch (const ParseError& e) {
    throw std::invalid_argument("model_sections: " + e.message);
  }
  return sections;
}

}  // namespace mpgru::engine
