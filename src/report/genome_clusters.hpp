// k-means clustering of bit-width genomes, to show which operators a task wants precise: the
// front's genomes fall into a few families, and each family's mean bit width per gene says
// which genes it keeps wide. Deterministic: the same genomes give the same clusters.
#pragma once

#include <vector>

namespace mpgru::report {

struct GenomeClusters {
  std::vector<int> assignment;                 // cluster of each genome, 0..k-1
  std::vector<std::vector<double>> centroids;  // mean bit width per gene of each cluster
  std::vector<int> sizes;                      // genomes per cluster
  double silhouette = 0;                       // mean silhouette of the chosen k (0 for k = 1)
};

// Clusters `genomes` (bit widths, all of one length) with k-means, Euclidean distance, for every
// k in 2..min(max_k, distinct genomes - 1) and keeps the k with the best mean silhouette; fewer
// than 3 distinct genomes give one cluster. Seeding is farthest-point from the first genome, so
// the result depends only on the input order. Clusters are numbered by their first genome.
// Throws std::invalid_argument if the genomes differ in length or max_k < 1.
GenomeClusters cluster_genomes(const std::vector<std::vector<int>>& genomes, int max_k = 4);

}  // namespace mpgru::report
