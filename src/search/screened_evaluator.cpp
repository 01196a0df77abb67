// Multi-fidelity evaluation (see the header).
#include "search/screened_evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <utility>

#include "core/parallel_for.hpp"
#include "report/hypervolume.hpp"
#include "search/genome_problem.hpp"

namespace mpgru::search {
namespace {

constexpr double kReferenceError = 1.0, kReferenceSize = 1.05;

std::vector<int> bits_of(const core::Genome& g) {
  std::vector<int> b(g.size());
  for (size_t i = 0; i < g.size(); ++i) b[i] = g.bits(i);
  return b;
}

int distance(const std::vector<int>& a, const std::vector<int>& b) {
  int d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += std::abs(a[i] - b[i]);
  return d;
}

// Homogeneous over the genes the search moves (the held ones sit at 8 bits): a beacon.
bool beacon(const GenomeProblem& problem, const std::vector<int>& bits) {
  int width = 0;
  for (size_t i = 0; i < bits.size(); ++i) {
    if (problem.held(i)) continue;
    if (width != 0 && bits[i] != width) return false;
    width = bits[i];
  }
  return true;
}

}  // namespace

std::vector<size_t> headline_ladder(const std::vector<size_t>& by_size) {
  std::vector<size_t> out;
  size_t small = 0, large = by_size.size();
  for (bool step_down = true; small < large; step_down = !step_down) {
    out.push_back(step_down ? by_size[--large] : by_size[small++]);
  }
  return out;
}

const char* to_string(Fidelity fidelity) {
  return fidelity == Fidelity::full ? "full" : "screened";
}

Fidelity parse_fidelity(const std::string& name) {
  if (name == "full") return Fidelity::full;
  if (name == "screened") return Fidelity::screened;
  throw std::invalid_argument("--fidelity: unknown fidelity '" + name +
                              "' (expected full or screened)");
}

Screen::Screen(std::shared_ptr<const GenomeFitness> cheap,
               std::shared_ptr<const GenomeFitness> full, ScreenSettings settings, double size_8,
               unsigned threads)
    : cheap_(std::move(cheap)),
      full_(std::move(full)),
      settings_(settings),
      size_8_(size_8),
      threads_(std::max(1u, threads)) {
  const report::Metric m = full_->metric();
  tolerance_ = m.error(-m.tolerance()) - m.error(0);
  if (!(settings_.promote > 0 && settings_.promote <= 1)) {
    throw std::invalid_argument("promote must be in (0, 1], got " +
                                std::to_string(settings_.promote));
  }
  if (settings_.neighbours < 1) throw std::invalid_argument("neighbours must be >= 1");
}

double Screen::optimistic_error(const std::vector<int>& bits, double cheap_error) const {
  // The `neighbours` nearest fine-tuned genomes, ties by their compact text (map order).
  std::vector<std::pair<int, double>> near;  // distance, gain
  for (const auto& [compact, t] : tuned_) {
    near.emplace_back(distance(bits, t.bits), t.cheap_error - t.f[0]);
  }
  std::stable_sort(near.begin(), near.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  double gain = 0;
  for (size_t k = 0; k < near.size() && k < settings_.neighbours; ++k) {
    gain = std::max(gain, near[k].second);
  }
  return std::max(0.0, cheap_error - gain);
}

std::vector<size_t> Screen::pick(const std::vector<std::vector<int>>& bits,
                                 const std::vector<pagmo::vector_double>& cheap_f,
                                 size_t quota) const {
  std::vector<report::Objectives> optimistic(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) {
    optimistic[i] = {optimistic_error(bits[i], cheap_f[i][0]), cheap_f[i][1] / size_8_};
  }
  std::vector<size_t> picked;
  std::vector<bool> taken(bits.size(), false);
  // Half the quota (rounded up) for the headline: the smallest genomes that could come within
  // the tolerance of 8-bit's fine-tuned error and be smaller than every fine-tuned genome there.
  const auto eight = tuned_.find(std::string(bits.empty() ? 0 : bits.front().size(), '8'));
  if (eight != tuned_.end()) {
    const double within = eight->second.f[0] + tolerance_ + 1e-12;
    double smallest = HUGE_VAL;  // size of the smallest fine-tuned genome within the tolerance
    for (const auto& [compact, t] : tuned_) {
      if (t.f[0] <= within) smallest = std::min(smallest, t.f[1] / size_8_);
    }
    std::vector<size_t> head;
    for (size_t i = 0; i < bits.size(); ++i) {
      if (optimistic[i][0] <= within && optimistic[i][1] < smallest) head.push_back(i);
    }
    std::stable_sort(head.begin(), head.end(), [&](size_t a, size_t b) {
      return optimistic[a][1] != optimistic[b][1] ? optimistic[a][1] < optimistic[b][1]
                                                  : optimistic[a][0] < optimistic[b][0];
    });
    const std::vector<size_t> ladder = headline_ladder(head);
    for (size_t k = 0; k < ladder.size() && k < (quota + 1) / 2; ++k) {
      taken[ladder[k]] = true;
      picked.push_back(ladder[k]);
    }
  }
  // The rest: the largest hypervolume gains over the front of every fine-tuned genome and every
  // optimistic point picked so far.
  std::vector<report::Objectives> front;
  for (const auto& [compact, t] : tuned_) front.push_back({t.f[0], t.f[1] / size_8_});
  for (size_t i : picked) front.push_back(optimistic[i]);
  std::vector<size_t> order(bits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const size_t rest = quota > picked.size() ? quota - picked.size() : 0;
  for (size_t i : report::greedy_hypervolume(front, optimistic, order, taken, rest,
                                             {kReferenceError, kReferenceSize})) {
    picked.push_back(i);
  }
  return picked;
}

std::vector<pagmo::vector_double> Screen::evaluate(const GenomeProblem& problem,
                                                   const std::vector<core::Genome>& genomes) {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::vector<pagmo::vector_double> out(genomes.size());
  // The genomes not fine-tuned before, each once, in batch order.
  std::vector<size_t> fresh;
  std::set<std::string> seen;
  for (size_t i = 0; i < genomes.size(); ++i) {
    const std::string compact = genomes[i].to_compact();
    if (tuned_.count(compact) == 0 && seen.insert(compact).second) fresh.push_back(i);
  }
  std::vector<pagmo::vector_double> cheap_f(fresh.size());
  core::parallel_for(fresh.size(), static_cast<int>(threads_), [&](size_t k) {
    const core::Genome& g = genomes[fresh[k]];
    cheap_f[k] = problem.objectives(g, cheap_->evaluate(g));
  });
  screened_ += static_cast<int64_t>(fresh.size());
  // Unbuildable under PTQ (error 1): never fine-tuned.
  std::vector<size_t> eligible;
  std::vector<std::vector<int>> bits;
  std::vector<pagmo::vector_double> eligible_f;
  std::vector<size_t> promoted;
  for (size_t k = 0; k < fresh.size(); ++k) {
    const std::vector<int> b = bits_of(genomes[fresh[k]]);
    if (beacon(problem, b)) {
      promoted.push_back(k);
      continue;
    }
    if (cheap_f[k][0] >= kReferenceError) continue;
    eligible.push_back(k);
    bits.push_back(b);
    eligible_f.push_back(cheap_f[k]);
  }
  const auto quota = static_cast<size_t>(
      std::max(1.0, std::round(settings_.promote * static_cast<double>(genomes.size()))));
  for (size_t j : pick(bits, eligible_f, quota)) promoted.push_back(eligible[j]);
  std::vector<pagmo::vector_double> full_f(promoted.size());
  core::parallel_for(promoted.size(), static_cast<int>(threads_), [&](size_t j) {
    const core::Genome& g = genomes[fresh[promoted[j]]];
    full_f[j] = problem.objectives(g, full_->evaluate(g));
  });
  for (size_t j = 0; j < promoted.size(); ++j) {
    const core::Genome& g = genomes[fresh[promoted[j]]];
    tuned_[g.to_compact()] = {bits_of(g), cheap_f[promoted[j]][0], full_f[j]};
  }
  std::map<std::string, pagmo::vector_double> cheap_by_genome;
  for (size_t k = 0; k < fresh.size(); ++k) {
    cheap_by_genome[genomes[fresh[k]].to_compact()] = cheap_f[k];
  }
  for (size_t i = 0; i < genomes.size(); ++i) {
    const std::string compact = genomes[i].to_compact();
    const auto t = tuned_.find(compact);
    out[i] = t != tuned_.end() ? t->second.f : cheap_by_genome.at(compact);
  }
  return out;
}

bool Screen::fine_tuned(const std::string& compact, pagmo::vector_double* f) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto t = tuned_.find(compact);
  if (t == tuned_.end()) return false;
  if (f != nullptr) *f = t->second.f;
  return true;
}

int64_t Screen::screened() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return screened_;
}

int64_t Screen::fine_tunes() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(tuned_.size());
}

pagmo::vector_double ScreenedBfe::operator()(const pagmo::problem& p,
                                             const pagmo::vector_double& dvs) const {
  if (!screen_) throw std::logic_error("ScreenedBfe: default-constructed evaluator called");
  const GenomeProblem* problem = p.extract<GenomeProblem>();
  if (problem == nullptr) throw std::logic_error("ScreenedBfe: not a GenomeProblem");
  const size_t n = p.get_nx();
  if (n == 0 || dvs.size() % n != 0) {
    throw std::invalid_argument("ScreenedBfe: decision vectors of " + std::to_string(dvs.size()) +
                                " values for " + std::to_string(n) + " genes");
  }
  std::vector<core::Genome> genomes;
  for (size_t at = 0; at < dvs.size(); at += n) {
    genomes.push_back(problem->genome(pagmo::vector_double(
        dvs.begin() + static_cast<long>(at), dvs.begin() + static_cast<long>(at + n))));
  }
  pagmo::vector_double out;
  for (const pagmo::vector_double& f : screen_->evaluate(*problem, genomes)) {
    out.insert(out.end(), f.begin(), f.end());
  }
  // (pagmo::bfe counts the batch's fitness evaluations itself.)
  return out;
}

}  // namespace mpgru::search
