// Exact hypervolume of a set of points under minimisation, in two or three objectives: the
// volume dominated by the points and bounded by a reference point. The figure that compares a
// mixed-precision front with the homogeneous one.
#pragma once

#include <vector>

namespace mpgru::report {

using Objectives = std::vector<double>;

// The volume of the union of the boxes [p, ref] over the points p that are strictly better than
// `ref` in every objective (the others add nothing); 0 if there are none. Dominated and repeated
// points are allowed. Throws std::invalid_argument unless every point and `ref` have 2 or 3
// objectives, all the same count.
double hypervolume(const std::vector<Objectives>& points, const Objectives& ref);

}  // namespace mpgru::report
