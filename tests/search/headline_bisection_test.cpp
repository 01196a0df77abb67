// The screened finals' headline tickets: rounds that split the range in doubt, narrowed by each
// round's outcomes, within the ticket budget.
#include "search/headline_bisection.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace mpgru::search {
namespace {

using Indices = std::vector<size_t>;

// Runs a bisection where the contenders from `first_landing` on land (a monotone world) and
// returns every round's contenders.
std::vector<Indices> rounds_until_done(HeadlineBisection& b, size_t first_landing) {
  std::vector<Indices> out;
  for (Indices round = b.next_round(); !round.empty(); round = b.next_round()) {
    std::vector<bool> landed;
    for (size_t i : round) landed.push_back(i >= first_landing);
    b.record(landed);
    out.push_back(round);
  }
  return out;
}

TEST(HeadlineBisection, TwoPerRoundSplitTheRangeInThirdsAndNarrowIt) {
  HeadlineBisection b(12, 6);
  EXPECT_EQ(b.next_round(), (Indices{4, 8}));
  b.record({false, true});  // 4 missed, 8 landed: the smallest landing is in [5, 8)
  EXPECT_EQ(b.low(), 5u);
  EXPECT_EQ(b.high(), 8u);
  EXPECT_EQ(b.next_round(), (Indices{6, 7}));
  b.record({true, true});  // 6 landed: [5, 6)
  EXPECT_EQ(b.next_round(), (Indices{5}));
  b.record({false});  // 5 missed: nothing left in doubt, 6 is the smallest landing
  EXPECT_EQ(b.low(), 6u);
  EXPECT_EQ(b.high(), 6u);
  EXPECT_TRUE(b.next_round().empty());
  EXPECT_EQ(b.used(), 5u);
}

TEST(HeadlineBisection, NoLandingMovesUpAndEveryLandingMovesDown) {
  HeadlineBisection up(9, 4);
  EXPECT_EQ(rounds_until_done(up, 100), (std::vector<Indices>{{3, 6}, {7, 8}}));
  EXPECT_EQ(up.low(), 9u);  // every contender missed
  HeadlineBisection down(9, 4);
  EXPECT_EQ(rounds_until_done(down, 0), (std::vector<Indices>{{3, 6}, {1, 2}}));
  EXPECT_EQ(down.high(), 1u);  // 0 is still in doubt, but the tickets are spent
  EXPECT_EQ(down.used(), 4u);
}

// In a monotone world the bisection finds the smallest landing contender whenever the tickets
// reach it, and never spends more than its tickets.
TEST(HeadlineBisection, FindsTheFirstLandingOfAMonotoneWorld) {
  for (size_t n = 0; n <= 20; ++n) {
    for (size_t first = 0; first <= n; ++first) {
      for (size_t per_round : {1u, 2u, 3u}) {
        HeadlineBisection b(n, 64, per_round);
        rounds_until_done(b, first);
        EXPECT_EQ(b.low(), first) << n << " " << first << " " << per_round;
        EXPECT_EQ(b.high(), first) << n << " " << first << " " << per_round;
        HeadlineBisection few(n, 3, per_round);
        rounds_until_done(few, first);
        EXPECT_LE(few.used(), 3u);
        EXPECT_LE(few.low(), first);
        EXPECT_GE(few.high(), first);
      }
    }
  }
}

TEST(HeadlineBisection, OneContenderOneTicketAndMisuse) {
  HeadlineBisection b(1, 1);
  EXPECT_EQ(b.next_round(), (Indices{0}));
  EXPECT_THROW(b.record({true, false}), std::logic_error);
  b.record({true});
  EXPECT_TRUE(b.next_round().empty());
  EXPECT_TRUE(HeadlineBisection(0, 8).next_round().empty());
  EXPECT_TRUE(HeadlineBisection(5, 0).next_round().empty());
  EXPECT_THROW(HeadlineBisection(5, 4, 0), std::invalid_argument);
}

}  // namespace
}  // namespace mpgru::search
