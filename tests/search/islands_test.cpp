// The island model's settings and their refusals (the model itself is tested end to end in
// tests/cli: migrations logged, the same front for a seed whatever the threads or ranks).
#include "search/islands.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include <pagmo/problems/zdt.hpp>

namespace mpgru::search {
namespace {

TEST(Islands, TopologyNamesRoundTrip) {
  EXPECT_EQ(parse_topology("ring"), Topology::ring);
  EXPECT_EQ(parse_topology("full"), Topology::full);
  EXPECT_STREQ(to_string(Topology::full), "full");
  EXPECT_THROW(parse_topology("star"), std::invalid_argument);
}

// On a pagmo test problem: a full topology gives each island the best of all the others, the
// populations keep their size, and the same seed gives the same islands.
TEST(Islands, FullTopologyMigratesAndIsDeterministic) {
  const pagmo::problem problem{pagmo::zdt(1, 6)};
  IslandSettings settings;
  settings.islands = 3;
  settings.migrants = 2;
  settings.migrate_every = 1;
  settings.topology = Topology::full;
  auto run = [&](bool parallel, std::ostream& log) {
    Archipelago a(
        settings, 5, [&](unsigned seed) { return pagmo::population(problem, 8u, seed); },
        [](unsigned seed) { return pagmo::nsga2(1u, 0.95, 10., 0.1, 20., seed); }, parallel);
    for (unsigned g = 1; g <= 3; ++g) a.evolve(g, 3, log);
    return a;
  };
  std::ostringstream log_a, log_b;
  const Archipelago a = run(true, log_a), b = run(false, log_b);
  EXPECT_EQ(log_a.str(), log_b.str());
  EXPECT_NE(log_a.str().find("after generation 1: island 0 received 2 from island"),
            std::string::npos)
      << log_a.str();
  EXPECT_EQ(log_a.str().find("after generation 3"), std::string::npos);
  ASSERT_EQ(a.islands().size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a.islands()[i].size(), 8u);
    EXPECT_EQ(a.islands()[i].get_x(), b.islands()[i].get_x());
  }
  EXPECT_EQ(a.merged().size(), 24u);
}

TEST(Islands, TooManyMigrantsAreRefused) {
  const pagmo::problem problem{pagmo::zdt(1, 6)};
  IslandSettings settings;
  settings.islands = 2;
  settings.migrants = 8;
  EXPECT_THROW(
      Archipelago(
          settings, 1, [&](unsigned seed) { return pagmo::population(problem, 8u, seed); },
          [](unsigned seed) { return pagmo::nsga2(1u, 0.95, 10., 0.1, 20., seed); }, false),
      std::invalid_argument);
}

}  // namespace
}  // namespace mpgru::search
