// The island model: K NSGA-II populations evolving side by side, each with its own seed, that
// exchange their best genomes every few generations over a ring (island k sends to k + 1) or a
// fully connected topology (every island receives the best of all the others). Migration happens
// at fixed generations from a snapshot of every island, and each island's generation depends only
// on its own population and seed, so for a seed the result does not depend on threads, ranks or
// timing. All islands share one GenomeFitness (one evaluation store).
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>

namespace mpgru::search {

enum class Topology { ring, full };
// "ring" or "full"; throws std::invalid_argument otherwise.
Topology parse_topology(const std::string& name);
const char* to_string(Topology topology);

struct IslandSettings {
  unsigned islands = 1;        // 1: no islands, the plain NSGA-II loop
  unsigned migrants = 2;       // genomes each island receives per migration
  unsigned migrate_every = 2;  // generations between migrations
  Topology topology = Topology::ring;
};

class Archipelago {
 public:
  // `make_population(seed)` builds island k's initial population with seed + k; `make_algorithm`
  // likewise its NSGA-II. `parallel`: evolve the islands in threads of their own (their
  // evaluations then overlap); otherwise one after the other. Results are the same either way.
  Archipelago(const IslandSettings& settings, unsigned seed,
              const std::function<pagmo::population(unsigned seed)>& make_population,
              const std::function<pagmo::nsga2(unsigned seed)>& make_algorithm, bool parallel);

  // Generation g (1-based) on every island, then the migration if g is a multiple of
  // migrate_every (and not the last); one log line per migration.
  void evolve(unsigned g, unsigned generations, std::ostream& log);

  // Every island's individuals in one population (for the front and the progress figures).
  pagmo::population merged() const;
  const std::vector<pagmo::population>& islands() const { return populations_; }

 private:
  void migrate(unsigned g, std::ostream& log);

  IslandSettings settings_;
  std::vector<pagmo::population> populations_;
  std::vector<pagmo::nsga2> algorithms_;
  bool parallel_;
};

}  // namespace mpgru::search
