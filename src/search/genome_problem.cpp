// The pagmo problem over genomes.
#include "search/genome_problem.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
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
                             LatencyModel latency, std::vector<bool> held)
    : fitness_(std::move(fitness)),
      objectives_(objectives),
      latency_(std::move(latency)),
      genes_(core::genes(fitness_->layout()).size()),
      held_(std::move(held)),
      metric_(fitness_->metric()) {
  if (objectives_ == Objectives::error_size_latency && !latency_) {
    throw std::invalid_argument("objectives error,size,latency need a latency model (--target)");
  }
  if (!held_.empty() && held_.size() != genes_) {
    throw std::invalid_argument("held genes: " + std::to_string(held_.size()) +
                                " entries for a genome of " + std::to_string(genes_));
  }
  if (!held_.empty() && std::all_of(held_.begin(), held_.end(), [](bool h) { return h; })) {
    throw std::invalid_argument("held genes: every gene held, nothing to search");
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
  const core::Genome g = genome(x);
  return objectives(g, fitness_->evaluate(g));
}

size_t GenomeProblem::searched() const {
  return genes_ - static_cast<size_t>(std::count(held_.begin(), held_.end(), true));
}

core::Genome GenomeProblem::genome(const pagmo::vector_double& x) const {
  if (held_.empty()) return from_vector(fitness_->layout(), x);
  if (x.size() != searched()) {
    throw std::invalid_argument("decision vector has " + std::to_string(x.size()) +
                                " entries, the searched genes " + std::to_string(searched()));
  }
  pagmo::vector_double all(genes_, core::kMaxBits);
  for (size_t i = 0, k = 0; i < genes_; ++i) {
    if (!held_[i]) all[i] = x[k++];
  }
  return from_vector(fitness_->layout(), all);
}

pagmo::vector_double GenomeProblem::vector(const core::Genome& genome) const {
  if (held_.empty()) return to_vector(genome);
  pagmo::vector_double x;
  for (size_t i = 0; i < genome.size(); ++i) {
    if (!held(i)) {
      x.push_back(genome.bits(i));
    } else if (genome.bits(i) != core::kMaxBits) {
      throw std::invalid_argument("genome " + genome.to_compact() + ": gene '" +
                                  genome.table()[i].name + "' is held at 8 bits");
    }
  }
  return x;
}

std::pair<pagmo::vector_double, pagmo::vector_double> GenomeProblem::get_bounds() const {
  return {pagmo::vector_double(searched(), core::kMinBits),
          pagmo::vector_double(searched(), core::kMaxBits)};
}

pagmo::vector_double::size_type GenomeProblem::get_nobj() const {
  return objectives_ == Objectives::error_size ? 2 : 3;
}

pagmo::vector_double::size_type GenomeProblem::get_nix() const {
  return searched();
}

}  // namespace mpgru::search
