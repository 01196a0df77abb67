// The screened finals' headline tickets (docs/search.md): which candidates get the long final
// fine-tune in the hope of being the headline, the smallest genome within the tolerance of
// homogeneous 8-bit. The contenders are the candidates on the non-dominated front of their search
// scores, sorted by size; whether a contender lands within the tolerance is known only after its
// final fine-tune, and larger contenders land more often. Rather than spend every ticket on one
// guess of where that happens, the tickets go in rounds, each splitting the contenders still in
// doubt (a bisection, or with two per round a trisection), and every round's outcome narrows the
// next: a landed contender bounds the search from above, one that missed from below.
//
// The decisions depend only on the outcomes recorded, never on threads, ranks or timing, so the
// thread, MPI and resumed paths fine-tune the same genomes.
#pragma once

#include <cstddef>
#include <vector>

namespace mpgru::search {

class HeadlineBisection {
 public:
  // `contenders` in increasing size; at most `tickets` final fine-tunes in rounds of
  // `per_round` (>= 1). Throws std::invalid_argument if per_round is 0.
  HeadlineBisection(size_t contenders, size_t tickets, size_t per_round = 2);

  // The next round's contenders (indices into the sorted list, increasing): per_round of them
  // (fewer when fewer tickets or contenders are left) at the equal divisions of the range still
  // in doubt. Empty when the tickets are spent or no contender is left in doubt.
  std::vector<size_t> next_round() const;
  // The outcome of next_round()'s contenders, in its order: whether each landed within the
  // tolerance. Throws std::logic_error if the size differs from next_round()'s.
  void record(const std::vector<bool>& landed);

  size_t used() const { return used_; }
  // The range still in doubt: contenders [low, high) have not been ruled out or bounded.
  size_t low() const { return low_; }
  size_t high() const { return high_; }

 private:
  size_t tickets_, per_round_, used_ = 0, low_ = 0, high_;
};

}  // namespace mpgru::search
