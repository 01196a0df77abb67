// Bit packing: hand-derived golden bytes fix the bit order, random round trips cover every width.
#include "quant/bitpack.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace mpgru::quant {
namespace {

// Tests hold values as int and dispatch on signedness, so each check is written once for both
// the `wB_sym` and the `uB` format.
int lowest(bool is_signed, int bits) {
  return is_signed ? -(1 << (bits - 1)) : 0;
}
int highest(bool is_signed, int bits) {
  return is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
}

std::vector<uint8_t> pack(bool is_signed, const std::vector<int>& values, int bits) {
  if (is_signed) return pack_signed(std::vector<int8_t>(values.begin(), values.end()), bits);
  return pack_unsigned(std::vector<uint8_t>(values.begin(), values.end()), bits);
}

std::vector<int> unpack(bool is_signed, const std::vector<uint8_t>& bytes, size_t n, int bits) {
  if (is_signed) {
    const std::vector<int8_t> v = unpack_signed(bytes, n, bits);
    return std::vector<int>(v.begin(), v.end());
  }
  const std::vector<uint8_t> v = unpack_unsigned(bytes, n, bits);
  return std::vector<int>(v.begin(), v.end());
}

int packed_at(bool is_signed, const std::vector<uint8_t>& bytes, size_t i, int bits) {
  return is_signed ? packed_signed_at(bytes.data(), i, bits)
                   : packed_unsigned_at(bytes.data(), i, bits);
}

const char* kind(bool is_signed) {
  return is_signed ? "signed" : "unsigned";
}

// Expects `f` to throw std::invalid_argument whose message contains every one of `parts`.
template <typename F>
void expect_invalid(F f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning '" << parts.at(0) << "'";
  } catch (const std::invalid_argument& e) {
    for (const std::string& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "'" << p << "' not in " << e.what();
  }
}

// ---- Golden bytes ------------------------------------------------------------------------------

struct Golden {
  const char* name;
  bool is_signed;
  int bits;
  std::vector<int> values;
  std::vector<uint8_t> bytes;
};

void PrintTo(const Golden& g, std::ostream* os) {
  *os << g.name;
}

// Every case below is derived by hand, never by running the code under test. Shortcut used after
// the first case: the stream, read as one little-endian integer, is sum_i field_i << (i * bits),
// where field_i is value_i's low `bits` bits (two's complement for signed).
const Golden kGolden[] = {
    // 3-bit signed {1, -1, 2}; fields (bit 2..0): 1 = 001, -1 = 111, 2 = 010.
    //   stream bits 0..2 <- element 0, LSB first: 1 0 0
    //   stream bits 3..5 <- element 1:            1 1 1
    //   stream bits 6..8 <- element 2:            0 1 0 (its bit 2 is stream bit 8, in byte 1)
    //   byte 0, bit 0..7 = 1 0 0 1 1 1 0 1 -> 1 + 8 + 16 + 32 + 128 = 185 = 0xB9
    //   byte 1, bit 0 = 0, bits 1..7 are padding (zero)            -> 0x00
    {"w3_sym_one_minus_one_two", true, 3, {1, -1, 2}, {0xB9, 0x00}},
    // 3-bit signed {-1, -1, -1}: nine one-bits; stream bit 8 is data, bits 9..15 padding.
    {"w3_sym_all_minus_one", true, 3, {-1, -1, -1}, {0xFF, 0x01}},
    // 2-bit unsigned {0, 1, 2, 3, 3}: 0 | 1<<2 | 2<<4 | 3<<6 | 3<<8 = 0x0 + 0x4 + 0x20 + 0xC0
    // + 0x300 = 0x3E4; 10 bits -> 2 bytes.
    {"u2_counting", false, 2, {0, 1, 2, 3, 3}, {0xE4, 0x03}},
    // 2-bit signed {-2, -1, 0, 1}: fields 10, 11, 00, 01 -> 0b01'00'11'10 = 0x4E.
    {"w2_sym_full_range", true, 2, {-2, -1, 0, 1}, {0x4E}},
    // 5-bit unsigned {22, 13} straddles: element 1 is stream bits 5..9, i.e. bits 5..7 of byte 0
    // and bits 0..1 of byte 1. 22 | 13<<5 = 22 + 416 = 438 = 0x1B6.
    {"u5_straddle", false, 5, {22, 13}, {0xB6, 0x01}},
    // 7-bit signed extremes {-64, 63}: fields 0x40, 0x3F; 0x40 | 0x3F<<7 = 0x40 + 0x1F80 = 0x1FC0.
    {"w7_sym_extremes_straddle", true, 7, {-64, 63}, {0xC0, 0x1F}},
    // 8-bit signed: one value per byte, the byte is the two's complement itself.
    {"w8_sym_bytes", true, 8, {-128, 127, -1}, {0x80, 0x7F, 0xFF}},
    // 6-bit unsigned {63, 0, 1}: 63 | 0<<6 | 1<<12 = 0x103F; 18 bits -> 3 bytes.
    {"u6_three_bytes", false, 6, {63, 0, 1}, {0x3F, 0x10, 0x00}},
    // No values, no bytes.
    {"empty", true, 4, {}, {}},
};

class BitpackGolden : public ::testing::TestWithParam<Golden> {};

TEST_P(BitpackGolden, PacksToExactBytes) {
  const Golden& g = GetParam();
  EXPECT_EQ(pack(g.is_signed, g.values, g.bits), g.bytes);
}

TEST_P(BitpackGolden, UnpacksToValues) {
  const Golden& g = GetParam();
  EXPECT_EQ(unpack(g.is_signed, g.bytes, g.values.size(), g.bits), g.values);
}

INSTANTIATE_TEST_SUITE_P(Cases, BitpackGolden, ::testing::ValuesIn(kGolden),
                         [](const auto& p) { return std::string(p.param.name); });

// ---- Random round trips ------------------------------------------------------------------------

// (bits, is_signed, n)
using RoundTripParam = std::tuple<int, bool, size_t>;

class BitpackRoundTrip : public ::testing::TestWithParam<RoundTripParam> {
 protected:
  int bits() const { return std::get<0>(GetParam()); }
  bool is_signed() const { return std::get<1>(GetParam()); }
  size_t n() const { return std::get<2>(GetParam()); }

  // Uniform over the full range, with both extremes planted when there is room; the seed depends
  // only on the parameters, so every run sees the same values.
  std::vector<int> random_values() const {
    std::mt19937_64 rng(0x5EED0000u + 1000u * static_cast<unsigned>(bits()) + n() * 2u +
                        (is_signed() ? 1u : 0u));
    std::uniform_int_distribution<int> dist(lowest(is_signed(), bits()),
                                            highest(is_signed(), bits()));
    std::vector<int> values(n());
    for (int& v : values) v = dist(rng);
    if (n() >= 1) values.front() = lowest(is_signed(), bits());
    if (n() >= 2) values.back() = highest(is_signed(), bits());
    return values;
  }
};

TEST_P(BitpackRoundTrip, UnpackInvertsPack) {
  const std::vector<int> values = random_values();
  const std::vector<uint8_t> bytes = pack(is_signed(), values, bits());
  EXPECT_EQ(bytes.size(), packed_size(n(), bits()));
  EXPECT_EQ(unpack(is_signed(), bytes, n(), bits()), values);
}

TEST_P(BitpackRoundTrip, ElementAccessorAgreesWithUnpack) {
  const std::vector<uint8_t> bytes = pack(is_signed(), random_values(), bits());
  const std::vector<int> values = unpack(is_signed(), bytes, n(), bits());
  for (size_t i = 0; i < n(); ++i)
    ASSERT_EQ(packed_at(is_signed(), bytes, i, bits()), values[i]) << "index " << i;
}

INSTANTIATE_TEST_SUITE_P(AllWidths, BitpackRoundTrip,
                         ::testing::Combine(::testing::Range(2, 9), ::testing::Bool(),
                                            ::testing::Values<size_t>(0, 1, 2, 3, 7, 8, 9, 13, 64,
                                                                      1001)),
                         [](const auto& p) {
                           return std::string(kind(std::get<1>(p.param))) + "_bits" +
                                  std::to_string(std::get<0>(p.param)) + "_n" +
                                  std::to_string(std::get<2>(p.param));
                         });

// ---- Rejected inputs ---------------------------------------------------------------------------

class BitpackRejectsBits : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(BitpackRejectsBits, InPackAndUnpack) {
  const int bits = std::get<0>(GetParam());
  const bool is_signed = std::get<1>(GetParam());
  const std::vector<std::string> mention = {"bits must be in 2..8", "got " + std::to_string(bits)};
  expect_invalid([&] { pack(is_signed, {0}, bits); }, mention);
  expect_invalid([&] { unpack(is_signed, {0}, 1, bits); }, mention);
}

INSTANTIATE_TEST_SUITE_P(Cases, BitpackRejectsBits,
                         ::testing::Combine(::testing::Values(1, 9, 0, -1), ::testing::Bool()));

struct OutOfRange {
  bool is_signed;
  int bits;
  std::vector<int> values;
  size_t bad_index;
};

void PrintTo(const OutOfRange& c, std::ostream* os) {
  *os << kind(c.is_signed) << " " << c.bits << "-bit, bad index " << c.bad_index;
}

class BitpackRejectsValue : public ::testing::TestWithParam<OutOfRange> {};

TEST_P(BitpackRejectsValue, NamingItsIndex) {
  const OutOfRange& c = GetParam();
  expect_invalid([&] { pack(c.is_signed, c.values, c.bits); },
                 {"value " + std::to_string(c.values[c.bad_index]),
                  "at index " + std::to_string(c.bad_index), "does not fit"});
}

INSTANTIATE_TEST_SUITE_P(Cases, BitpackRejectsValue,
                         ::testing::Values(OutOfRange{true, 3, {0, 3, 4}, 2},  // max + 1
                                           OutOfRange{true, 3, {-5}, 0},       // min - 1
                                           OutOfRange{true, 2, {1, -2, -3, 0}, 2},
                                           OutOfRange{true, 7, {63, -64, 64}, 2},
                                           OutOfRange{false, 2, {3, 4}, 1},  // max + 1
                                           OutOfRange{false, 7, {0, 0, 0, 127, 128}, 4},
                                           OutOfRange{false, 5, {255}, 0}));

struct BadStream {
  const char* name;
  bool is_signed;
  int bits;
  size_t n;
  std::vector<uint8_t> bytes;
  std::vector<std::string> mention;
};

void PrintTo(const BadStream& c, std::ostream* os) {
  *os << c.name;
}

class BitpackRejectsStream : public ::testing::TestWithParam<BadStream> {};

TEST_P(BitpackRejectsStream, InUnpack) {
  const BadStream& c = GetParam();
  expect_invalid([&] { unpack(c.is_signed, c.bytes, c.n, c.bits); }, c.mention);
}

// Padding cases: n * bits leaves the high bits of the last byte unused and one of them (the
// named stream bit) is set. huge_n (2^61 on 64-bit): n * 8 wraps to 0 in packed_size, so the
// empty stream would pass a plain size check.
const BadStream kBadStreams[] = {
    {"short_by_one", true, 3, 3, {0x00}, {"expected 2 bytes", "got 1"}},
    {"long_by_one", false, 3, 3, {0x00, 0x00, 0x00}, {"expected 2 bytes", "got 3"}},
    {"bytes_for_nothing", true, 4, 0, {0x00}, {"expected 0 bytes", "got 1"}},
    {"missing_all", false, 8, 4, {}, {"expected 4 bytes", "got 0"}},
    {"w3_n3_padding_bit_9", true, 3, 3, {0x00, 0x02}, {"padding", "low 1 bits"}},
    {"u3_n3_padding_bit_15", false, 3, 3, {0xFF, 0x81}, {"padding", "low 1 bits"}},
    {"u2_n5_padding_bit_10", false, 2, 5, {0x00, 0x04}, {"padding", "low 2 bits"}},
    {"w5_n1_padding_bit_5", true, 5, 1, {0x20}, {"padding", "low 5 bits"}},
    {"u7_n1_padding_bit_7", false, 7, 1, {0x80}, {"padding", "low 7 bits"}},
    {"huge_n", true, 8, std::numeric_limits<size_t>::max() / 8 + 1, {}, {"too large"}},
};

INSTANTIATE_TEST_SUITE_P(Cases, BitpackRejectsStream, ::testing::ValuesIn(kBadStreams),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace mpgru::quant
