#include "report/genome_clusters.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

namespace mpgru::report {
namespace {

// Two families: narrow weights / wide rest, and the other way round, with small jitter.
std::vector<std::vector<int>> two_families(int per_family, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> jitter(0, 1);
  std::vector<std::vector<int>> out;
  for (int i = 0; i < 2 * per_family; ++i) {
    const bool first = i % 2 == 0;
    std::vector<int> g(10);
    for (int k = 0; k < 10; ++k) g[k] = ((k < 5) == first ? 2 : 7) + jitter(rng);
    out.push_back(g);
  }
  return out;
}

TEST(GenomeClusters, SeparatesTwoFamilies) {
  const auto genomes = two_families(6, 3);
  const GenomeClusters c = cluster_genomes(genomes, 4);
  ASSERT_EQ(c.centroids.size(), 2u);
  for (size_t i = 0; i < genomes.size(); ++i) EXPECT_EQ(c.assignment[i], static_cast<int>(i % 2));
  EXPECT_EQ(c.sizes, (std::vector<int>{6, 6}));
  for (int k = 0; k < 5; ++k) {
    EXPECT_GE(c.centroids[0][k], 2.0);
    EXPECT_LE(c.centroids[0][k], 3.0);
    EXPECT_GE(c.centroids[1][k], 7.0);
  }
  EXPECT_GT(c.silhouette, 0.5);
}

TEST(GenomeClusters, CentroidsAreMembersMeans) {
  const auto genomes = two_families(5, 9);
  const GenomeClusters c = cluster_genomes(genomes, 3);
  for (size_t cl = 0; cl < c.centroids.size(); ++cl) {
    for (size_t g = 0; g < genomes[0].size(); ++g) {
      double sum = 0;
      int n = 0;
      for (size_t i = 0; i < genomes.size(); ++i) {
        if (c.assignment[i] == static_cast<int>(cl)) sum += genomes[i][g], ++n;
      }
      EXPECT_EQ(n, c.sizes[cl]);
      EXPECT_DOUBLE_EQ(c.centroids[cl][g], sum / n);
    }
  }
}

TEST(GenomeClusters, DeterministicAndNumberedByFirstMember) {
  const auto genomes = two_families(7, 5);
  const GenomeClusters a = cluster_genomes(genomes), b = cluster_genomes(genomes);
  EXPECT_EQ(a.assignment, b.assignment);
  EXPECT_EQ(a.assignment[0], 0);
}

TEST(GenomeClusters, FewGenomesGiveOneCluster) {
  const GenomeClusters one = cluster_genomes({{2, 3, 4}});
  EXPECT_EQ(one.assignment, (std::vector<int>{0}));
  EXPECT_EQ(one.centroids, (std::vector<std::vector<double>>{{2, 3, 4}}));
  const GenomeClusters same = cluster_genomes({{2, 3}, {2, 3}, {4, 5}});
  EXPECT_EQ(same.centroids.size(), 1u);
  EXPECT_DOUBLE_EQ(same.silhouette, 0.0);
  EXPECT_TRUE(cluster_genomes({}).assignment.empty());
}

TEST(GenomeClusters, RejectsBadInput) {
  EXPECT_THROW(cluster_genomes({{2, 3}, {2}}), std::invalid_argument);
  EXPECT_THROW(cluster_genomes({{2, 3}}, 0), std::invalid_argument);
}

}  // namespace
}  // namespace mpgru::report
