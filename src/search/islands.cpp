// The island model (see the header).
#include "search/islands.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <thread>

#include <pagmo/utils/multi_objective.hpp>

namespace mpgru::search {

Topology parse_topology(const std::string& name) {
  if (name == "ring") return Topology::ring;
  if (name == "full") return Topology::full;
  throw std::invalid_argument("unknown topology '" + name + "' (expected ring or full)");
}

const char* to_string(Topology topology) {
  return topology == Topology::ring ? "ring" : "full";
}

Archipelago::Archipelago(const IslandSettings& settings, unsigned seed,
                         const std::function<pagmo::population(unsigned)>& make_population,
                         const std::function<pagmo::nsga2(unsigned)>& make_algorithm, bool parallel)
    : settings_(settings), parallel_(parallel) {
  if (settings.islands < 1) throw std::invalid_argument("islands must be >= 1");
  if (settings.migrate_every < 1) throw std::invalid_argument("migrate-every must be >= 1");
  for (unsigned k = 0; k < settings.islands; ++k) {
    populations_.push_back(make_population(seed + k));
    algorithms_.push_back(make_algorithm(seed + k));
  }
  for (const pagmo::population& p : populations_) {
    if (settings.migrants >= p.size()) {
      throw std::invalid_argument("migrants must be fewer than an island's population");
    }
  }
}

void Archipelago::evolve(unsigned g, unsigned generations, std::ostream& log) {
  const size_t k = populations_.size();
  if (parallel_ && k > 1) {
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(k);
    for (size_t i = 0; i < k; ++i) {
      threads.emplace_back([this, i, &errors] {
        try {
          populations_[i] = algorithms_[i].evolve(populations_[i]);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      });
    }
    for (std::thread& t : threads) t.join();
    for (const std::exception_ptr& e : errors) {
      if (e) std::rethrow_exception(e);
    }
  } else {
    for (size_t i = 0; i < k; ++i) populations_[i] = algorithms_[i].evolve(populations_[i]);
  }
  if (k > 1 && g % settings_.migrate_every == 0 && g < generations) migrate(g, log);
}

void Archipelago::migrate(unsigned g, std::ostream& log) {
  const std::vector<pagmo::population> before = populations_;  // every island sends from here
  const size_t k = before.size();
  for (size_t d = 0; d < k; ++d) {
    // The candidates: the source island's individuals (ring), or all other islands' (full).
    std::vector<pagmo::vector_double> xs, fs;
    std::vector<size_t> from;
    for (size_t s = 0; s < k; ++s) {
      const bool sends = settings_.topology == Topology::ring ? s == (d + k - 1) % k : s != d;
      if (!sends) continue;
      for (size_t i = 0; i < before[s].size(); ++i) {
        xs.push_back(before[s].get_x()[i]);
        fs.push_back(before[s].get_f()[i]);
        from.push_back(s);
      }
    }
    // The best migrants (non-dominated rank, then crowding) not already on the island.
    const std::set<pagmo::vector_double> present(before[d].get_x().begin(),
                                                 before[d].get_x().end());
    std::vector<size_t> chosen;
    for (const auto i : pagmo::sort_population_mo(fs)) {
      if (chosen.size() == settings_.migrants) break;
      if (present.count(xs[i]) != 0) continue;
      bool duplicate = false;
      for (size_t c : chosen) duplicate = duplicate || xs[c] == xs[i];
      if (!duplicate) chosen.push_back(i);
    }
    // They replace the island's worst individuals.
    const std::vector<pagmo::pop_size_t> order = pagmo::sort_population_mo(before[d].get_f());
    std::set<size_t> sources;
    for (size_t c = 0; c < chosen.size(); ++c) {
      const size_t worst = order[order.size() - 1 - c];
      populations_[d].set_xf(worst, xs[chosen[c]], fs[chosen[c]]);
      sources.insert(from[chosen[c]]);
    }
    log << "migration after generation " << g << ": island " << d << " received " << chosen.size()
        << " from island";
    for (size_t s : sources) log << ' ' << s;
    log << std::endl;
  }
}

pagmo::population Archipelago::merged() const {
  pagmo::population all(populations_.front().get_problem(), 0u, 0u);
  for (const pagmo::population& p : populations_) {
    for (size_t i = 0; i < p.size(); ++i) all.push_back(p.get_x()[i], p.get_f()[i]);
  }
  return all;
}

}  // namespace mpgru::search
