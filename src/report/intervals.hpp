// 95 % intervals for the headline figures: Wilson for one accuracy, Newcombe's paired interval
// and the exact McNemar test for the difference of two models scored on the same sequences.
#pragma once

#include <cstdint>

namespace mpgru::report {

// 95 % two-sided normal quantile.
inline constexpr double kZ95 = 1.959963984540054;

struct Interval {
  double low = 0, high = 0;
};

// Wilson score interval of a proportion successes/n; low is exactly 0 at 0/n and high exactly 1 at
// n/n. Throws std::invalid_argument if n <= 0 or successes outside 0..n (message names the values).
Interval wilson(int64_t successes, int64_t n, double z = kZ95);

// Two classifiers scored on the same n sequences: both right, only a right, only b right, both
// wrong.
struct PairedCounts {
  int64_t both = 0, only_a = 0, only_b = 0, neither = 0;
  int64_t n() const { return both + only_a + only_b + neither; }
};

// Exact two-sided McNemar p-value min(1, 2 P[X <= min(only_a, only_b)]), X ~ Binomial(only_a +
// only_b, 1/2), summed in log space; 1 when there are no discordant pairs, underflows to 0 only
// past ~1e-308. Throws std::invalid_argument on a negative count.
double mcnemar_exact_p(int64_t only_a, int64_t only_b);

// 95 % interval of p_a - p_b by Newcombe 1998 method 10: the two Wilson intervals combined with
// his continuity-corrected phi (0 when a margin is 0); always within [-1, 1]. Throws
// std::invalid_argument on negative counts or n == 0.
Interval paired_difference(const PairedCounts& counts, double z = kZ95);

}  // namespace mpgru::report
