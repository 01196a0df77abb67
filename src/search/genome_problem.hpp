// The pagmo user-defined problem over bit-width genomes: one integer dimension per gene (bounds
// 2..8), objectives to minimise: validation error (1 - accuracy, integer engine), model size in
// bits, and optionally BOPs. A plain value type, as pagmo wants; the shared GenomeFitness does
// the work.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <pagmo/types.hpp>

#include "search/genome_fitness.hpp"

namespace mpgru::search {

enum class Objectives { error_size, error_size_bops };
// "error,size" or "error,size,bops"; throws std::invalid_argument otherwise.
Objectives parse_objectives(const std::string& text);

// Genome <-> pagmo decision vector, in gene table order. from_vector rounds each entry to the
// nearest integer and throws std::invalid_argument (naming the gene) outside 2..8.
pagmo::vector_double to_vector(const core::Genome& genome);
core::Genome from_vector(const core::GenomeLayout& layout, const pagmo::vector_double& x);

class GenomeProblem {
 public:
  GenomeProblem() = default;  // pagmo needs it; a default problem must not be evaluated
  GenomeProblem(std::shared_ptr<const GenomeFitness> fitness, Objectives objectives);

  pagmo::vector_double fitness(const pagmo::vector_double& x) const;
  std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const;
  pagmo::vector_double::size_type get_nobj() const;
  pagmo::vector_double::size_type get_nix() const;
  std::string get_name() const { return "mpgru bit-width genome"; }

  // The objective vector of an evaluation (also used to re-score stored rows).
  pagmo::vector_double objectives(const Evaluation& e) const;

 private:
  std::shared_ptr<const GenomeFitness> fitness_;
  Objectives objectives_ = Objectives::error_size;
  size_t genes_ = 0;
  report::Metric metric_;  // the fitness's: error = metric_.error(score)
};

}  // namespace mpgru::search
