// Fixed-point requantization against exact long double references: random sweeps (fixed seed),
// exact ties, saturation, multipliers near 0 and 1, rejected inputs.
#include "quant/fixed_point.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <iterator>
#include <limits>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace mpgru::quant {
namespace {

// The references compute in long double and are exact because every intermediate needs at most
// 62 significant bits (|a * b| <= 2^62, |x * m0| < 2^62) and scaling by 2^k is exact.
static_assert(std::numeric_limits<long double>::digits >= 64, "references need 64-bit mantissa");
static_assert((int64_t{255} << kAddLeftShift) < (int64_t{1} << 28), "header: shifted |q| < 2^28");

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
constexpr int32_t kHalf = int32_t{1} << 30;  // 0.5 in Q0.31; also the smallest valid m0
constexpr uint64_t kSeed = 0x6d70677275;     // "mpgru": every random sweep is reproducible
constexpr int kRandomCases = 1'000'000;

using Rng = std::mt19937_64;

std::string str(const Multiplier& m) {
  return "{m0=" + std::to_string(m.m0) + ", shift=" + std::to_string(m.shift) + "}";
}

int32_t clamp32(long double v) {
  return static_cast<int32_t>(std::clamp<long double>(v, kMin, kMax));
}

// round(v), ties away from zero (std::round), saturated to int32.
int32_t round_sat(long double v) {
  return clamp32(std::round(v));
}

int32_t ref_high_mul(int32_t a, int32_t b) {
  return round_sat(std::ldexp(static_cast<long double>(int64_t{a} * b), -31));
}
int32_t ref_divide_by_pot(int32_t x, int e) {
  return round_sat(std::ldexp(static_cast<long double>(x), -e));
}
int32_t ref_left_shift(int32_t x, int e) {
  return clamp32(std::ldexp(static_cast<long double>(x), e));
}
long double exact_apply(int32_t x, const Multiplier& m) {
  return x * multiplier_value(m);
}

// Where rounding, sign handling and saturation change behaviour.
constexpr int32_t kSpecial[] = {kMin,  kMin + 1,  kMin / 2, -kHalf - 1, -kHalf, -65536, -3,
                                -2,    -1,        0,        1,          2,      3,      65536,
                                kHalf, kHalf + 1, kMax / 2, kMax - 1,   kMax};

// 1 in 8 a special value; otherwise a uniform int32 divided by 2^[0, 31], so magnitudes are
// spread over all bit widths and both signs instead of clustering near 2^31.
int32_t draw_int32(Rng& rng) {
  const uint64_t r = rng();
  if ((r & 7) == 0) return kSpecial[(r >> 3) % std::size(kSpecial)];
  const auto raw = static_cast<int32_t>(static_cast<uint32_t>(r >> 32));
  return static_cast<int32_t>(int64_t{raw} / (int64_t{1} << ((r >> 3) % 32)));
}

// Multipliers near 0 (2^-32), near 1 (1 - 2^-31, 1, 1 + 2^-30), the largest, and zero.
const Multiplier kEdgeMultipliers[] = {{kHalf, -31},   {kMax, -31}, {kMax, 0},   {kHalf, 1},
                                       {kHalf + 1, 1}, {kMax, 30},  {kHalf, 30}, {0, 0}};

// 1 in 8 an edge multiplier; otherwise m0 uniform in [2^30, 2^31), shift uniform in [-31, 30]:
// M spans 2^-32 .. 2^30.
Multiplier draw_multiplier(Rng& rng) {
  const uint64_t r = rng();
  if ((r & 7) == 0) return kEdgeMultipliers[(r >> 3) % std::size(kEdgeMultipliers)];
  const auto m0 = static_cast<int32_t>(kHalf + static_cast<int64_t>((r >> 3) % kHalf));
  return {m0, static_cast<int>((r >> 40) % 62) - 31};
}

double log_uniform(Rng& rng, double lo, double hi) {
  return std::exp(std::uniform_real_distribution<double>(std::log(lo), std::log(hi))(rng));
}

// ---------------------------------------------------------------- decompose_multiplier

// Tolerance: m0 = round(frac * 2^31) errs by <= 0.5 units of 2^(shift-31) while M >= 2^(shift-1),
// so the relative error is <= 2^-31 (half an ulp of Q0.31).
void expect_round_trip(double real) {
  const Multiplier m = decompose_multiplier(real);
  EXPECT_GE(m.m0, kHalf) << real << " -> " << str(m);
  EXPECT_GE(m.shift, -31) << real << " -> " << str(m);
  EXPECT_LE(m.shift, 30) << real << " -> " << str(m);
  const long double err = std::fabs(multiplier_value(m) - static_cast<long double>(real));
  EXPECT_LE(err, std::ldexp(static_cast<long double>(real), -31)) << real << " -> " << str(m);
}

TEST(DecomposeMultiplier, RoundTripsWithinHalfQ031UlpAcrossMagnitudes) {
  Rng rng(kSeed);
  for (int i = 0; i < kRandomCases; ++i) {
    const double real = log_uniform(rng, 1e-9, 1e9);
    expect_round_trip(real);
    if (HasFailure()) return;
  }
  std::uniform_real_distribution<double> frac(0.5, 1.0);
  for (int e = -31; e <= 30; ++e) {
    for (int i = 0; i < 1000; ++i) expect_round_trip(std::ldexp(frac(rng), e));
  }
}

struct DecomposeCase {
  double real;
  int32_t m0;
  int shift;
  const char* meaning;
};
std::ostream& operator<<(std::ostream& os, const DecomposeCase& c) {
  return os << c.meaning;
}

class DecomposeTable : public testing::TestWithParam<DecomposeCase> {};

TEST_P(DecomposeTable, GivesExpectedM0AndShift) {
  const DecomposeCase& c = GetParam();
  const Multiplier m = decompose_multiplier(c.real);
  EXPECT_EQ(m.m0, c.m0) << c.meaning << ": " << c.real << " -> " << str(m);
  EXPECT_EQ(m.shift, c.shift) << c.meaning << ": " << c.real << " -> " << str(m);
}

INSTANTIATE_TEST_SUITE_P(
    Edges, DecomposeTable,
    testing::Values(
        DecomposeCase{0.0, 0, 0, "zero is {0, 0}"},
        DecomposeCase{-0.0, 0, 0, "negative zero equals zero"},
        DecomposeCase{0.5, kHalf, 0, "0.5 = 0.5 * 2^0"},
        DecomposeCase{0.75, 3 << 29, 0, "0.75 = 0.75 * 2^0"},
        DecomposeCase{1.0, kHalf, 1, "1 = 0.5 * 2^1"},
        DecomposeCase{0.5 + 0x1p-32, kHalf + 1, 0, "m0 tie 2^30 + 0.5 rounds up"},
        DecomposeCase{1.0 - 0x1p-31, kMax, 0, "1 - 2^-31: largest m0 at shift 0"},
        DecomposeCase{1.0 - 0x1p-32, kHalf, 1, "m0 tie 2^31 - 0.5 rounds to 2^31: renormalized"},
        DecomposeCase{std::nextafter(1.0, 0.0), kHalf, 1, "just below 1 rounds up to 1"},
        DecomposeCase{0x1p-32, kHalf, -31, "2^-32: smallest nonzero multiplier"},
        DecomposeCase{std::nextafter(0x1p-32, 0.0), kHalf, -31, "just below 2^-32 rounds up"},
        DecomposeCase{0x1p-32 - 0x1p-64, kHalf, -31, "m0 tie 2^31 - 0.5 at shift -32 rounds up"},
        DecomposeCase{0x1p-32 - 0x1p-63, 0, 0, "m0 = 2^31 - 1 at shift -32 flushes to zero"},
        DecomposeCase{0.75 * 0x1p-32, 0, 0, "below 2^-32 flushes to zero"},
        DecomposeCase{std::numeric_limits<double>::denorm_min(), 0, 0, "denormal flushes"},
        DecomposeCase{0x1p29, kHalf, 30, "2^29"},
        DecomposeCase{0x1p30 - 0.5, kMax, 30, "2^30 - 1/2: largest accepted"}));

class DecomposeRejects : public testing::TestWithParam<double> {};

TEST_P(DecomposeRejects, ThrowsInvalidArgumentNamingTheValue) {
  try {
    const Multiplier m = decompose_multiplier(GetParam());
    ADD_FAILURE() << GetParam() << " accepted as " << str(m);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("multiplier"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(BadMultipliers, DecomposeRejects,
                         testing::Values(-1.0, -std::numeric_limits<double>::denorm_min(), -0x1p-40,
                                         std::numeric_limits<double>::quiet_NaN(),
                                         std::numeric_limits<double>::infinity(),
                                         -std::numeric_limits<double>::infinity(), 0x1p30,
                                         0x1p30 - 0.25,  // m0 rounds up to 2^31, shift would be 31
                                         1e300, std::numeric_limits<double>::max()));

// ------------------------------------------------- saturating_rounding_doubling_high_mul

// Tolerance 0: the result must equal the exact round-half-away of a * b / 2^31 (saturated).
TEST(SaturatingRoundingDoublingHighMul, EqualsExactReferenceOnRandomAndSpecialPairs) {
  for (int32_t a : kSpecial) {
    for (int32_t b : kSpecial) {
      EXPECT_EQ(saturating_rounding_doubling_high_mul(a, b), ref_high_mul(a, b))
          << "a=" << a << " b=" << b;
    }
  }
  Rng rng(kSeed);
  for (int i = 0; i < kRandomCases; ++i) {
    const int32_t a = draw_int32(rng);
    const int32_t b = draw_int32(rng);
    ASSERT_EQ(saturating_rounding_doubling_high_mul(a, b), ref_high_mul(a, b))
        << "a=" << a << " b=" << b;
  }
}

struct HighMulCase {
  int32_t a;
  int32_t b;
  int32_t want;
  const char* meaning;  // in Q0.31 reals
};
std::ostream& operator<<(std::ostream& os, const HighMulCase& c) {
  return os << c.meaning;
}

class HighMulTable : public testing::TestWithParam<HighMulCase> {};

TEST_P(HighMulTable, GivesExpectedValue) {
  const HighMulCase& c = GetParam();
  EXPECT_EQ(saturating_rounding_doubling_high_mul(c.a, c.b), c.want)
      << c.meaning << ": a=" << c.a << " b=" << c.b;
}

INSTANTIATE_TEST_SUITE_P(
    Edges, HighMulTable,
    testing::Values(HighMulCase{kMin, kMin, kMax, "-1 * -1 = 1 saturates to 1 - 2^-31"},
                    HighMulCase{kMin, kMax, -kMax, "-1 * (1 - 2^-31)"},
                    HighMulCase{kMax, kMax, kMax - 1, "(1 - 2^-31)^2 = 1 - 2^-30 + 2^-62"},
                    HighMulCase{kMin, 1, -1, "-1 * 2^-31"},
                    HighMulCase{kMin, kHalf, -kHalf, "-1 * 0.5"},
                    HighMulCase{1 << 15, 1 << 15, 1, "product 0.5 LSB: tie rounds up"},
                    HighMulCase{-(1 << 15), 1 << 15, -1, "product -0.5 LSB: tie rounds down"},
                    HighMulCase{3, kHalf, 2, "1.5 LSB: tie rounds away to 2"},
                    HighMulCase{-3, kHalf, -2, "-1.5 LSB: tie rounds away to -2"},
                    HighMulCase{1, kHalf - 1, 0, "just below 0.5 LSB"},
                    HighMulCase{-1, kHalf - 1, 0, "just above -0.5 LSB"},
                    HighMulCase{1, kHalf + 1, 1, "just above 0.5 LSB"},
                    HighMulCase{0, kMin, 0, "0 * -1"}));

// Tolerance 0: a * b = (2k + 1) * 2^30 is exactly k + 1/2 LSB and must become +-(k + 1).
TEST(SaturatingRoundingDoublingHighMul, ExactTiesRoundAwayFromZeroForBothSigns) {
  Rng rng(kSeed);
  for (int i = 0; i < 100'000; ++i) {
    const int split = static_cast<int>(rng() % 31);  // a carries 2^split, b carries 2^(30-split)
    const int64_t odd_a = 2 * static_cast<int64_t>(rng() % (uint64_t{1} << (30 - split))) + 1;
    const int64_t odd_b = 2 * static_cast<int64_t>(rng() % (uint64_t{1} << split)) + 1;
    const int sign_a = (rng() & 1) ? -1 : 1;
    const int sign_b = (rng() & 1) ? -1 : 1;
    const auto a = static_cast<int32_t>(sign_a * odd_a * (int64_t{1} << split));
    const auto b = static_cast<int32_t>(sign_b * odd_b * (int64_t{1} << (30 - split)));
    const int64_t away = (odd_a * odd_b + 1) / 2;
    ASSERT_EQ(saturating_rounding_doubling_high_mul(a, b), sign_a * sign_b * away)
        << "a=" << a << " b=" << b;
  }
}

// Tolerance 0: with a != INT32_MIN neither side saturates, and rounding is sign-symmetric.
TEST(SaturatingRoundingDoublingHighMul, IsOddSymmetricAndCommutative) {
  Rng rng(kSeed + 1);
  for (int i = 0; i < kRandomCases; ++i) {
    const int32_t a = std::max(draw_int32(rng), kMin + 1);
    const int32_t b = draw_int32(rng);
    const int32_t ab = saturating_rounding_doubling_high_mul(a, b);
    ASSERT_EQ(saturating_rounding_doubling_high_mul(-a, b), -ab) << "a=" << a << " b=" << b;
    ASSERT_EQ(saturating_rounding_doubling_high_mul(b, a), ab) << "a=" << a << " b=" << b;
  }
}

// ------------------------------------------- rounding_divide_by_pot, saturating_left_shift

class RoundingDivideByPot : public testing::TestWithParam<int> {};

// Tolerance 0 against round-half-away(x / 2^e); 32 exponents x 32000 = 1.02e6 random cases.
TEST_P(RoundingDivideByPot, EqualsExactReferenceOnRandomAndSpecialValues) {
  const int e = GetParam();
  for (int32_t x : kSpecial) {
    EXPECT_EQ(rounding_divide_by_pot(x, e), ref_divide_by_pot(x, e)) << "x=" << x << " e=" << e;
  }
  Rng rng(kSeed + static_cast<uint64_t>(e));
  for (int i = 0; i < 32'000; ++i) {
    const int32_t x = draw_int32(rng);
    ASSERT_EQ(rounding_divide_by_pot(x, e), ref_divide_by_pot(x, e)) << "x=" << x << " e=" << e;
  }
}

class RoundingDivideByPotTies : public testing::TestWithParam<int> {};

// Tolerance 0: x = +-(2k + 1) * 2^(e-1) is exactly +-(k + 1/2) and must become +-(k + 1).
TEST_P(RoundingDivideByPotTies, RoundAwayFromZeroForBothSigns) {
  const int e = GetParam();
  Rng rng(kSeed + static_cast<uint64_t>(e));
  for (int i = 0; i < 1000; ++i) {
    const int64_t k = static_cast<int64_t>(rng() % (uint64_t{1} << (31 - e)));
    const auto x = static_cast<int32_t>((2 * k + 1) << (e - 1));
    EXPECT_EQ(rounding_divide_by_pot(x, e), k + 1) << "x=" << x << " e=" << e;
    EXPECT_EQ(rounding_divide_by_pot(-x, e), -(k + 1)) << "x=" << -x << " e=" << e;
  }
}

INSTANTIATE_TEST_SUITE_P(Exponents, RoundingDivideByPot, testing::Range(0, 32));
INSTANTIATE_TEST_SUITE_P(Exponents, RoundingDivideByPotTies,
                         testing::Range(1, 32));  // e = 0: no ties

class SaturatingLeftShift : public testing::TestWithParam<int> {};

// Tolerance 0 against clamp(x * 2^e) computed exactly.
TEST_P(SaturatingLeftShift, EqualsExactReferenceOnRandomAndSpecialValues) {
  const int e = GetParam();
  for (int32_t x : kSpecial) {
    EXPECT_EQ(saturating_left_shift(x, e), ref_left_shift(x, e)) << "x=" << x << " e=" << e;
  }
  Rng rng(kSeed + static_cast<uint64_t>(e));
  for (int i = 0; i < 32'000; ++i) {
    const int32_t x = draw_int32(rng);
    ASSERT_EQ(saturating_left_shift(x, e), ref_left_shift(x, e)) << "x=" << x << " e=" << e;
  }
}

// The last inputs that fit and the first that saturate, at both ends.
TEST_P(SaturatingLeftShift, SaturatesExactlyPastBothLimits) {
  const int e = GetParam();
  const auto top = static_cast<int32_t>(kMax / (int64_t{1} << e));     // top * 2^e <= INT32_MAX
  const auto bottom = static_cast<int32_t>(kMin / (int64_t{1} << e));  // bottom * 2^e == INT32_MIN
  EXPECT_EQ(saturating_left_shift(top, e), int64_t{top} << e) << "e=" << e;
  EXPECT_EQ(saturating_left_shift(bottom, e), kMin) << "e=" << e;
  EXPECT_EQ(saturating_left_shift(kMax, e), kMax) << "e=" << e;
  EXPECT_EQ(saturating_left_shift(kMin, e), kMin) << "e=" << e;
  if (e == 0) return;
  EXPECT_EQ(saturating_left_shift(top + 1, e), kMax) << "e=" << e;
  EXPECT_EQ(saturating_left_shift(bottom - 1, e), kMin) << "e=" << e;
}

INSTANTIATE_TEST_SUITE_P(Exponents, SaturatingLeftShift, testing::Range(0, 32));

// ------------------------------------------------------------------------ apply_multiplier

bool left_shift_saturates(int32_t x, const Multiplier& m) {
  const long double shifted = std::ldexp(static_cast<long double>(x), std::max(m.shift, 0));
  return shifted > kMax || shifted < kMin;
}

// Tolerance, when the left shift does not saturate: 0 for shift >= 0 (one rounding of the exact
// x * M), 1 for shift < 0 (round(round(t) / 2^k) differs from round(t / 2^k) by at most 1 since
// the inner error is <= 1/2^(k+1) <= 1/4). When it saturates, the header's result is
// high_mul(INT32_MAX or INT32_MIN, m0). 1e6 random (x, M), M over 2^-32 .. 2^30.
TEST(ApplyMultiplierDoubleRounding, MatchesExactRoundingOnRandomInputs) {
  Rng rng(kSeed);
  int64_t off_by_one = 0;
  int64_t saturated = 0;
  for (int i = 0; i < kRandomCases; ++i) {
    const int32_t x = draw_int32(rng);
    const Multiplier m = draw_multiplier(rng);
    const int32_t got = apply_multiplier_double_rounding(x, m);
    if (left_shift_saturates(x, m)) {
      ++saturated;
      ASSERT_EQ(got, ref_high_mul(x > 0 ? kMax : kMin, m.m0)) << "x=" << x << " M=" << str(m);
      continue;
    }
    const int32_t want = round_sat(exact_apply(x, m));
    if (m.shift >= 0) {
      ASSERT_EQ(got, want) << "x=" << x << " M=" << str(m);
    }
    ASSERT_LE(std::abs(int64_t{got} - want), 1) << "x=" << x << " M=" << str(m);
    off_by_one += got != want;
  }
  RecordProperty("off_by_one", std::to_string(off_by_one));
  RecordProperty("left_shift_saturated", std::to_string(saturated));
  EXPECT_GT(off_by_one, 0) << "the random sweep should reach the double-rounding cases";
}

// Tolerance 0: the single-rounding apply_multiplier is exactly round(x * M) of the stored M,
// saturated to int32, for every x and M (1e6 random (x, M), M over 2^-32 .. 2^30, plus edges).
TEST(ApplyMultiplier, EqualsExactRoundingEverywhere) {
  Rng rng(kSeed + 1);
  for (int i = 0; i < kRandomCases; ++i) {
    const int32_t x = draw_int32(rng);
    const Multiplier m = draw_multiplier(rng);
    ASSERT_EQ(apply_multiplier(x, m), round_sat(exact_apply(x, m))) << "x=" << x << " M=" << str(m);
  }
  for (int32_t x : {kMin, kMin + 1, -1, 0, 1, kMax}) {
    for (const Multiplier& m : {Multiplier{0, 0}, Multiplier{1 << 30, 1}, Multiplier{kMax, 30},
                                Multiplier{1 << 30, -31}, Multiplier{kMax, -31}}) {
      ASSERT_EQ(apply_multiplier(x, m), round_sat(exact_apply(x, m)))
          << "x=" << x << " M=" << str(m);
    }
  }
  // Small inputs keep their precision: 5 * 0.25 = 1.25 -> 1 (the double-rounding form gives 2).
  const Multiplier quarter = decompose_multiplier(0.25);
  EXPECT_EQ(apply_multiplier(5, quarter), 1);
  EXPECT_EQ(apply_multiplier_double_rounding(5, quarter), 2);
  EXPECT_EQ(apply_multiplier(6, quarter), 2);  // 1.5: tie, away from zero
  EXPECT_EQ(apply_multiplier(-6, quarter), -2);
}

// Tolerance 0: with no saturation, apply(-x) = -apply(x) because every rounding is symmetric.
TEST(ApplyMultiplierDoubleRounding, IsOddSymmetricWithoutSaturation) {
  Rng rng(kSeed + 2);
  for (int i = 0; i < kRandomCases; ++i) {
    const int32_t x = std::max(draw_int32(rng), kMin + 1);
    const Multiplier m = draw_multiplier(rng);
    if (left_shift_saturates(x, m) || left_shift_saturates(-x, m)) continue;
    ASSERT_EQ(apply_multiplier_double_rounding(-x, m), -apply_multiplier_double_rounding(x, m))
        << "x=" << x << " M=" << str(m);
  }
}

struct ApplyCase {
  int32_t x;
  Multiplier m;
  int32_t want;
  const char* meaning;
};
std::ostream& operator<<(std::ostream& os, const ApplyCase& c) {
  return os << c.meaning;
}

class ApplyTable : public testing::TestWithParam<ApplyCase> {};

TEST_P(ApplyTable, GivesExpectedValue) {
  const ApplyCase& c = GetParam();
  EXPECT_EQ(apply_multiplier_double_rounding(c.x, c.m), c.want)
      << c.meaning << ": x=" << c.x << " M=" << str(c.m);
}

INSTANTIATE_TEST_SUITE_P(
    Edges, ApplyTable,
    testing::Values(
        ApplyCase{kHalf - 1, {kHalf, 1}, kHalf - 1, "M = 1 = 0.5 * 2^1: identity while 2x fits"},
        ApplyCase{-kHalf, {kHalf, 1}, -kHalf, "M = 1: identity down to -2^30"},
        ApplyCase{kMax, {kHalf, 1}, kHalf, "M = 1: 2x saturates, INT32_MAX * 0.5 -> 2^30"},
        ApplyCase{kMin, {kHalf, 1}, -kHalf, "M = 1: 2x saturates, INT32_MIN * 0.5 = -2^30"},
        ApplyCase{12345, {0, 0}, 0, "M = 0"},
        ApplyCase{kMax, {kMax, 0}, kMax - 1, "M = 1 - 2^-31: 2^31 - 2 + 2^-31"},
        ApplyCase{kMin, {kMax, 0}, kMin + 1, "M = 1 - 2^-31: -(2^31 - 1)"},
        ApplyCase{3, {kHalf, 0}, 2, "M = 0.5: 1.5 ties away to 2"},
        ApplyCase{-3, {kHalf, 0}, -2, "M = 0.5: -1.5 ties away to -2"},
        ApplyCase{5, {kHalf, -1}, 2, "M = 0.25: double rounding 2.5 -> 3 -> 1.5 -> 2 (exact 1)"},
        ApplyCase{
            1, {3 << 29, -1}, 1, "M = 0.375: double rounding 0.75 -> 1 -> 0.5 -> 1 (exact 0)"},
        ApplyCase{-1, {3 << 29, -1}, -1, "M = 0.375: mirrored, -1 (exact -0.375 -> 0)"},
        ApplyCase{kMin, {kHalf, -31}, -1, "M = 2^-32: -0.5 ties away to -1"},
        ApplyCase{kMax, {kHalf, -31}, 1, "M = 2^-32: 0.5 - 2^-32 double-rounds to 1 (exact 0)"},
        ApplyCase{1 << 28, {kHalf, 2}, 1 << 29, "M = 2: 2^28 * 2^2 still fits"},
        ApplyCase{kHalf, {kHalf, 2}, kHalf, "M = 2: x * 4 saturates; INT32_MAX * 0.5 -> 2^30"},
        ApplyCase{-kHalf, {kHalf, 2}, -kHalf, "M = 2: x * 4 saturates; INT32_MIN * 0.5"},
        ApplyCase{1000, {kMax, 30}, kMax - 1, "largest M: saturated (2^31 - 1)^2 / 2^31"}));

// ------------------------------------------------------------------------- clamp_*

struct ClampCase {
  int bits;
  int32_t signed_max;    // 2^(bits-1) - 1; the signed range is narrow: [-signed_max, signed_max]
  int32_t unsigned_max;  // 2^bits - 1
};
std::ostream& operator<<(std::ostream& os, const ClampCase& c) {
  return os << c.bits << " bits";
}

class Clamp : public testing::TestWithParam<ClampCase> {};

// Every x in [-300, 300] and the int32 limits: inside the range unchanged, outside the nearer end.
TEST_P(Clamp, ClampsToNarrowSignedAndUnsignedRanges) {
  const ClampCase& c = GetParam();
  EXPECT_EQ(signed_max(c.bits), c.signed_max);
  EXPECT_EQ(unsigned_max(c.bits), c.unsigned_max);
  std::vector<int32_t> xs = {kMin, kMin + 1, kMax - 1, kMax};
  for (int32_t x = -300; x <= 300; ++x) xs.push_back(x);
  for (int32_t x : xs) {
    const int32_t s = x < -c.signed_max ? -c.signed_max : x > c.signed_max ? c.signed_max : x;
    const int32_t u = x < 0 ? 0 : x > c.unsigned_max ? c.unsigned_max : x;
    EXPECT_EQ(clamp_signed(x, c.bits), s) << "x=" << x << " bits=" << c.bits;
    EXPECT_EQ(clamp_unsigned(x, c.bits), u) << "x=" << x << " bits=" << c.bits;
  }
}

INSTANTIATE_TEST_SUITE_P(Bits, Clamp,
                         testing::Values(ClampCase{2, 1, 3}, ClampCase{3, 3, 7},
                                         ClampCase{4, 7, 15}, ClampCase{5, 15, 31},
                                         ClampCase{6, 31, 63}, ClampCase{7, 63, 127},
                                         ClampCase{8, 127, 255}));

// ------------------------------------------------------------ make_add_params, add_rescaled

TEST(MakeAddParams, LargerInputGetsExactlyOneHalf) {
  const AddParams p = make_add_params(0.02, 0.01, 0.04);
  EXPECT_EQ(p.a.m0, kHalf);  // 0.02 / (2 * 0.02) = 0.5 = 2^30 * 2^(0 - 31)
  EXPECT_EQ(p.a.shift, 0);
  EXPECT_EQ(p.b.m0, kHalf);  // 0.01 / 0.04 = 0.25
  EXPECT_EQ(p.b.shift, -1);
  EXPECT_EQ(p.out.m0, kHalf);  // 0.04 / (2^20 * 0.04) = 2^-20
  EXPECT_EQ(p.out.shift, -19);
}

class MakeAddParamsRejects : public testing::TestWithParam<std::tuple<int, double>> {};

TEST_P(MakeAddParamsRejects, NonPositiveOrNonFiniteScale) {
  const auto [position, bad] = GetParam();
  double scales[3] = {0.1, 0.2, 0.3};
  scales[position] = bad;
  EXPECT_THROW(make_add_params(scales[0], scales[1], scales[2]), std::invalid_argument)
      << "scale #" << position << " = " << bad;
}

INSTANTIATE_TEST_SUITE_P(
    BadScales, MakeAddParamsRejects,
    testing::Combine(testing::Range(0, 3),
                     testing::Values(0.0, -0.0, -0.5, std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(),
                                     std::numeric_limits<double>::quiet_NaN())));

TEST(MakeAddParams, RejectsOutputScaleTooSmallForTheMultiplier) {
  EXPECT_THROW(make_add_params(1.0, 1.0, 1e-20), std::invalid_argument);  // M_out ~ 1.9e14
}

struct AddCase {
  double sa, sb, sy;
  int32_t qa, qb, want;
  const char* meaning;
};
std::ostream& operator<<(std::ostream& os, const AddCase& c) {
  return os << c.meaning;
}

class AddTable : public testing::TestWithParam<AddCase> {};

TEST_P(AddTable, GivesExpectedSum) {
  const AddCase& c = GetParam();
  EXPECT_EQ(add_rescaled(c.qa, c.qb, make_add_params(c.sa, c.sb, c.sy)), c.want)
      << c.meaning << ": qa=" << c.qa << " qb=" << c.qb;
}

INSTANTIATE_TEST_SUITE_P(
    ExactCases, AddTable,
    testing::Values(AddCase{0.1, 0.1, 0.1, 255, 255, 510, "equal scales: plain integer sum"},
                    AddCase{0.1, 0.1, 0.1, -255, 3, -252, "equal scales: mixed signs"},
                    AddCase{0.5, 0.25, 0.25, 3, -5, 1, "y = 2 * 3 - 5"},
                    AddCase{1, 1, 2, 1, 0, 1, "y = 0.5 ties away to 1"},
                    AddCase{1, 1, 2, -1, 0, -1, "y = -0.5 ties away to -1"},
                    AddCase{1, 1, 4, 1, 0, 0, "y = 0.25 rounds to 0"},
                    AddCase{1, 1, 2, 255, 254, 255, "y = 254.5 ties away to 255"}));

// Tolerance. Let T = 2 max(s_a, s_b), M_a ~ s_a / T, M_o ~ T / (2^20 s_y) and
// r(k) = 0.5 + (k > 0 ? 2^-(k+1) : 0) the error of apply_multiplier with right shift k. Each
// rescaled input errs by e_i <= r(k_i) + 255 * 2^20 * 2^-32 (M_i's Q0.31 error; <= 0.813), so
// |out - y| <= B = r(k_o) + (e_a + e_b) * M_o + |y| * 2^-30 (M_o's relative error) for the real
// y = (qa s_a + qb s_b) / s_y. As |y - round(y)| <= 1/2 and both are integers,
// |out - round(y)| <= 1 whenever B < 1.5, i.e. for any M_o <= 0.46 (s_y >= 4.2e-6 * max scale).
// Here scale ratios are <= 1e3, so M_o < 2^-9 and B <= 0.505.
double add_error_bound(const AddParams& p, long double y) {
  const auto r = [](const Multiplier& m) {
    return 0.5 + (m.shift < 0 ? std::ldexp(1.0, m.shift - 1) : 0);
  };
  const double input_err = 255 * 0x1p-12;
  const double e = r(p.a) + r(p.b) + 2 * input_err;
  return r(p.out) + e * static_cast<double>(multiplier_value(p.out)) +
         static_cast<double>(std::fabs(y)) * 0x1p-30;
}

struct AddStats {
  long double max_real_err = 0;
  int64_t max_int_err = 0;
  int64_t not_round = 0;
};

// Checks one sum against the real reference; returns false on the first failure.
::testing::AssertionResult check_add(double sa, double sb, double sy, const AddParams& p,
                                     int32_t qa, int32_t qb, AddStats& stats) {
  const long double y =
      (qa * static_cast<long double>(sa) + qb * static_cast<long double>(sb)) / sy;
  const int32_t got = add_rescaled(qa, qb, p);
  const long double real_err = std::fabs(got - y);
  const int64_t int_err = std::abs(int64_t{got} - static_cast<int64_t>(std::round(y)));
  stats.max_real_err = std::max(stats.max_real_err, real_err);
  stats.max_int_err = std::max(stats.max_int_err, int_err);
  stats.not_round += int_err != 0;
  if (int_err <= 1 && real_err <= add_error_bound(p, y)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << std::setprecision(17) << "s_a=" << sa << " s_b=" << sb << " s_y=" << sy << " qa=" << qa
         << " qb=" << qb << " got " << got << ", real sum " << static_cast<double>(y) << ", bound "
         << add_error_bound(p, y);
}

void record(const AddStats& s) {
  testing::Test::RecordProperty("max_real_err",
                                std::to_string(static_cast<double>(s.max_real_err)));
  testing::Test::RecordProperty("max_int_err", std::to_string(s.max_int_err));
  testing::Test::RecordProperty("not_round", std::to_string(s.not_round));
}

// 10^4 random scale triples (s_b / s_a and s_y / max(s_a, s_b) log-uniform in [1e-3, 1e3]),
// each with 100 random inputs plus the corners: 1.09e6 sums.
TEST(AddRescaled, WithinOneOfRoundedRealSumOnRandomScales) {
  Rng rng(kSeed);
  std::uniform_int_distribution<int32_t> q(-255, 255);
  const std::vector<int32_t> corners = {-255, -1, 0, 1, 255};
  AddStats stats;
  for (int t = 0; t < 10'000; ++t) {
    const double sa = log_uniform(rng, 1e-4, 1.0);
    const double sb = sa * log_uniform(rng, 1e-3, 1e3);
    const double sy = std::max(sa, sb) * log_uniform(rng, 1e-3, 1e3);
    const AddParams p = make_add_params(sa, sb, sy);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(check_add(sa, sb, sy, p, q(rng), q(rng), stats));
    for (int32_t qa : corners) {
      for (int32_t qb : corners) ASSERT_TRUE(check_add(sa, sb, sy, p, qa, qb, stats));
    }
  }
  record(stats);
}

class AddExhaustive : public testing::TestWithParam<std::tuple<double, double, double>> {};

// Same tolerance as above, for every (qa, qb) in [-255, 255]^2 at a few fixed scale triples.
TEST_P(AddExhaustive, WithinOneOfRoundedRealSumForAllInputs) {
  const auto [sa, sb, sy] = GetParam();
  const AddParams p = make_add_params(sa, sb, sy);
  AddStats stats;
  for (int32_t qa = -255; qa <= 255; ++qa) {
    for (int32_t qb = -255; qb <= 255; ++qb) ASSERT_TRUE(check_add(sa, sb, sy, p, qa, qb, stats));
  }
  record(stats);
}

INSTANTIATE_TEST_SUITE_P(Scales, AddExhaustive,
                         testing::Values(std::make_tuple(0.0123, 0.0456, 0.0789),
                                         std::make_tuple(1.0, 1e-3, 2e-3),
                                         std::make_tuple(3e-3, 0.7, 0.05),
                                         std::make_tuple(0.02, 0.03, 1e-4)));

}  // namespace
}  // namespace mpgru::quant
