// The pagmo user-defined problem over bit-width genomes: one integer dimension per gene (bounds
// 2..8), objectives to minimise: validation error (1 - accuracy, integer engine), model size in
// bits, and optionally BOPs or the latency on a device (instructions per step predicted by the
// device cost model, src/device). A plain value type, as pagmo wants; the shared GenomeFitness
// does the work.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <pagmo/types.hpp>

#include "search/genome_fitness.hpp"

namespace mpgru::search {

enum class Objectives { error_size, error_size_bops, error_size_latency };
// "error,size", "error,size,bops" or "error,size,latency"; throws std::invalid_argument naming
// --objectives and the accepted values otherwise.
Objectives parse_objectives(const std::string& text);
// The inverse of parse_objectives.
const char* to_string(Objectives objectives);

// A genome's predicted instructions per step on the search's target (error_size_latency).
using LatencyModel = std::function<double(const core::Genome&)>;

// Genome <-> pagmo decision vector, in gene table order. from_vector rounds each entry to the
// nearest integer and throws std::invalid_argument (naming the gene) outside 2..8.
pagmo::vector_double to_vector(const core::Genome& genome);
core::Genome from_vector(const core::GenomeLayout& layout, const pagmo::vector_double& x);

class GenomeProblem {
 public:
  GenomeProblem() = default;  // pagmo needs it; a default problem must not be evaluated
  // error_size_latency needs `latency`; throws std::invalid_argument without it. `held`: per
  // gene, whether it sits at 8 bits (--free-genes widest: the decision vector holds the other
  // genes only); empty: none. Throws std::invalid_argument unless it has one entry per gene and
  // leaves a gene searched.
  GenomeProblem(std::shared_ptr<const GenomeFitness> fitness, Objectives objectives,
                LatencyModel latency = {}, std::vector<bool> held = {});

  pagmo::vector_double fitness(const pagmo::vector_double& x) const;
  std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const;
  pagmo::vector_double::size_type get_nobj() const;
  pagmo::vector_double::size_type get_nix() const;
  std::string get_name() const { return "mpgru bit-width genome"; }

  const core::GenomeLayout& layout() const { return fitness_->layout(); }
  // Whether gene i is held at 8 bits (every gene searched: all false).
  bool held(size_t i) const { return !held_.empty() && held_[i]; }
  size_t searched() const;  // genes in the decision vector
  // Decision vector <-> genome (the held genes at 8 bits). vector() throws
  // std::invalid_argument for a genome whose held gene is not at 8 bits; genome() as from_vector.
  core::Genome genome(const pagmo::vector_double& x) const;
  pagmo::vector_double vector(const core::Genome& genome) const;
  // The objective vector of `genome`'s evaluation (also used to re-score stored rows).
  pagmo::vector_double objectives(const core::Genome& genome, const Evaluation& e) const;

 private:
  std::shared_ptr<const GenomeFitness> fitness_;
  Objectives objectives_ = Objectives::error_size;
  LatencyModel latency_;
  size_t genes_ = 0;
  std::vector<bool> held_;
  report::Metric metric_;  // the fitness's: error = metric_.error(score)
};

}  // namespace mpgru::search
