#include "search/headline_bisection.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mpgru::search {

HeadlineBisection::HeadlineBisection(size_t contenders, size_t tickets, size_t per_round)
    : tickets_(tickets), per_round_(per_round), high_(contenders) {
  if (per_round == 0) throw std::invalid_argument("HeadlineBisection: per_round must be >= 1");
}

std::vector<size_t> HeadlineBisection::next_round() const {
  if (used_ >= tickets_ || low_ >= high_) return {};
  const size_t n = high_ - low_;
  const size_t k = std::min({per_round_, tickets_ - used_, n});
  std::vector<size_t> out;
  for (size_t j = 1; j <= k; ++j) {
    const size_t i = low_ + n * j / (k + 1);  // distinct for k <= n: steps of n / (k + 1)
    if (out.empty() || out.back() != i) out.push_back(i);
  }
  return out;
}

void HeadlineBisection::record(const std::vector<bool>& landed) {
  const std::vector<size_t> round = next_round();
  if (landed.size() != round.size()) {
    throw std::logic_error("HeadlineBisection::record: " + std::to_string(landed.size()) +
                           " outcomes for a round of " + std::to_string(round.size()));
  }
  used_ += round.size();
  // The smallest that landed bounds the range from above; the largest miss below it, from below.
  size_t new_low = low_, new_high = high_;
  for (size_t j = 0; j < round.size(); ++j) {
    if (landed[j]) {
      new_high = round[j];
      break;
    }
    new_low = round[j] + 1;
  }
  low_ = new_low;
  high_ = new_high;
}

}  // namespace mpgru::search
