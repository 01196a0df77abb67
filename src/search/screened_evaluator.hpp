// Multi-fidelity evaluation of a population's new genomes (search fidelity "screened"): every
// genome is scored first by post-training quantization (the batched integer engine,
// milliseconds), and only the few whose fine-tuned score could improve the population's front get
// the full fitness (the QAT fine-tune, about a second). The others keep their PTQ score, a
// measured and pessimistic one (QAT recovers from PTQ's error, it seldom loses), so NSGA-II
// selection sees only measured figures; they are never final candidates.
//
// Which genomes are fine-tuned (per batch, the batch being one generation's offspring):
//   1. the genome's optimistic fine-tuned error: its PTQ error less the largest QAT gain (PTQ
//      error - fine-tuned error) of its `neighbours` nearest fine-tuned genomes (L1 distance of
//      the bit widths; MOHAQ's "beacons": a retrained genome's gain predicts its neighbours');
//   2. of at most max(1, round(promote x batch)) genomes, half (rounded up) for the headline:
//      of the genomes whose optimistic error is within the headline's tolerance of homogeneous
//      8-bit's fine-tuned error and that are smaller than every fine-tuned genome within it,
//      in the order of headline_ladder (the largest, the smallest, the second largest, ...); the
//      rest
//      greedily, the genome whose optimistic point (error, size / 8-bit size) adds the most
//      hypervolume (reference (1, 1.05)) to the front of every fine-tuned genome so far and the
//      genomes already picked from this batch, while that gain is positive;
//   3. homogeneous genomes are always fine-tuned (the search starts with them, in a batch of
//      their own): the beacons of every width. With genes held at 8 bits (--free-genes widest)
//      a beacon is homogeneous over the others.
// Decisions depend only on the batch and the fine-tuned genomes of earlier batches of the same
// population, never on timing, threads or ranks: a resumed run (scores from the store) replays the
// same decisions, and the thread, MPI and island paths give the same fronts. An island has its
// own Screen (its own earlier batches).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pagmo/problem.hpp>
#include <pagmo/types.hpp>

#include "core/genome.hpp"
#include "search/genome_fitness.hpp"
#include "search/genome_problem.hpp"

namespace mpgru::search {

enum class Fidelity { full, screened };
const char* to_string(Fidelity fidelity);
// "full" or "screened"; throws std::invalid_argument naming --fidelity otherwise.
Fidelity parse_fidelity(const std::string& name);

// The headline promotions' order over genomes sorted by size (ascending): the largest, the
// smallest, the second largest, the second smallest, ... A step just below the smallest genome
// known within the tolerance is the likeliest to land within it; the smallest genomes' optimistic
// errors are the least reliable (large PTQ errors, neighbours' gains that vary most), and one
// fine-tuned score lucky by the validation split's noise would otherwise pull every later
// headline promotion below it (kws seed 2, validation: pick 34.8 % smallest-first, 55.8 % so).
std::vector<size_t> headline_ladder(const std::vector<size_t>& by_size);

struct ScreenSettings {
  double promote = 0.125;  // at most this fraction of a batch is fine-tuned (at least one)
  unsigned neighbours = 3;
};

class Screen {
 public:
  // `cheap`: the PTQ fitness; `full`: the search's fitness (QAT). `size_8`: homogeneous 8-bit's
  // size in bits. `threads`: evaluations at once.
  Screen(std::shared_ptr<const GenomeFitness> cheap, std::shared_ptr<const GenomeFitness> full,
         ScreenSettings settings, double size_8, unsigned threads);

  // The objective vectors of `genomes` under `problem`, in order: the full fitness's for the
  // genomes fine-tuned (now or in an earlier batch), the PTQ fitness's for the others.
  std::vector<pagmo::vector_double> evaluate(const GenomeProblem& problem,
                                             const std::vector<core::Genome>& genomes);

  // Whether `genome` got the full fitness, and with which objective vector.
  bool fine_tuned(const std::string& compact, pagmo::vector_double* f = nullptr) const;
  int64_t screened() const;    // genomes scored by PTQ (distinct within a batch)
  int64_t fine_tunes() const;  // genomes fine-tuned (distinct)

 private:
  struct Tuned {
    std::vector<int> bits;
    double cheap_error = 1;
    pagmo::vector_double f;  // full fitness
  };
  double optimistic_error(const std::vector<int>& bits, double cheap_error) const;
  std::vector<size_t> pick(const std::vector<std::vector<int>>& bits,
                           const std::vector<pagmo::vector_double>& cheap_f, size_t quota) const;

  std::shared_ptr<const GenomeFitness> cheap_, full_;
  ScreenSettings settings_;
  double size_8_ = 1;
  double tolerance_ = 0;  // the headline's tolerance as an error difference
  unsigned threads_ = 1;
  mutable std::mutex mutex_;
  std::map<std::string, Tuned> tuned_;
  int64_t screened_ = 0;
};

// pagmo's batch evaluator (a UDBFE) over a Screen: every call is one batch.
class ScreenedBfe {
 public:
  ScreenedBfe() = default;  // pagmo needs it; must not be called
  explicit ScreenedBfe(std::shared_ptr<Screen> screen) : screen_(std::move(screen)) {}
  pagmo::vector_double operator()(const pagmo::problem& p, const pagmo::vector_double& dvs) const;
  std::string get_name() const { return "mpgru screened (PTQ, then QAT for the promising)"; }

 private:
  std::shared_ptr<Screen> screen_;
};

}  // namespace mpgru::search
