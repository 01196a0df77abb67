// Hypervolume by sweeping: a staircase in two objectives, slices of staircases in three.
#include "report/hypervolume.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mpgru::report {
namespace {

struct Point2 {
  double x, y;
};

// Area dominated by `points` (all inside the reference) up to (ref_x, ref_y).
double area(std::vector<Point2> points, double ref_x, double ref_y) {
  std::sort(points.begin(), points.end(), [](const Point2& a, const Point2& b) {
    return a.x < b.x || (a.x == b.x && a.y < b.y);
  });
  double total = 0, best_y = ref_y;
  for (size_t i = 0; i < points.size(); ++i) {
    best_y = std::min(best_y, points[i].y);
    const double next_x = i + 1 < points.size() ? points[i + 1].x : ref_x;
    total += (next_x - points[i].x) * (ref_y - best_y);
  }
  return total;
}

// Volume in three objectives: between consecutive z levels the dominated region is the
// staircase of every point at or below the level.
double volume(std::vector<Objectives> points, const Objectives& ref) {
  std::sort(points.begin(), points.end(),
            [](const Objectives& a, const Objectives& b) { return a[2] < b[2]; });
  double total = 0;
  std::vector<Point2> below;
  for (size_t i = 0; i < points.size(); ++i) {
    below.push_back({points[i][0], points[i][1]});
    const double next_z = i + 1 < points.size() ? points[i + 1][2] : ref[2];
    if (next_z > points[i][2]) total += area(below, ref[0], ref[1]) * (next_z - points[i][2]);
  }
  return total;
}

}  // namespace

double hypervolume(const std::vector<Objectives>& points, const Objectives& ref) {
  const size_t dims = ref.size();
  if (dims != 2 && dims != 3) {
    throw std::invalid_argument("hypervolume: 2 or 3 objectives, got " + std::to_string(dims));
  }
  std::vector<Objectives> inside;
  for (const Objectives& p : points) {
    if (p.size() != dims) {
      throw std::invalid_argument("hypervolume: a point has " + std::to_string(p.size()) +
                                  " objectives, the reference " + std::to_string(dims));
    }
    bool in = true;
    for (size_t d = 0; d < dims; ++d) in = in && p[d] < ref[d];
    if (in) inside.push_back(p);
  }
  if (inside.empty()) return 0;
  if (dims == 3) return volume(inside, ref);
  std::vector<Point2> flat;
  for (const Objectives& p : inside) flat.push_back({p[0], p[1]});
  return area(flat, ref[0], ref[1]);
}

std::vector<size_t> greedy_hypervolume(std::vector<Objectives>& front,
                                       const std::vector<Objectives>& points,
                                       const std::vector<size_t>& order, std::vector<bool>& taken,
                                       size_t count, const Objectives& ref) {
  std::vector<size_t> chosen;
  while (chosen.size() < count) {
    const double base = hypervolume(front, ref);
    double best_gain = 0;
    size_t best = points.size();
    for (size_t i : order) {
      if (taken[i]) continue;
      std::vector<Objectives> with = front;
      with.push_back(points[i]);
      const double gain = hypervolume(with, ref) - base;
      if (gain > best_gain + 1e-12) {
        best_gain = gain;
        best = i;
      }
    }
    if (best == points.size()) break;
    taken[best] = true;
    chosen.push_back(best);
    front.push_back(points[best]);
  }
  return chosen;
}

}  // namespace mpgru::report
