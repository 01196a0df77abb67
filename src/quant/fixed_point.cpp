// Reference implementation of the fixed-point requantization primitives in fixed_point.hpp.
#include "quant/fixed_point.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace mpgru::quant {
namespace {

// Enough digits that the message names the exact double that was rejected.
std::string exact(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

void check_scale(double scale, const char* name) {
  if (std::isfinite(scale) && scale > 0) return;
  throw std::invalid_argument(std::string("make_add_params: ") + name + " = " + exact(scale) +
                              ", expected a positive finite scale");
}

}  // namespace

Multiplier decompose_multiplier(double real_multiplier) {
  if (!std::isfinite(real_multiplier) || real_multiplier < 0) {
    throw std::invalid_argument("decompose_multiplier: multiplier " + exact(real_multiplier) +
                                " must be finite and >= 0");
  }
  if (real_multiplier == 0) return {};
  int shift = 0;
  const double frac = std::frexp(real_multiplier, &shift);
  // frac * 2^31 is exact in double (53-bit frac); llround rounds its ties away from zero.
  int64_t m0 = std::llround(std::ldexp(frac, 31));
  if (m0 == (int64_t{1} << 31)) {
    m0 /= 2;
    ++shift;
  }
  if (shift > 30) {
    throw std::invalid_argument("decompose_multiplier: multiplier " + exact(real_multiplier) +
                                " does not fit: m0 * 2^(shift - 31) needs shift " +
                                std::to_string(shift) + " > 30 (multiplier >= 2^30)");
  }
  if (shift < -31) return {};
  return {static_cast<int32_t>(m0), shift};
}

long double multiplier_value(const Multiplier& m) {
  return std::ldexp(static_cast<long double>(m.m0), m.shift - 31);
}

int32_t clamp_signed(int32_t x, int bits) {
  assert(bits >= 2 && bits <= 8);
  return std::clamp(x, -signed_max(bits), signed_max(bits));
}

int32_t clamp_unsigned(int32_t x, int bits) {
  assert(bits >= 2 && bits <= 8);
  return std::clamp(x, int32_t{0}, unsigned_max(bits));
}

AddParams make_add_params(double scale_a, double scale_b, double scale_out) {
  check_scale(scale_a, "scale_a");
  check_scale(scale_b, "scale_b");
  check_scale(scale_out, "scale_out");
  const double max_in = std::max(scale_a, scale_b);
  // s / (2 max) and 2 max / (2^kAddLeftShift s_out), written so that huge scales cannot
  // overflow an intermediate; scaling by a power of two is exact, so the values are the same.
  AddParams p;
  p.a = decompose_multiplier(0.5 * (scale_a / max_in));
  p.b = decompose_multiplier(0.5 * (scale_b / max_in));
  try {
    p.out = decompose_multiplier(std::ldexp(max_in / scale_out, 1 - kAddLeftShift));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(
        "make_add_params(scale_a = " + exact(scale_a) + ", scale_b = " + exact(scale_b) +
        ", scale_out = " + exact(scale_out) + "): output scale too small: " + e.what());
  }
  return p;
}

}  // namespace mpgru::quant
