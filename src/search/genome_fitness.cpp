// Genome fitness with the evaluation store in front.
#include "search/genome_fitness.hpp"

#include <charconv>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "engine/convert.hpp"
#include "engine/gru_engine.hpp"
#include "search/step_quality.hpp"

namespace mpgru::search {
namespace {

engine::IntegerModel build_model(const FitnessContext& c, const FitnessSettings& s,
                                 const core::Genome& genome) {
  const auto steps = static_cast<int32_t>(c.dataset->steps());
  if (s.mode == FitnessMode::ptq) return engine::convert(*c.model, *c.calibration, genome, steps);
  return train::fine_tune(*c.model, *c.calibration, genome, c.dataset->split(data::Split::train),
                          s.qat)
      .model;
}

// build_model, with the genome named in any error but an unbuildable model (which the callers
// score): a search that stops says which genome stopped it.
engine::IntegerModel build(const FitnessContext& c, const FitnessSettings& s,
                           const core::Genome& genome) {
  try {
    return build_model(c, s, genome);
  } catch (const engine::UnbuildableModel&) {
    throw;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("genome " + genome.to_compact() + ": " + e.what());
  } catch (const std::exception& e) {
    throw std::runtime_error("genome " + genome.to_compact() + ": " + e.what());
  }
}

// A report row is complete with its per-sequence results, or as an unbuildable genome's.
bool complete(const std::optional<Evaluation>& e) {
  return e && (e->sequences < 0 || (e->sequences > 0 && !e->correct.empty()));
}

// x's shortest decimal form that reads back as x (1e-07, 0.001): lambda spans decades, which
// std::to_string's six decimals would merge.
std::string shortest(double x) {
  char buf[32];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

}  // namespace

std::vector<bool> size_priced_genes(const quant::FloatGruModel& model) {
  const core::Genome eight = core::Genome::homogeneous(quant::genome_layout(model), core::kMaxBits);
  const int64_t size_8 = size_bits(model, eight);
  std::vector<bool> priced(eight.size());
  for (size_t i = 0; i < eight.size(); ++i) {
    core::Genome g = eight;
    g.set_bits(i, core::kMinBits);
    priced[i] = size_bits(model, g) != size_8;
  }
  return priced;
}

int64_t size_bits(const quant::FloatGruModel& model, const core::Genome& genome) {
  using core::Op;
  const auto& wi = core::kInputWeightOps;
  const auto& wh = core::kRecurrentWeightOps;
  int64_t bits = 0;
  for (size_t k = 0; k < model.layers.size(); ++k) {
    const quant::FloatGruLayer& l = model.layers[k];
    for (int g = 0; g < 3; ++g) {
      bits +=
          static_cast<int64_t>(l.lin_i[g].weights.size()) * genome.bits(wi[g], static_cast<int>(k));
      bits +=
          static_cast<int64_t>(l.lin_h[g].weights.size()) * genome.bits(wh[g], static_cast<int>(k));
      bits += 32 * static_cast<int64_t>(l.lin_i[g].bias.size() + l.lin_h[g].bias.size());
    }
  }
  bits += static_cast<int64_t>(model.classifier.weights.size()) * genome.bits(Op::w_o);
  if (model.embedding.vocabulary > 0) {
    bits += static_cast<int64_t>(model.embedding.weights.size()) * genome.bits(Op::emb);
  }
  return bits + 32 * static_cast<int64_t>(model.classifier.bias.size());
}

const char* to_string(FitnessMode mode) {
  return mode == FitnessMode::ptq ? "ptq" : "qat";
}

FitnessMode parse_fitness_mode(const std::string& name) {
  if (name == "ptq") return FitnessMode::ptq;
  if (name == "qat") return FitnessMode::qat;
  throw std::invalid_argument("unknown fitness '" + name + "' (expected ptq or qat)");
}

std::string FitnessSettings::canonical() const {
  // Bump kNumerics whenever quantization, QAT or engine arithmetic changes, so a store never
  // mixes results of different code.
  constexpr int kNumerics = 2;  // 2: fused input projections, exact-step fake_quant
  std::string s = std::string("numerics=") + std::to_string(kNumerics) +
                  ";fitness=" + to_string(mode) + ";split=validation";
  if (objective != report::Metric::Kind::accuracy) {
    s += ";objective=" + report::Metric{objective, 1}.name();
  }
  if (mode == FitnessMode::qat) {
    s += ";steps=" + std::to_string(qat.steps) + ";epochs=" + std::to_string(qat.epochs) +
         ";batch=" + std::to_string(qat.batch) + ";lr=" + std::to_string(qat.lr) +
         ";scale_lr=" + std::to_string(qat.scale_lr) + ";seed=" + std::to_string(qat.seed);
    if (qat.distill_weight > 0) {  // absent when off: every older key stays as it was
      s += ";distill=" + std::to_string(qat.distill_weight) +
           ";temperature=" + std::to_string(qat.distill_temperature);
    }
    if (qat.dampen > 0) s += ";dampen=" + shortest(qat.dampen);  // absent when off, as above
  }
  return s;
}

GenomeFitness::GenomeFitness(FitnessContext context, FitnessSettings settings,
                             EvaluationStore* store)
    : context_(std::move(context)),
      settings_(std::move(settings)),
      store_(store),
      layout_(quant::genome_layout(*context_.model)) {
  if (context_.model == nullptr || context_.calibration == nullptr || context_.dataset == nullptr) {
    throw std::invalid_argument("fitness context is incomplete");
  }
}

std::string store_fitness(const FitnessContext& context, const FitnessSettings& settings) {
  std::string fitness = settings.canonical();
  if (!context.calibration_key.empty()) fitness += ";calibration:" + context.calibration_key;
  return fitness;
}

engine::IntegerModel GenomeFitness::model(const core::Genome& genome) const {
  return build(context_, settings_, genome);
}

EvaluationKey GenomeFitness::key(const core::Genome& genome) const {
  return {context_.task, context_.checkpoint_hash, store_fitness(context_, settings_),
          genome.to_compact()};
}

Evaluation GenomeFitness::measure(const engine::IntegerModel& model, data::Split split) const {
  const engine::ModelSize size = engine::model_size(model);
  if (model.per_step) {
    const std::vector<float> scores =
        clip_scores(model, *context_.dataset, split, settings_.objective, settings_.engine_threads);
    Evaluation e;
    e.accuracy = mean_interval(scores).mean;
    e.sequences = static_cast<int64_t>(scores.size());
    e.correct = pack_scores(scores);
    e.size_bits = size.size_bits;
    e.footprint_bytes = size.footprint_bytes;
    e.bops = size.bops;
    return e;
  }
  const data::Sequences& sequences = context_.dataset->split(split);
  const engine::EngineEvaluation scored =
      engine::evaluate(model, sequences, settings_.engine_threads);
  Evaluation e;
  e.accuracy = scored.accuracy;
  e.sequences = scored.count;
  e.correct = pack_correct(scored.predictions, sequences.labels);
  e.size_bits = size.size_bits;
  e.footprint_bytes = size.footprint_bytes;
  e.bops = size.bops;
  return e;
}

Evaluation GenomeFitness::unbuildable(const core::Genome& genome) const {
  // A genome whose integer model cannot exist (e.g. an accumulator that could overflow) is a
  // valid point of the search space with the worst accuracy, not a reason to stop the search.
  Evaluation e;
  e.size_bits = size_bits(*context_.model, genome);
  e.sequences = -1;
  ++failures_;
  return e;
}

Evaluation GenomeFitness::evaluate(const core::Genome& genome) const {
  if (store_ != nullptr) {
    if (std::optional<Evaluation> hit = store_->find(key(genome))) {
      ++cache_hits_;
      return *hit;
    }
  }
  Evaluation out;
  if (remote_ != nullptr) {
    out = remote_->evaluate(role_, genome);  // its seconds are the remote evaluation's
    if (out.sequences < 0) ++failures_;
  } else {
    const auto start = std::chrono::steady_clock::now();
    try {
      out = measure(build(context_, settings_, genome), data::Split::validation);
    } catch (const engine::UnbuildableModel&) {
      out = unbuildable(genome);
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  ++evaluations_;
  if (store_ != nullptr) store_->insert(key(genome), out);
  return out;
}

GenomeFitness::Scores GenomeFitness::report(const core::Genome& genome) const {
  EvaluationKey val_key = key(genome), test_key = key(genome);
  val_key.fitness += ";report_split=validation";
  test_key.fitness += ";report_split=test";
  std::optional<Evaluation> val, test;
  if (store_ != nullptr) {
    val = store_->find(val_key);
    test = store_->find(test_key);
  }
  if (complete(val) && complete(test)) {
    cache_hits_ += 2;
    return {*val, *test};
  }
  Scores s;
  if (remote_ != nullptr) {
    std::tie(s.validation, s.test) = remote_->report(role_, genome);  // the remote's seconds
    if (s.validation.sequences < 0) ++failures_;
  } else {
    // One model (one fine-tune) for both splits.
    const auto start = std::chrono::steady_clock::now();
    try {
      auto model = std::make_shared<const engine::IntegerModel>(build(context_, settings_, genome));
      s.validation = measure(*model, data::Split::validation);
      s.test = measure(*model, data::Split::test);
      if (keep_reported_) {
        const std::lock_guard<std::mutex> lock(reported_mutex_);
        reported_[genome.to_compact()] = std::move(model);
      }
    } catch (const engine::UnbuildableModel&) {
      s.validation = s.test = unbuildable(genome);
    }
    s.validation.seconds = s.test.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  ++evaluations_;
  if (store_ != nullptr) {
    store_->insert_or_complete(val_key, s.validation);
    store_->insert_or_complete(test_key, s.test);
  }
  return s;
}

std::shared_ptr<const engine::IntegerModel> GenomeFitness::reported_model(
    const core::Genome& genome) const {
  const std::lock_guard<std::mutex> lock(reported_mutex_);
  const auto it = reported_.find(genome.to_compact());
  return it == reported_.end() ? nullptr : it->second;
}

}  // namespace mpgru::search
