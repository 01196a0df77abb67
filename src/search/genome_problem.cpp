// The pagmo problem over genomes.
#include "search/genome_problem.hpp"

#include <limits>

#include <cmath>
#include <stdexcept>

namespace mpgru::search {

Objectives parse_objectives(const std::string& text) {
  for (Objectives o :
       {Objectives::error_size, Objectives::error_size_bops, Objectives::error_size_latency}) {
    if (text == to_string(o)) return o;
  }
  throw std::invalid_argument("--objectives: unknown objectives '" + text +
                              "' (expected error,size, error,size,bops or error,size,latency)");
}

const char* to_string(Objectives objectives) {
  switch (objectives) {
    case Objectives::error_size_bops:
      return "error,size,bops";
    case Objectives::error_size_latency:
      return "error,size,latency";
    default:
      return "error,size";
  }
}

pagmo::vector_double to_vector(const core::Genome& genome) {
  pagmo::vector_double x;
  for (size_t i = 0; i < genome.size(); ++i) x.push_back(genome.bits(i));
  return x;
}

core::Genome from_vector(const core::GenomeLayout& layout, const pagmo::vector_double& x) {
  core::Genome g = core::Genome::homogeneous(layout, core::kMaxBits);
  if (x.size() != g.size()) {
    throw std::invalid_argument("decision vector has " + std::to_string(x.size()) +
                                " entries, the genome " + std::to_string(g.size()));
  }
  for (size_t i = 0; i < x.size(); ++i) {
    const double bits = std::round(x[i]);
    if (!(bits >= core::kMinBits && bits <= core::kMaxBits)) {
      throw std::invalid_argument("gene '" + g.table()[i].name + "': " + std::to_string(x[i]) +
                                  " outside 2..8");
    }
    g.set_bits(i, static_cast<int>(bits));
  }
  return g;
}

GenomeProblem::GenomeProblem(std::shared_ptr<const GenomeFitness> fitness, Objectives objectives,
                             LatencyModel latency)
    : fitness_(std::move(fitness)),
      objectives_(objectives),
      latency_(std::move(latency)),
      genes_(core::genes(fitness_->layout()).size()),
      metric_(fitness_->metric()) {
  if (objectives_ == Objectives::error_size_latency && !latency_) {
    throw std::invalid_argument("objectives error,size,latency need a latency model (--target)");
  }
}

pagmo::vector_double GenomeProblem::objectives(const core::Genome& genome,
                                               const Evaluation& e) const {
  // An unbuildable genome scores 0: error 1 (no accuracy, or no improvement).
  const double error = e.sequences < 0 ? 1.0 : metric_.error(e.accuracy);
  pagmo::vector_double f = {error, static_cast<double>(e.size_bits)};
  if (objectives_ == Objectives::error_size_bops) {
    // An unbuildable genome has no BOPs; as 0 it would never leave the first front.
    f.push_back(e.sequences < 0 ? std::numeric_limits<double>::max() : static_cast<double>(e.bops));
  }
  if (objectives_ == Objectives::error_size_latency) {
    // Unbuildable: as for BOPs, the worst latency keeps it off the first front.
    f.push_back(e.sequences < 0 ? std::numeric_limits<double>::max() : latency_(genome));
  }
  return f;
}

pagmo::vector_double GenomeProblem::fitness(const pagmo::vector_double& x) const {
  if (!fitness_) throw std::logic_error("GenomeProblem: default-constructed problem evaluated");
  const core::Genome genome = from_vector(fitness_->layout(), x);
  return objectives(genome, fitness_->evaluate(genome));
}

std::pair<pagmo::vector_double, pagmo::vector_double> GenomeProblem::get_bounds() const {
  return {pagmo::vector_double(genes_, core::kMinBits),
          pagmo::vector_double(genes_, core::kMaxBits)};
}

pagmo::vector_double::size_type GenomeProblem::get_nobj() const {
  return objectives_ == Objectives::error_size ? 2 : 3;
}

pagmo::vector_double::size_type GenomeProblem::get_nix() const {
  return genes_;
}

}  // namespace mpgru::search
