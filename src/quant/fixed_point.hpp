// Fixed-point requantization primitives (gemmlowp/TFLite scheme), the one module that
// conversion, the engine and the exporter all use. Every function states its rounding and
// saturation. Q formats: a multiplier M0 is Q0.31 (real value M0 / 2^31).
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>

namespace mpgru::quant {

// A positive real multiplier M = m0 * 2^(shift - 31), m0 in [2^30, 2^31) (Q0.31 in [0.5, 1)),
// shift in [-31, 30]. The zero multiplier is {0, 0}.
struct Multiplier {
  int32_t m0 = 0;
  int shift = 0;
};

// Decomposes real M >= 0 into a Multiplier: m0 = round(frac * 2^31) where M = frac * 2^shift,
// frac in [0.5, 1) (std::frexp); if rounding gives 2^31, m0 = 2^30 and shift + 1.
// M below 2^-32 (shift < -31 after decomposition) becomes {0, 0}. Throws
// std::invalid_argument if M is negative, not finite, or >= 2^30 (shift > 30).
// Both edges are decided after rounding m0: M in [2^30 - 2^-2, 2^30) rounds up and is rejected,
// M in [2^-32 - 2^-64, 2^-32) rounds up to 2^-32 and is kept.
Multiplier decompose_multiplier(double real_multiplier);

// The real value m0 * 2^(shift - 31) of a Multiplier, exactly in long double.
long double multiplier_value(const Multiplier& m);

// round(a * b / 2^31), ties away from zero, in Q0.31 terms "a * b doubled, high 32 bits".
// Saturates the single overflowing case a = b = INT32_MIN to INT32_MAX. Exact otherwise.
// (gemmlowp rounds ties of negative products toward +inf; we round both signs away from
// zero so that requantization is symmetric: f(-x) = -f(x).)
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);

// round(x / 2^exponent), ties away from zero, exponent in [0, 31]. Never overflows.
int32_t rounding_divide_by_pot(int32_t x, int exponent);

// x * 2^exponent, exponent in [0, 31], saturated to [INT32_MIN, INT32_MAX].
int32_t saturating_left_shift(int32_t x, int exponent);

// gemmlowp / CMSIS-NN requantization, kept for compatibility checks of exported code.
// Applies M to x: saturating_left_shift(x, max(shift, 0)), then
// saturating_rounding_doubling_high_mul(., m0), then rounding_divide_by_pot(., max(-shift, 0)).
// While x * 2^max(shift, 0) fits in int32: shift >= 0 rounds once and equals round(x * M);
// shift < 0 rounds twice and is within 1 of round(x * M) (x = 5, M = 0.25 gives 2). Otherwise
// the left shift saturates to INT32_MAX / INT32_MIN and the result is round(that * m0 / 2^31):
// right sign, magnitude in [2^30, 2^31), but NOT round(x * M) clamped (x = INT32_MAX,
// M = 1 = 0.5 * 2^1 gives 2^30). Callers needing exactness keep |x| * 2^shift < 2^31.
// Never overflows.
int32_t apply_multiplier_double_rounding(int32_t x, const Multiplier& m);

// The engine's requantization (TFLite's TFLITE_SINGLE_ROUNDING variant): one rounding of the
// exact 64-bit product, round(x * m0 / 2^(31 - shift)) with ties away from zero, saturated to
// int32. Equals round(x * M) exactly for the stored M = m0 * 2^(shift - 31) unless it
// saturates. `m` must be a Multiplier as decompose_multiplier makes them (shift in [-31, 30]).
// Unlike the double-rounding form, small x (products of low-bit values) keep their
// precision, so the engine matches the float simulation.
int32_t apply_multiplier(int32_t x, const Multiplier& m);

// Integer ranges of a b-bit quantity, b in [2, 8] (checked by callers, not here):
// signed narrow symmetric [-(2^(b-1) - 1), 2^(b-1) - 1] (b = 2 is ternary {-1, 0, 1}),
// unsigned [0, 2^b - 1].
constexpr int32_t signed_max(int bits) {
  return (int32_t{1} << (bits - 1)) - 1;
}
constexpr int32_t unsigned_max(int bits) {
  return (int32_t{1} << bits) - 1;
}
int32_t clamp_signed(int32_t x, int bits);
int32_t clamp_unsigned(int32_t x, int bits);

// The TFLite integer-add scheme for y = a + b with real scales s_a, s_b, s_y:
// both inputs shifted left by kAddLeftShift, rescaled to the common scale 2 * max(s_a, s_b)
// / 2^kAddLeftShift by their own multipliers (each <= 0.5), added in int32, then rescaled to
// s_y. With |q| <= 255 inputs the shifted values stay below 2^28: no overflow.
constexpr int kAddLeftShift = 20;

struct AddParams {
  Multiplier a;
  Multiplier b;
  Multiplier out;
};

// Throws std::invalid_argument if a scale is not positive and finite.
AddParams make_add_params(double scale_a, double scale_b, double scale_out);

// The int32 sum at scale s_y before clamping:
// apply(apply(qa << 20, p.a) + apply(qb << 20, p.b), p.out). Inputs must satisfy |q| <= 255.
int32_t add_rescaled(int32_t qa, int32_t qb, const AddParams& p);

// Definitions of the hot primitives, inline: the engine calls them several times per unit
// per step.

inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == std::numeric_limits<int32_t>::min() && b == std::numeric_limits<int32_t>::min())
    return std::numeric_limits<int32_t>::max();
  const int64_t ab = int64_t{a} * b;
  // Adding half of 2^31 with the product's sign, then truncating toward zero, rounds the
  // magnitude half-up: ties go away from zero for both signs.
  const int64_t half = int64_t{1} << 30;
  return static_cast<int32_t>((ab + (ab >= 0 ? half : -half)) / (int64_t{1} << 31));
}

inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  assert(exponent >= 0 && exponent <= 31);
  if (exponent == 0) return x;
  const int64_t v = x;
  const int64_t magnitude = ((v < 0 ? -v : v) + (int64_t{1} << (exponent - 1))) >> exponent;
  return static_cast<int32_t>(v < 0 ? -magnitude : magnitude);
}

inline int32_t saturating_left_shift(int32_t x, int exponent) {
  assert(exponent >= 0 && exponent <= 31);
  // |x| * 2^31 <= 2^62: exact in int64; multiplying avoids shifting a negative value.
  const int64_t shifted = int64_t{x} * (int64_t{1} << exponent);
  const int64_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(std::min(std::max(shifted, lo), hi));
}

inline int32_t apply_multiplier_double_rounding(int32_t x, const Multiplier& m) {
  const int32_t shifted = saturating_left_shift(x, std::max(m.shift, 0));
  const int32_t scaled = saturating_rounding_doubling_high_mul(shifted, m.m0);
  return rounding_divide_by_pot(scaled, std::max(-m.shift, 0));
}

inline int32_t apply_multiplier(int32_t x, const Multiplier& m) {
  // Branch-free (selects only), so loops over it vectorize.
  assert(m.shift >= -31 && m.shift <= 30);
  const int64_t product = int64_t{x} * m.m0;  // |product| < 2^62
  const int64_t magnitude = product < 0 ? -product : product;
  // round(magnitude / 2^k), k = 31 - shift in [1, 62], half up: ((magnitude >> (k - 1)) + 1) >> 1
  // equals (magnitude + 2^(k - 1)) >> k, in a form GCC vectorizes (per-lane shift counts).
  const int64_t rounded = ((magnitude >> (30 - int64_t{m.shift})) + 1) >> 1;
  const int64_t y = product < 0 ? -rounded : rounded;
  const int64_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(std::min(std::max(y, lo), hi));
}

inline int32_t add_rescaled(int32_t qa, int32_t qb, const AddParams& p) {
  assert(qa >= -255 && qa <= 255 && qb >= -255 && qb <= 255);
  const int32_t a = apply_multiplier(saturating_left_shift(qa, kAddLeftShift), p.a);
  const int32_t b = apply_multiplier(saturating_left_shift(qb, kAddLeftShift), p.b);
  return apply_multiplier(a + b, p.out);
}

}  // namespace mpgru::quant
