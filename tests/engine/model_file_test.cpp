// The .mpq file: byte-exact round trips, exact size, and rejection of every damaged input.
#include "engine/model_file.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <zlib.h>

#include "fixtures/random_model.hpp"
#include "fixtures/temp_dir.hpp"
#include "quant/bitpack.hpp"

namespace mpgru::engine {
namespace {

using mpgru::testing::FixtureRng;
using mpgru::testing::random_genome;
using mpgru::testing::random_model;
using mpgru::testing::TempDir;

constexpr const char* kSource = "m.mpq";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Field-by-field equality (doubles exactly: the file stores their bits).

void expect_point_eq(const QuantPoint& a, const QuantPoint& b, const std::string& where) {
  EXPECT_EQ(a.bits, b.bits) << where;
  EXPECT_EQ(a.is_signed, b.is_signed) << where;
  EXPECT_EQ(a.scale, b.scale) << where;
}

void expect_multiplier_eq(const quant::Multiplier& a, const quant::Multiplier& b,
                          const std::string& where) {
  EXPECT_EQ(a.m0, b.m0) << where;
  EXPECT_EQ(a.shift, b.shift) << where;
}

void expect_linear_eq(const QuantizedLinear& a, const QuantizedLinear& b,
                      const std::string& where) {
  EXPECT_EQ(a.rows, b.rows) << where;
  EXPECT_EQ(a.cols, b.cols) << where;
  EXPECT_EQ(a.weight_bits, b.weight_bits) << where;
  EXPECT_EQ(a.weights, b.weights) << where;
  EXPECT_EQ(a.weight_scales, b.weight_scales) << where;
  EXPECT_EQ(a.bias, b.bias) << where;
  ASSERT_EQ(a.multipliers.size(), b.multipliers.size()) << where;
  for (size_t i = 0; i < a.multipliers.size(); ++i) {
    expect_multiplier_eq(a.multipliers[i], b.multipliers[i], where + " multiplier");
  }
  expect_point_eq(a.input, b.input, where + " input");
  expect_point_eq(a.output, b.output, where + " output");
}

void expect_lut_eq(const Lut& a, const Lut& b, const std::string& where) {
  expect_point_eq(a.input, b.input, where + " input");
  expect_point_eq(a.output, b.output, where + " output");
  EXPECT_EQ(a.table, b.table) << where;
}

void expect_add_eq(const QuantizedAdd& a, const QuantizedAdd& b, const std::string& where) {
  expect_point_eq(a.a, b.a, where + " a");
  expect_point_eq(a.b, b.b, where + " b");
  expect_point_eq(a.output, b.output, where + " output");
  expect_multiplier_eq(a.params.a, b.params.a, where + " params.a");
  expect_multiplier_eq(a.params.b, b.params.b, where + " params.b");
  expect_multiplier_eq(a.params.out, b.params.out, where + " params.out");
}

void expect_mul_eq(const QuantizedMul& a, const QuantizedMul& b, const std::string& where) {
  expect_point_eq(a.a, b.a, where + " a");
  expect_point_eq(a.b, b.b, where + " b");
  expect_point_eq(a.output, b.output, where + " output");
  expect_multiplier_eq(a.multiplier, b.multiplier, where + " multiplier");
}

void expect_layer_eq(const GruLayer& a, const GruLayer& b, const std::string& where) {
  EXPECT_EQ(a.input_size, b.input_size) << where;
  EXPECT_EQ(a.hidden, b.hidden) << where;
  for (int g = 0; g < 3; ++g) {
    const std::string gate = where + " gate " + std::to_string(g);
    expect_linear_eq(a.lin_i[g], b.lin_i[g], gate + " lin_i");
    expect_linear_eq(a.lin_h[g], b.lin_h[g], gate + " lin_h");
    expect_add_eq(a.sum[g], b.sum[g], gate + " sum");
    expect_lut_eq(a.act[g], b.act[g], gate + " act");
  }
  expect_mul_eq(a.mul_rn, b.mul_rn, where + " mul_rn");
  expect_mul_eq(a.mul_un, b.mul_un, where + " mul_un");
  expect_mul_eq(a.mul_zh, b.mul_zh, where + " mul_zh");
  expect_add_eq(a.h_add, b.h_add, where + " h_add");
}

void expect_model_eq(const IntegerModel& a, const IntegerModel& b) {
  EXPECT_EQ(a.genome, b.genome);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.features, b.features);
  EXPECT_EQ(a.classes, b.classes);
  expect_point_eq(a.input, b.input, "input");
  EXPECT_EQ(a.embedding.vocabulary, b.embedding.vocabulary);
  EXPECT_EQ(a.embedding.dim, b.embedding.dim);
  expect_point_eq(a.embedding.table_point, b.embedding.table_point, "embedding");
  EXPECT_EQ(a.embedding.table, b.embedding.table);
  EXPECT_EQ(a.embedding.to_input.m0, b.embedding.to_input.m0);
  EXPECT_EQ(a.embedding.to_input.shift, b.embedding.to_input.shift);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t k = 0; k < a.layers.size(); ++k) {
    expect_layer_eq(a.layers[k], b.layers[k], "layer " + std::to_string(k));
  }
  expect_linear_eq(a.classifier, b.classifier, "classifier");
}

// ---------------------------------------------------------------------------------------------
// Models and byte surgery

struct ModelCase {
  const char* name;
  int layers;
  int bits;  // homogeneous bits, or 0 for a random mixed genome from `seed`
  uint64_t seed;
  bool embedding = false;
};

const ModelCase kCases[] = {
    {"h2", 1, 2, 1},
    {"h3", 1, 3, 2},
    {"h4", 1, 4, 3},
    {"h5", 1, 5, 4},
    {"h6", 1, 6, 5},
    {"h7", 1, 7, 6},
    {"h8", 1, 8, 7},
    {"h2_2layers", 2, 2, 8},
    {"h8_2layers", 2, 8, 9},
    {"mixed_a", 1, 0, 10},
    {"mixed_b", 1, 0, 11},
    {"mixed_2layers_a", 2, 0, 12},
    {"mixed_2layers_b", 2, 0, 13},
    {"h2_embedding", 1, 2, 14, true},
    {"h8_embedding", 1, 8, 15, true},
    {"mixed_embedding", 1, 0, 16, true},
    {"mixed_2layers_embedding", 2, 0, 17, true},
};

core::Genome case_genome(const ModelCase& c) {
  core::GenomeLayout layout;
  layout.layers = c.layers;
  layout.embedding = c.embedding;
  return c.bits == 0 ? random_genome(layout, c.seed) : core::Genome::homogeneous(layout, c.bits);
}

// Small shapes keep the every-offset sweeps fast.
IntegerModel small_model(const ModelCase& c) {
  return random_model(case_genome(c), 5, 7, 3, c.seed);
}

IntegerModel homogeneous_model(int bits, int32_t features, int32_t hidden, int32_t classes) {
  return random_model(core::Genome::homogeneous({}, bits), features, hidden, classes, 42);
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  IntegerModel m;
  return parse_model(bytes, kSource, &m);
}

size_t section_offset(const std::vector<uint8_t>& bytes, const std::string& name) {
  for (const ModelSection& s : model_sections(bytes)) {
    if (s.name == name) return s.offset;
  }
  ADD_FAILURE() << "no section " << name;
  return 0;
}

void put_u32(std::vector<uint8_t>& bytes, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    bytes[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

// Rewrites the header's length and CRC to match the payload, so that a deliberately damaged
// payload reaches the parser instead of failing the CRC.
void reseal(std::vector<uint8_t>& bytes) {
  const size_t length = bytes.size() - kModelHeaderBytes;
  put_u32(bytes, 12, static_cast<uint32_t>(length));
  const uLong crc =
      crc32(crc32(0L, Z_NULL, 0), bytes.data() + kModelHeaderBytes, static_cast<uInt>(length));
  put_u32(bytes, 16, static_cast<uint32_t>(crc));
}

// The format spec of model_file.hpp, as arithmetic.
size_t linear_bytes(const QuantizedLinear& l) {
  return 29 + quant::packed_size(l.weights.size(), l.weight_bits) +
         17 * static_cast<size_t>(l.rows);
}
size_t expected_file_size(const IntegerModel& m) {
  size_t size = kModelHeaderBytes + 4 + m.genome.size() + 12 + 10;
  if (m.genome.layout().embedding) {
    size += 8 + 10 + 5 + quant::packed_size(m.embedding.table.size(), m.embedding.table_point.bits);
  }
  for (const GruLayer& l : m.layers) {
    size += 8;
    for (int g = 0; g < 3; ++g) {
      size += linear_bytes(l.lin_i[g]) + linear_bytes(l.lin_h[g]) + 45;
      size += 20 + quant::packed_size(l.act[g].table.size(), l.act[g].output.bits);
    }
    size += 3 * 35 + 45;
  }
  return size + linear_bytes(m.classifier);
}

// ---------------------------------------------------------------------------------------------
// Round trips over homogeneous and mixed genomes

void PrintTo(const ModelCase& c, std::ostream* os) {
  *os << c.name;
}

class ModelFileCase : public ::testing::TestWithParam<ModelCase> {};

// A file larger than any model is refused before it is read (a sparse file: no disk used).
TEST(ModelFileLimits, AFileLargerThanAnyModelIsRefusedBeforeReading) {
  const testing::TempDir dir;
  const auto path = dir / "huge.mpq";
  std::ofstream(path).put('x');
  std::filesystem::resize_file(path, kMaxModelFileBytes + 1);
  try {
    load_model(path);
    FAIL() << "loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("refused before reading"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST_P(ModelFileCase, RoundTripIsByteIdenticalAndFieldEqual) {
  const IntegerModel model = small_model(GetParam());
  ASSERT_EQ(check_model(model), "");
  const std::vector<uint8_t> bytes = serialize_model(model);
  IntegerModel parsed;
  ASSERT_EQ(parse_model(bytes, kSource, &parsed), "");
  expect_model_eq(model, parsed);
  EXPECT_EQ(serialize_model(parsed), bytes);
}

TEST_P(ModelFileCase, SizeFollowsTheFormatSpec) {
  const IntegerModel model = small_model(GetParam());
  EXPECT_EQ(serialize_model(model).size(), expected_file_size(model));
}

TEST_P(ModelFileCase, EveryProperPrefixIsTruncated) {
  const std::vector<uint8_t> bytes = serialize_model(small_model(GetParam()));
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::string e = parse_error(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n));
    ASSERT_TRUE(contains(e, "m.mpq: truncated in section '")) << "prefix " << n << ": " << e;
  }
}

TEST_P(ModelFileCase, TruncationAtASectionStartNamesThatSection) {
  const std::vector<uint8_t> bytes = serialize_model(small_model(GetParam()));
  for (const ModelSection& s : model_sections(bytes)) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + s.offset);
    const std::string e = parse_error(cut);
    EXPECT_TRUE(contains(e, "truncated in section '" + s.name + "'")) << e;
    EXPECT_TRUE(contains(e, "at offset " + std::to_string(s.offset))) << e;
  }
}

INSTANTIATE_TEST_SUITE_P(Genomes, ModelFileCase, ::testing::ValuesIn(kCases),
                         [](const auto& c) { return std::string(c.param.name); });

// ---------------------------------------------------------------------------------------------
// Layout

TEST(ModelFile, SectionsAreInFileOrder) {
  const std::vector<uint8_t> bytes = serialize_model(small_model({"two", 2, 0, 5}));
  const std::vector<ModelSection> sections = model_sections(bytes);
  // header, genome, shape, input, 2 x (shape + 6 linears + 3 sums + 3 acts + 3 muls + h),
  // classifier
  ASSERT_EQ(sections.size(), 4u + 2u * 17u + 1u);
  EXPECT_EQ(sections[0].name, "header");
  EXPECT_EQ(sections[0].offset, 0u);
  EXPECT_EQ(sections[1].name, "genome");
  EXPECT_EQ(sections[1].offset, kModelHeaderBytes);
  EXPECT_EQ(sections[5].name, "layer 0 lin_i.r");
  EXPECT_EQ(sections[20].name, "layer 0 h");
  EXPECT_EQ(sections[25].name, "layer 1 lin_h.r");
  EXPECT_EQ(sections.back().name, "classifier");
  for (size_t i = 1; i < sections.size(); ++i)
    EXPECT_LT(sections[i - 1].offset, sections[i].offset);
}

TEST(ModelFile, HeaderLayout) {
  const std::vector<uint8_t> bytes = serialize_model(small_model(kCases[0]));
  const uint8_t magic[8] = {0x89, 'M', 'P', 'Q', 0x0D, 0x0A, 0x1A, 0x0A};
  EXPECT_EQ(std::memcmp(bytes.data(), magic, 8), 0);
  EXPECT_EQ(bytes[8], 1);  // version 1, little-endian
  EXPECT_EQ(bytes[9] | bytes[10] | bytes[11], 0);
  std::vector<uint8_t> resealed = bytes;
  reseal(resealed);
  EXPECT_EQ(resealed, bytes);  // length and CRC are what reseal computes
}

TEST(ModelFile, ModelSectionsRejectsBadBytes) {
  EXPECT_THROW(model_sections({1, 2, 3}), std::invalid_argument);
}

// 8/4/2-bit GRU-128 on 28 features, 10 classes: the file shrinks with the weight bits.
TEST(ModelFile, HomogeneousFileSizesTrackWeightBits) {
  size_t sizes[9] = {};
  for (int bits : {8, 4, 2}) {
    const IntegerModel m = homogeneous_model(bits, 28, 128, 10);
    sizes[bits] = serialize_model(m).size();
    EXPECT_EQ(sizes[bits], expected_file_size(m));
    const ModelSize ms = model_size(m);
    std::cout << "homogeneous " << bits << "-bit: file " << sizes[bits] << " bytes, footprint "
              << ms.footprint_bytes << " bytes, size " << ms.size_bytes() << " bytes\n";
  }
  // 61184 weights at 4 bits fewer, and the three LUTs shrink from 255 one-byte entries to
  // 15 four-bit entries (8 bytes): nothing else in the file depends on the bits.
  EXPECT_EQ(sizes[8] - sizes[4], 61184u * 4 / 8 + 3u * (255 - 8));
  EXPECT_LT(sizes[2] * 2, sizes[8]);
}

// ---------------------------------------------------------------------------------------------
// Damaged files

TEST(ModelFile, TruncationAtRandomOffsetsOfALargeModel) {
  const std::vector<uint8_t> bytes = serialize_model(homogeneous_model(4, 28, 128, 10));
  FixtureRng rng(7);
  for (int i = 0; i < 200; ++i) {
    const auto n = static_cast<size_t>(rng.uniform_int(0, static_cast<int32_t>(bytes.size()) - 1));
    const std::string e = parse_error(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n));
    ASSERT_TRUE(contains(e, "truncated in section '")) << n << ": " << e;
    EXPECT_TRUE(contains(e, "file has " + std::to_string(n) + ")")) << e;
  }
}

// CRC-32 catches every single-byte error in the payload; the header fields say what they are.
std::string expected_flip_error(size_t offset) {
  if (offset < 8) return "bad magic";
  if (offset < 12) return "format version";
  if (offset < 16) return "";  // the length: truncated or trailing bytes
  return "CRC mismatch (stored 0x";
}

TEST(ModelFile, SingleByteFlipsAreAllRejected) {
  const std::vector<uint8_t> bytes = serialize_model(small_model({"flip", 2, 0, 21}));
  FixtureRng rng(2024);
  for (int i = 0; i < 2000; ++i) {
    // A quarter of the flips in the header, the rest anywhere.
    const int32_t last = i % 4 == 0 ? 19 : static_cast<int32_t>(bytes.size()) - 1;
    const auto offset = static_cast<size_t>(rng.uniform_int(0, last));
    std::vector<uint8_t> damaged = bytes;
    damaged[offset] = static_cast<uint8_t>(damaged[offset] ^ rng.uniform_int(1, 255));
    IntegerModel m;
    const std::string e = parse_model(damaged, kSource, &m);
    ASSERT_FALSE(e.empty()) << "flip at " << offset << " accepted";
    ASSERT_TRUE(contains(e, "m.mpq: ")) << e;
    const std::string expected = expected_flip_error(offset);
    if (expected.empty()) {
      EXPECT_TRUE(contains(e, "truncated") || contains(e, "trailing bytes")) << e;
    } else {
      EXPECT_TRUE(contains(e, expected)) << offset << ": " << e;
    }
  }
}

// The CRC hides payload damage from the parser; resealing exposes the parser to garbage. Every
// outcome is a message or a model that re-serializes to the very same bytes (canonical form).
TEST(ModelFile, ResealedRandomDamageIsRejectedOrCanonical) {
  const std::vector<uint8_t> bytes = serialize_model(small_model({"garbage", 2, 0, 31}));
  FixtureRng rng(99);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> damaged = bytes;
    const int changes = rng.uniform_int(1, 4);
    for (int j = 0; j < changes; ++j) {
      const auto at = static_cast<size_t>(rng.uniform_int(static_cast<int32_t>(kModelHeaderBytes),
                                                          static_cast<int32_t>(bytes.size()) - 1));
      damaged[at] = static_cast<uint8_t>(rng.uniform_int(0, 255));
    }
    reseal(damaged);
    IntegerModel m;
    const std::string e = parse_model(damaged, kSource, &m);
    if (e.empty()) {
      ++accepted;
      ASSERT_EQ(serialize_model(m), damaged) << "iteration " << i;
    } else {
      ASSERT_TRUE(contains(e, "m.mpq: ")) << e;
    }
  }
  EXPECT_GT(accepted, 0);  // weights, biases and scales may take any in-range value
  EXPECT_LT(accepted, 3000);
}

TEST(ModelFile, WrongVersionNamesBothVersions) {
  std::vector<uint8_t> bytes = serialize_model(small_model(kCases[0]));
  put_u32(bytes, 8, 3);
  EXPECT_EQ(parse_error(bytes), "m.mpq: format version 3 not supported (this build reads 1 to 2)");
  put_u32(bytes, 8, 0);
  EXPECT_EQ(parse_error(bytes), "m.mpq: format version 0 not supported (this build reads 1 to 2)");
}

// Version 2 holds per-step models only: a classifier's bytes relabelled version 2 are refused at
// the genome flags (every model has one encoding).
TEST(ModelFile, Version2IsForPerStepModelsOnly) {
  std::vector<uint8_t> bytes = serialize_model(small_model(kCases[0]));
  put_u32(bytes, 8, 2);
  EXPECT_NE(parse_error(bytes).find("are not a per-step model's (2 or 3)"), std::string::npos)
      << parse_error(bytes);
}

TEST(ModelFile, BadMagicEvenForTinyFiles) {
  EXPECT_EQ(parse_error({'a', 'b', 'c'}), "m.mpq: bad magic (not an .mpq model file)");
  EXPECT_EQ(parse_error({}),
            "m.mpq: truncated in section 'header' (need 8 bytes at offset 0, "
            "file has 0)");
}

TEST(ModelFile, TrailingBytesAreRejected) {
  std::vector<uint8_t> bytes = serialize_model(small_model(kCases[0]));
  const size_t payload = bytes.size() - kModelHeaderBytes;
  bytes.push_back(0);
  EXPECT_EQ(parse_error(bytes), "m.mpq: 1 trailing bytes after the " + std::to_string(payload) +
                                    "-byte payload the header declares");
  reseal(bytes);  // now the extra byte is inside the CRC-checked payload
  EXPECT_EQ(parse_error(bytes), "m.mpq: 1 trailing bytes inside the payload at offset " +
                                    std::to_string(bytes.size() - 1));
}

TEST(ModelFile, TruncatedFileWithItsLengthFieldIntact) {
  std::vector<uint8_t> bytes = serialize_model(small_model(kCases[0]));
  const size_t at = section_offset(bytes, "layer 0 lin_h.z");
  bytes.resize(at + 30);  // rows, cols, bits, both points: the weights are missing
  const std::string e = parse_error(bytes);
  EXPECT_TRUE(contains(e, "m.mpq: truncated in section 'layer 0 lin_h.z' (need ")) << e;
  EXPECT_TRUE(contains(e, "at offset " + std::to_string(at + 29))) << e;
}

// A payload damaged on purpose and resealed (valid length and CRC): the parser itself must
// reject it, before allocating anything absurd.
struct Corruption {
  const char* name;
  int bits;  // homogeneous model bits
  const char* section;
  size_t delta;  // byte offset inside the section
  std::vector<uint8_t> replacement;
  const char* expected;
};

const Corruption kCorruptions[] = {
    {"genome_digit_9", 4, "genome", 4, {'9'}, "gene 'x'): 9 outside 2..8"},
    {"genome_non_digit", 4, "genome", 5, {' '}, "genome string holds a non-digit"},
    {"genome_layers_0", 4, "genome", 0, {0}, "layers 0 outside 1..16"},
    {"genome_layers_2", 4, "genome", 0, {2}, "compact genome has 25 characters, expected 47"},
    {"genome_length_huge", 4, "genome", 2, {0xff, 0xff}, "truncated in section 'genome'"},
    {"embedding_flag", 4, "genome", 1, {2}, "embedding flag 2 is not 0 or 1"},
    {"embedding_on", 4, "genome", 1, {1}, "compact genome has 25 characters, expected 26"},
    {"input_bits_9", 4, "input", 0, {9}, "section 'input' at offset 61: bits 9 outside 2..8"},
    {"input_bits_1", 4, "input", 0, {1}, "bits 1 outside 2..8"},
    {"signed_flag", 4, "input", 1, {7}, "signed flag 7 is not 0 or 1"},
    {"input_scale_negative", 4, "input", 9, {0xbf}, "input: scale not positive and finite"},
    {"features_changed", 4, "shape", 4, {6}, "layer 0: input size 5, expected 6"},
    {"hidden_zero", 4, "layer 0 shape", 4, {0, 0, 0, 0}, "hidden 0 is not positive"},
    {"rows_negative", 4, "classifier", 0, {0xff, 0xff, 0xff, 0xff}, "rows -1 is not positive"},
    {"rows_absurd",
     4,
     "classifier",
     0,
     {0xff, 0xff, 0xff, 0x7f},
     "truncated in section 'classifier' (need 7516192765 bytes"},
    {"cols_absurd",
     8,
     "layer 0 lin_h.r",
     4,
     {0xff, 0xff, 0xff, 0x7f},
     "truncated in section 'layer 0 lin_h.r' (need 15032385529 bytes"},
    {"output_bits_mismatch",
     4,
     "layer 0 lin_i.z",
     19,
     {5},
     "layer 0: bit widths disagree with the genome"},
    {"weight_out_of_narrow_range",
     8,
     "layer 0 lin_i.r",
     29,
     {0x80},
     "layer 0 lin_i.r: weight 0 outside the 8-bit range"},
    {"lut_padding", 3, "layer 0 act.r", 22, {0xff}, "non-zero padding bits"},
    {"lut_entry_out_of_range", 3, "layer 0 act.n", 20, {0x04}, "layer 0 act.n: entry out of range"},
    {"multiplier_invalid",
     4,
     "layer 0 mul.rn",
     30,
     {5, 0, 0, 0},
     "layer 0 mul.rn: invalid multiplier"},
    {"classifier_classes", 4, "shape", 8, {4}, "classifier: shape disagrees"},
};

// gtest would otherwise dump the raw bytes, struct padding included.
void PrintTo(const Corruption& c, std::ostream* os) {
  *os << c.name;
}

class ModelFileCorruption : public ::testing::TestWithParam<Corruption> {};

TEST_P(ModelFileCorruption, IsRejectedWithItsReason) {
  const Corruption& c = GetParam();
  std::vector<uint8_t> bytes = serialize_model(homogeneous_model(c.bits, 5, 7, 3));
  const size_t at = section_offset(bytes, c.section) + c.delta;
  ASSERT_LE(at + c.replacement.size(), bytes.size());
  std::copy(c.replacement.begin(), c.replacement.end(), bytes.begin() + at);
  reseal(bytes);
  IntegerModel untouched;
  untouched.steps = -7;
  const std::string e = parse_model(bytes, kSource, &untouched);
  EXPECT_TRUE(contains(e, "m.mpq: ")) << e;
  EXPECT_TRUE(contains(e, c.expected)) << e;
  EXPECT_EQ(untouched.steps, -7) << "the output must not change on failure";
}

INSTANTIATE_TEST_SUITE_P(Payloads, ModelFileCorruption, ::testing::ValuesIn(kCorruptions),
                         [](const auto& c) { return std::string(c.param.name); });

// ---------------------------------------------------------------------------------------------
// Files

TEST(ModelFile, SaveAndLoadRoundTrip) {
  TempDir dir;
  const IntegerModel model = small_model(kCases[11]);
  const auto path = dir / "model.mpq";
  save_model(model, path);
  save_model(model, path);  // overwriting an existing file is fine
  expect_model_eq(model, load_model(path));
  EXPECT_FALSE(std::filesystem::exists(dir / "model.mpq.tmp"));
  EXPECT_EQ(std::filesystem::file_size(path), serialize_model(model).size());
}

TEST(ModelFile, InvalidModelIsNeverWritten) {
  TempDir dir;
  IntegerModel model = homogeneous_model(4, 5, 7, 3);
  model.layers[0].lin_i[kGateR].weights[3] = 8;  // outside the 4-bit range [-7, 7]
  const auto path = dir / "bad.mpq";
  try {
    save_model(model, path);
    ADD_FAILURE() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), path.string())) << e.what();
    EXPECT_TRUE(contains(e.what(), "layer 0 lin_i.r: weight 3 outside the 4-bit range"))
        << e.what();
  }
  EXPECT_THROW(serialize_model(model), std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.mpq.tmp"));
}

TEST(ModelFile, SaveIntoMissingFolderNamesThePath) {
  TempDir dir;
  const auto path = dir / "no" / "such" / "model.mpq";
  try {
    save_model(small_model(kCases[0]), path);
    ADD_FAILURE() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), path.string())) << e.what();
  }
}

TEST(ModelFile, LoadErrorsNameThePath) {
  TempDir dir;
  const auto missing = dir / "missing.mpq";
  const auto corrupt = dir / "corrupt.mpq";
  std::vector<uint8_t> bytes = serialize_model(small_model(kCases[0]));
  bytes.back() ^= 1;
  mpgru::testing::write_bytes(corrupt, bytes);
  const std::pair<std::filesystem::path, const char*> cases[] = {
      {missing, "cannot read model file"}, {corrupt, "CRC mismatch"}, {dir.path(), "cannot read"}};
  for (const auto& [path, reason] : cases) {
    try {
      load_model(path);
      ADD_FAILURE() << "expected std::runtime_error for " << path;
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(contains(e.what(), path.string())) << e.what();
      EXPECT_TRUE(contains(e.what(), reason)) << e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The random_model fixture other engine tests build on

// The quantization points chain as the engine reads them (check_model does not verify this).
void expect_chained(const IntegerModel& m) {
  QuantPoint input = m.input;
  for (const GruLayer& l : m.layers) {
    const QuantPoint& h = l.h_add.output;
    for (int g = 0; g < 3; ++g) {
      expect_point_eq(l.lin_i[g].input, input, "lin_i input");
      expect_point_eq(l.lin_h[g].input, h, "lin_h input");
      expect_point_eq(l.sum[g].a, l.lin_i[g].output, "sum a");
      expect_point_eq(l.sum[g].b, g == kGateN ? l.mul_rn.output : l.lin_h[g].output, "sum b");
      expect_point_eq(l.act[g].input, l.sum[g].output, "act input");
    }
    expect_point_eq(l.mul_rn.a, l.act[kGateR].output, "mul_rn a");
    expect_point_eq(l.mul_rn.b, l.lin_h[kGateN].output, "mul_rn b");
    expect_point_eq(l.mul_un.a, l.act[kGateZ].output, "mul_un a");
    expect_point_eq(l.mul_un.b, l.act[kGateN].output, "mul_un b");
    expect_point_eq(l.mul_zh.a, l.act[kGateZ].output, "mul_zh a");
    expect_point_eq(l.mul_zh.b, h, "mul_zh b");
    expect_point_eq(l.h_add.a, l.mul_un.output, "h a");
    expect_point_eq(l.h_add.b, l.mul_zh.output, "h b");
    EXPECT_TRUE(h.is_signed);
    EXPECT_EQ(h.scale, 1.0 / quant::signed_max(h.bits));
    EXPECT_EQ(l.act[kGateZ].output.scale, 1.0 / quant::unsigned_max(l.act[kGateZ].output.bits));
    input = h;
  }
  expect_point_eq(m.classifier.input, input, "classifier input");
}

TEST(RandomModelFixture, ValidAndChainedForManyGenomes) {
  for (uint64_t seed = 100; seed < 160; ++seed) {
    core::GenomeLayout layout;
    layout.layers = 1 + static_cast<int>(seed % 3);
    const IntegerModel m =
        random_model(random_genome(layout, seed), 3 + static_cast<int32_t>(seed % 5),
                     4 + static_cast<int32_t>(seed % 7), 2 + static_cast<int32_t>(seed % 4), seed);
    ASSERT_EQ(check_model(m), "") << "seed " << seed;
    expect_chained(m);
  }
}

TEST(RandomModelFixture, DeterministicForASeed) {
  const core::Genome genome = random_genome({2, false}, 3);
  EXPECT_EQ(genome, random_genome({2, false}, 3));
  EXPECT_NE(genome, random_genome({2, false}, 4));
  const auto bytes = serialize_model(random_model(genome, 6, 9, 4, 77));
  EXPECT_EQ(serialize_model(random_model(genome, 6, 9, 4, 77)), bytes);
  EXPECT_NE(serialize_model(random_model(genome, 6, 9, 4, 78)), bytes);
}

}  // namespace
}  // namespace mpgru::engine
