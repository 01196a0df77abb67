// The headline rule: pick on validation, report on test.
#include "report/headline.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "report/hypervolume.hpp"

namespace mpgru::report {
namespace {

int64_t correct(double accuracy, int64_t count) {
  return std::llround(accuracy * static_cast<double>(count));
}

double ratio(int64_t value, int64_t eight) {
  return static_cast<double>(value) / static_cast<double>(eight);
}

// `a` is the better pick than `b` on `cost`: lower cost, then higher validation accuracy, then
// the smaller compact text (a fixed order, so the pick never depends on the input order).
template <typename Cost>
bool better(const ScoredGenome& a, const ScoredGenome& b, Cost cost) {
  if (cost(a) != cost(b)) return cost(a) < cost(b);
  if (a.val_accuracy != b.val_accuracy) return a.val_accuracy > b.val_accuracy;
  return a.genome.to_compact() < b.genome.to_compact();
}

Interval wilson_or_zero(double accuracy, int64_t count) {
  return count > 0 ? wilson(correct(accuracy, count), count) : Interval{};
}

Interval around(double mean, double half_width) {
  return half_width >= 0 ? Interval{mean - half_width, mean + half_width} : Interval{};
}

// A quality pick's intervals: means over clips with their recorded half-widths.
Pick quality_figures(Pick p, const ScoredGenome& g, const ScoredGenome& eight) {
  p.val_interval = around(g.val_accuracy, g.val_ci95);
  p.test_interval = around(g.test_accuracy, g.test_ci95);
  p.test_difference = g.test_accuracy - eight.test_accuracy;
  p.paired = g.test_difference_ci95 >= 0;
  if (p.paired) p.test_difference_interval = around(p.test_difference, g.test_difference_ci95);
  return p;
}

Pick figures(const ScoredGenome& g, const ScoredGenome& eight, const Metric& metric) {
  Pick p;
  p.genome = &g;
  p.size_reduction = 1 - ratio(g.size_bits, eight.size_bits);
  p.bops_reduction = 1 - ratio(g.bops, eight.bops);
  if (!metric.is_accuracy()) return quality_figures(p, g, eight);
  p.val_interval = wilson_or_zero(g.val_accuracy, g.val_count);
  p.test_interval = wilson_or_zero(g.test_accuracy, g.test_count);
  p.test_difference = g.test_accuracy - eight.test_accuracy;
  p.paired = g.test_only_this >= 0 && g.test_only_eight >= 0 && g.test_count > 0 &&
             g.test_count == eight.test_count;
  if (p.paired) {
    PairedCounts c;
    c.only_a = g.test_only_this;
    c.only_b = g.test_only_eight;
    c.both = correct(g.test_accuracy, g.test_count) - c.only_a;
    c.neither = g.test_count - c.both - c.only_a - c.only_b;
    p.paired = c.both >= 0 && c.neither >= 0;
    if (p.paired) {
      p.test_difference_interval = paired_difference(c);
      p.mcnemar_p = mcnemar_exact_p(c.only_a, c.only_b);
    }
  }
  return p;
}

Objectives objectives(const ScoredGenome& g, const ScoredGenome& eight, bool test, bool bops,
                      const Metric& metric) {
  Objectives v = {metric.error(test ? g.test_accuracy : g.val_accuracy),
                  ratio(g.size_bits, eight.size_bits)};
  if (bops) v.push_back(ratio(g.bops, eight.bops));
  return v;
}

double volume(const std::vector<ScoredGenome>& points, const ScoredGenome& eight, bool test,
              bool bops, const Metric& metric) {
  std::vector<Objectives> v;
  for (const ScoredGenome& g : points) v.push_back(objectives(g, eight, test, bops, metric));
  return hypervolume(v, bops ? Objectives{1.0, 1.05, 1.05} : Objectives{1.0, 1.05});
}

}  // namespace

bool within_tolerance(const ScoredGenome& candidate, const ScoredGenome& eight,
                      const Metric& metric) {
  if (!metric.is_accuracy()) {
    return candidate.val_accuracy >= eight.val_accuracy - metric.tolerance() - 1e-12;
  }
  const int64_t n = candidate.val_count;
  if (n > 0 && n == eight.val_count) {
    // c8 - c <= 0.005 n, in whole sequences: 200 (c8 - c) <= n.
    return 200 * (correct(eight.val_accuracy, n) - correct(candidate.val_accuracy, n)) <= n;
  }
  return candidate.val_accuracy >= eight.val_accuracy - kIsoAccuracyTolerance - 1e-12;
}

Headline headline(const std::vector<ScoredGenome>& front, const std::vector<ScoredGenome>& baseline,
                  bool bops_axis, const Metric& metric) {
  if (baseline.empty()) throw std::invalid_argument("headline: the baseline is empty");
  Headline h;
  h.bops_axis = bops_axis;
  h.metric = metric;
  h.eight = &*std::max_element(
      baseline.begin(), baseline.end(),
      [](const ScoredGenome& a, const ScoredGenome& b) { return a.size_bits < b.size_bits; });
  // Everything is measured against 8-bit: its size and BOPs divide. (An unbuildable genome
  // elsewhere has no BOPs; it scores 0 and is never picked.)
  if (h.eight->size_bits <= 0 || h.eight->bops <= 0) {
    throw std::invalid_argument("homogeneous 8-bit genome " + h.eight->genome.to_compact() +
                                " has no positive size and BOPs");
  }
  const ScoredGenome* smallest = nullptr;
  const ScoredGenome* fewest = nullptr;
  const auto size = [](const ScoredGenome& g) { return g.size_bits; };
  const auto ops = [](const ScoredGenome& g) { return g.bops; };
  for (const ScoredGenome& g : front) {
    if (!within_tolerance(g, *h.eight, metric)) continue;
    if (smallest == nullptr || better(g, *smallest, size)) smallest = &g;
    if (fewest == nullptr || better(g, *fewest, ops)) fewest = &g;
  }
  for (const ScoredGenome& g : baseline) {
    if (g.genome == core::Genome::homogeneous(g.genome.layout(), 2)) {
      h.size_reduction_bound = 1 - ratio(g.size_bits, h.eight->size_bits);
    }
  }
  if (smallest != nullptr) h.size = figures(*smallest, *h.eight, metric);
  if (fewest != nullptr) h.bops = figures(*fewest, *h.eight, metric);
  for (const bool test : {false, true}) {
    Hypervolumes& v = test ? h.test : h.validation;
    v.front = volume(front, *h.eight, test, bops_axis, metric);
    v.baseline = volume(baseline, *h.eight, test, bops_axis, metric);
  }
  return h;
}

}  // namespace mpgru::report
