// Wilson, exact McNemar and Newcombe's paired interval for the headline figures.
#include "report/intervals.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace mpgru::report {
namespace {

// sqrt(x^2 - 2 phi x y + y^2): the square-and-add step, with rounding kept from going negative.
double square_and_add(double x, double y, double phi) {
  return std::sqrt(std::max(0.0, x * x - 2 * phi * x * y + y * y));
}

// Newcombe's (1998) phi for method 10: the numerator AD - BC is lowered by n/2 when above n/2 and
// set to 0 in [0, n/2]; his published intervals are only reproduced with this correction. Doubles
// because the margin product overflows int64 from about 5 * 10^4 sequences.
double newcombe_phi(const PairedCounts& c) {
  const double e = static_cast<double>(c.both), f = static_cast<double>(c.only_a);
  const double g = static_cast<double>(c.only_b), h = static_cast<double>(c.neither);
  const double margins = (e + f) * (g + h) * (e + g) * (f + h);
  if (margins == 0) return 0;
  const double half_n = (e + f + g + h) / 2;
  double numerator = e * h - f * g;
  if (numerator > half_n) {
    numerator -= half_n;
  } else if (numerator >= 0) {
    numerator = 0;
  }
  return numerator / std::sqrt(margins);
}

std::string counts_text(const PairedCounts& c) {
  return "both = " + std::to_string(c.both) + ", only_a = " + std::to_string(c.only_a) +
         ", only_b = " + std::to_string(c.only_b) + ", neither = " + std::to_string(c.neither);
}

}  // namespace

Interval wilson(int64_t successes, int64_t n, double z) {
  if (n <= 0 || successes < 0 || successes > n) {
    throw std::invalid_argument("wilson: successes = " + std::to_string(successes) + ", n = " +
                                std::to_string(n) + "; expected n > 0 and 0 <= successes <= n");
  }
  // The closed form multiplied through by n, so counts enter without rounding p = k/n first.
  const double k = static_cast<double>(successes), m = static_cast<double>(n), z2 = z * z;
  const double center = (k + z2 / 2) / (m + z2);
  const double half = z * std::sqrt(k * (m - k) / m + z2 / 4) / (m + z2);
  Interval interval{center - half, center + half};
  // At the ends the bound is exactly 0 or 1 in real arithmetic; say so instead of leaving 1e-17.
  if (successes == 0) interval.low = 0;
  if (successes == n) interval.high = 1;
  return interval;
}

double mcnemar_exact_p(int64_t only_a, int64_t only_b) {
  if (only_a < 0 || only_b < 0) {
    throw std::invalid_argument("mcnemar_exact_p: only_a = " + std::to_string(only_a) +
                                ", only_b = " + std::to_string(only_b) + "; expected both >= 0");
  }
  const int64_t m = only_a + only_b;
  const int64_t k = std::min(only_a, only_b);
  if (m == 0) return 1;
  // Since k <= m/2, P[X = i] falls as i goes down from k: sum the ratios P[X = i] / P[X = k]
  // (1 at i = k) until they no longer change the sum, then scale by P[X = k] in log space.
  const double md = static_cast<double>(m), kd = static_cast<double>(k);
  const double log_top =
      std::lgamma(md + 1) - std::lgamma(kd + 1) - std::lgamma(md - kd + 1) - md * std::log(2.0);
  double sum = 0, ratio = 1;
  for (int64_t i = k; i >= 0; --i) {
    sum += ratio;
    ratio *= static_cast<double>(i) / static_cast<double>(m - i + 1);
    if (ratio < sum * std::numeric_limits<double>::epsilon() / 4) break;
  }
  return std::min(1.0, 2 * std::exp(log_top + std::log(sum)));
}

Interval paired_difference(const PairedCounts& counts, double z) {
  const PairedCounts& c = counts;
  if (c.both < 0 || c.only_a < 0 || c.only_b < 0 || c.neither < 0 || c.n() == 0) {
    throw std::invalid_argument("paired_difference: " + counts_text(c) +
                                "; expected no negative count and n > 0");
  }
  const int64_t n = c.n();
  const int64_t a_right = c.both + c.only_a, b_right = c.both + c.only_b;
  const double p_a = static_cast<double>(a_right) / static_cast<double>(n);
  const double p_b = static_cast<double>(b_right) / static_cast<double>(n);
  const Interval w_a = wilson(a_right, n, z), w_b = wilson(b_right, n, z);
  const double phi = newcombe_phi(c);
  const double below_a = p_a - w_a.low, above_a = w_a.high - p_a;
  const double below_b = p_b - w_b.low, above_b = w_b.high - p_b;
  // Written so that swapping a and b swaps the two lines exactly: the interval is antisymmetric.
  const double difference = p_a - p_b;
  const double low = difference - square_and_add(below_a, above_b, phi);
  const double high = difference + square_and_add(below_b, above_a, phi);
  // Method 10 stays within [-1, 1] in real arithmetic; the clamp only absorbs rounding.
  return {std::max(-1.0, low), std::min(1.0, high)};
}

}  // namespace mpgru::report
