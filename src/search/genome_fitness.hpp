// The fitness of a genome: its integer model's validation accuracy (PTQ, or QAT fine-tuning from
// the float model first) or, for a per-step model, its mean enhancement quality over the
// validation clips (search/step_quality.hpp), size, footprint and BOPs; looked up in and recorded
// to the evaluation store so no genome is evaluated twice. Thread-safe: search workers share one
// instance.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "core/dataset.hpp"
#include "core/genome.hpp"
#include "engine/model.hpp"
#include "quant/calibration.hpp"
#include "quant/float_gru.hpp"
#include "report/metric.hpp"
#include "search/evaluation_store.hpp"
#include "train/qat.hpp"

namespace mpgru::search {

enum class FitnessMode { ptq, qat };
const char* to_string(FitnessMode mode);
// "ptq" or "qat"; throws std::invalid_argument otherwise.
FitnessMode parse_fitness_mode(const std::string& name);

struct FitnessSettings {
  FitnessMode mode = FitnessMode::ptq;
  train::QatConfig qat;  // used by FitnessMode::qat (threads: per evaluation)
  int engine_threads = 1;
  // What a genome scores: accuracy (classifiers) or, for per-step models, the mean per-clip
  // SI-SDR or STOI improvement (search/step_quality.hpp).
  report::Metric::Kind objective = report::Metric::Kind::accuracy;
  // Canonical text of everything that changes the result (part of the store key).
  std::string canonical() const;
};

// What every evaluation shares, loaded once: float model, calibration, data.
struct FitnessContext {
  const quant::FloatGruModel* model = nullptr;
  const quant::Calibration* calibration = nullptr;
  const data::Dataset* dataset = nullptr;
  std::string task;
  std::string checkpoint_hash;
  std::string calibration_key;  // quant::canonical() of the calibration options (store key)
  // Quality objectives: the float model's mean validation score, the error's reference
  // (report::Metric::reference).
  double quality_reference = 1;
};

// The fitness text of the store key of every evaluation with `settings` in `context`: the
// settings' canonical text and the calibration's.
std::string store_fitness(const FitnessContext& context, const FitnessSettings& settings);

// Model size in bits (DESIGN.md section 5) of `genome` on `model`'s shapes, without building it.
int64_t size_bits(const quant::FloatGruModel& model, const core::Genome& genome);

// Per gene of `model`'s genome, whether the model size depends on it (the weights' genes: w_i,
// w_h, w_o, emb): lowering it alone from 8 bits changes size_bits.
std::vector<bool> size_priced_genes(const quant::FloatGruModel& model);

// Evaluations done in another process (the MPI evaluator, search/mpi_evaluator.hpp): the same
// figures GenomeFitness would compute here, for the settings named by `role` ("search" or
// "final"). Throws std::runtime_error with the remote error.
class RemoteFitness {
 public:
  virtual ~RemoteFitness() = default;
  virtual Evaluation evaluate(const std::string& role, const core::Genome& genome) const = 0;
  virtual std::pair<Evaluation, Evaluation> report(const std::string& role,
                                                   const core::Genome& genome) const = 0;
};

class GenomeFitness {
 public:
  // `store` may be null (no caching across runs).
  GenomeFitness(FitnessContext context, FitnessSettings settings, EvaluationStore* store);

  // Validation accuracy (integer engine), size, footprint, BOPs of `genome`.
  Evaluation evaluate(const core::Genome& genome) const;
  // The final report's figures of `genome`: its validation and test evaluations of one model (one
  // fine-tune), each with the sequences it predicted right (an unbuildable genome: sequences -1).
  // Stored under the fitness key plus ";report_split=validation" / ";report_split=test", apart
  // from the search's rows. A stored pair without per-sequence results (an older store) is
  // measured again and completed in place.
  struct Scores {
    Evaluation validation, test;
  };
  Scores report(const core::Genome& genome) const;

  const core::GenomeLayout& layout() const { return layout_; }
  // The integer model `genome` is scored with (PTQ, or after its QAT fine-tune). Throws
  // engine::UnbuildableModel if it cannot exist.
  engine::IntegerModel model(const core::Genome& genome) const;
  // From now on report() keeps each model it builds (not a pair it finds in the store or gets from
  // a remote), so a run's final artefacts (an enhancement run's listening examples) reuse the
  // final fine-tune instead of repeating it. Off by default: the models stay in memory. Call it
  // before any report() (like use_remote: not while workers score).
  void keep_reported_models() { keep_reported_ = true; }
  // The model report() built for `genome` since keep_reported_models(), or nullptr.
  std::shared_ptr<const engine::IntegerModel> reported_model(const core::Genome& genome) const;
  // What the scores measure; the search minimises metric().error(score).
  report::Metric metric() const { return {settings_.objective, context_.quality_reference}; }

  // From now on, what the store does not hold is computed by `remote` (not owned; must outlive
  // this) under `role`, and stored here as it arrives. nullptr: computed in this process.
  void use_remote(const RemoteFitness* remote, std::string role) {
    remote_ = remote;
    role_ = std::move(role);
  }
  // Models built and scored by this instance (a report() of a genome the search evaluated is one
  // more: its own fine-tune, both splits).
  int64_t evaluations() const { return evaluations_; }
  int64_t cache_hits() const { return cache_hits_; }
  // Evaluations whose integer model could not be built (scored with accuracy 0).
  int64_t failures() const { return failures_; }

 private:
  EvaluationKey key(const core::Genome& genome) const;
  Evaluation measure(const engine::IntegerModel& model, data::Split split) const;
  Evaluation unbuildable(const core::Genome& genome) const;

  FitnessContext context_;
  FitnessSettings settings_;
  EvaluationStore* store_;
  core::GenomeLayout layout_;
  const RemoteFitness* remote_ = nullptr;
  std::string role_;
  mutable std::atomic<int64_t> evaluations_{0};
  mutable std::atomic<int64_t> cache_hits_{0};
  mutable std::atomic<int64_t> failures_{0};
  bool keep_reported_ = false;
  mutable std::mutex reported_mutex_;
  mutable std::map<std::string, std::shared_ptr<const engine::IntegerModel>> reported_;
};

}  // namespace mpgru::search
