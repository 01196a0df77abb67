// k-means (Lloyd) with farthest-point seeding and silhouette selection of k.
#include "report/genome_clusters.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

namespace mpgru::report {
namespace {

using Points = std::vector<std::vector<double>>;

double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

size_t nearest(const std::vector<double>& p, const Points& centroids) {
  size_t best = 0;
  for (size_t c = 1; c < centroids.size(); ++c) {
    if (distance(p, centroids[c]) < distance(p, centroids[best])) best = c;
  }
  return best;
}

// Seeds: the first point, then repeatedly the point farthest from every seed so far.
Points farthest_point_seeds(const Points& points, size_t k) {
  Points seeds = {points[0]};
  while (seeds.size() < k) {
    size_t far = 0;
    double far_d = -1;
    for (size_t i = 0; i < points.size(); ++i) {
      const double d = distance(points[i], seeds[nearest(points[i], seeds)]);
      if (d > far_d) far = i, far_d = d;
    }
    seeds.push_back(points[far]);
  }
  return seeds;
}

// Lloyd iterations until no assignment changes; an emptied cluster keeps its centroid.
std::vector<int> lloyd(const Points& points, Points& centroids) {
  std::vector<int> assignment(points.size(), -1);
  for (int iteration = 0; iteration < 100; ++iteration) {
    bool changed = false;
    for (size_t i = 0; i < points.size(); ++i) {
      const int c = static_cast<int>(nearest(points[i], centroids));
      changed = changed || c != assignment[i];
      assignment[i] = c;
    }
    if (!changed) break;
    for (size_t c = 0; c < centroids.size(); ++c) {
      std::vector<double> sum(points[0].size(), 0.0);
      int n = 0;
      for (size_t i = 0; i < points.size(); ++i) {
        if (assignment[i] != static_cast<int>(c)) continue;
        for (size_t g = 0; g < sum.size(); ++g) sum[g] += points[i][g];
        ++n;
      }
      if (n == 0) continue;
      for (double& v : sum) v /= n;
      centroids[c] = sum;
    }
  }
  return assignment;
}

// Mean silhouette: (b - a) / max(a, b) per point, 0 for points alone in their cluster.
double silhouette(const Points& points, const std::vector<int>& assignment, size_t k) {
  double total = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    std::vector<double> sum(k, 0.0);
    std::vector<int> n(k, 0);
    for (size_t j = 0; j < points.size(); ++j) {
      if (j == i) continue;
      sum[assignment[j]] += distance(points[i], points[j]);
      ++n[assignment[j]];
    }
    const int own = assignment[i];
    if (n[own] == 0) continue;
    const double a = sum[own] / n[own];
    double b = std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < k; ++c) {
      if (static_cast<int>(c) != own && n[c] > 0) b = std::min(b, sum[c] / n[c]);
    }
    if (std::isfinite(b) && std::max(a, b) > 0) total += (b - a) / std::max(a, b);
  }
  return total / static_cast<double>(points.size());
}

// Renumbers clusters in order of their first member and drops empty ones.
GenomeClusters finish(const Points& points, const std::vector<int>& assignment, double score) {
  GenomeClusters out;
  std::vector<int> renumber;
  for (int c : assignment) {
    if (std::find(renumber.begin(), renumber.end(), c) == renumber.end()) renumber.push_back(c);
  }
  const size_t genes = points[0].size();
  out.centroids.assign(renumber.size(), std::vector<double>(genes, 0.0));
  out.sizes.assign(renumber.size(), 0);
  for (size_t i = 0; i < points.size(); ++i) {
    const int c = static_cast<int>(std::find(renumber.begin(), renumber.end(), assignment[i]) -
                                   renumber.begin());
    out.assignment.push_back(c);
    ++out.sizes[c];
    for (size_t g = 0; g < genes; ++g) out.centroids[c][g] += points[i][g];
  }
  for (size_t c = 0; c < renumber.size(); ++c) {
    for (double& v : out.centroids[c]) v /= out.sizes[c];
  }
  out.silhouette = renumber.size() > 1 ? score : 0.0;
  return out;
}

}  // namespace

GenomeClusters cluster_genomes(const std::vector<std::vector<int>>& genomes, int max_k) {
  if (max_k < 1) throw std::invalid_argument("max_k must be >= 1, got " + std::to_string(max_k));
  if (genomes.empty()) return {};
  Points points;
  for (const auto& g : genomes) {
    if (g.size() != genomes[0].size()) {
      throw std::invalid_argument(
          "genomes to cluster differ in length: " + std::to_string(g.size()) + " vs " +
          std::to_string(genomes[0].size()));
    }
    points.emplace_back(g.begin(), g.end());
  }
  const size_t distinct = std::set<std::vector<int>>(genomes.begin(), genomes.end()).size();
  const size_t top_k = std::min(static_cast<size_t>(max_k), distinct > 0 ? distinct - 1 : 0);
  std::vector<int> best(points.size(), 0);
  double best_score = -std::numeric_limits<double>::infinity();
  for (size_t k = 2; k <= top_k; ++k) {
    Points centroids = farthest_point_seeds(points, k);
    const std::vector<int> assignment = lloyd(points, centroids);
    const double score = silhouette(points, assignment, k);
    if (score > best_score) best = assignment, best_score = score;
  }
  return finish(points, best, best_score);
}

}  // namespace mpgru::report
