// Exact hypervolume of a set of points under minimisation, in two or three objectives: the
// volume dominated by the points and bounded by a reference point. The figure that compares a
// mixed-precision front with the homogeneous one.
#pragma once

#include <cstddef>
#include <vector>

namespace mpgru::report {

using Objectives = std::vector<double>;

// The volume of the union of the boxes [p, ref] over the points p that are strictly better than
// `ref` in every objective (the others add nothing); 0 if there are none. Dominated and repeated
// points are allowed. Throws std::invalid_argument unless every point and `ref` have 2 or 3
// objectives, all the same count.
double hypervolume(const std::vector<Objectives>& points, const Objectives& ref);

// Greedy hypervolume selection: up to `count` times, of the `points` not `taken` (scanned in
// `order`), the one whose addition to `front` adds the most hypervolume (the first of equals, by
// more than 1e-12), while some point adds any; each chosen point is marked taken and added to
// `front`. Returns the chosen indices in the order chosen.
std::vector<size_t> greedy_hypervolume(std::vector<Objectives>& front,
                                       const std::vector<Objectives>& points,
                                       const std::vector<size_t>& order, std::vector<bool>& taken,
                                       size_t count, const Objectives& ref);

}  // namespace mpgru::report
