// `mpgru qat`: quantization-aware fine-tuning of a float checkpoint at one genome -> .mpq model,
// with PTQ and QAT accuracy (a per-step model: SI-SDR improvement) both measured by the integer
// engine.
#include <iostream>

#include "cli/command.hpp"
#include "cli/model_report.hpp"
#include "cli/progress_bar.hpp"
#include "cli/ptq_setup.hpp"
#include "engine/convert.hpp"
#include "engine/gru_engine.hpp"
#include "engine/model_file.hpp"
#include "report/metric.hpp"
#include "search/step_quality.hpp"
#include "train/blas_core.hpp"
#include "train/qat.hpp"

namespace mpgru::cli {
namespace {

struct QatArgs {
  PtqArgs ptq;
  std::string genome;
  std::string out;
  std::string split = "test";
  train::QatConfig qat;
  bool json = false;
};

// The integer model's score on `split`: accuracy, or a per-step model's mean quality over the
// sequences (SI-SDR improvement for task se, target R^2 for a data file).
double score(const engine::IntegerModel& model, const data::Dataset& dataset, data::Split split,
             int threads) {
  if (!model.per_step) return engine::evaluate(model, dataset.split(split), threads).accuracy;
  return search::mean_interval(
             search::clip_scores(model, dataset, split, search::default_quality(dataset), threads))
      .mean;
}

int run_qat(const QatArgs& args) {
  train::validate(args.qat);  // before the data are loaded and calibrated
  const data::Split split = data::parse_split(args.split);
  const PtqSetup s = prepare_ptq(args.ptq, [&](const quant::FloatGruModel& m) {
    (void)core::Genome::parse(quant::genome_layout(m), args.genome);
  });
  const core::GenomeLayout layout = quant::genome_layout(s.float_model);
  const core::Genome genome = core::Genome::parse(layout, args.genome);
  const auto steps = static_cast<int32_t>(s.dataset->steps());
  const double ptq_acc = score(engine::convert(s.float_model, s.calibration, genome, steps),
                               *s.dataset, split, args.qat.threads);
  const report::Metric metric{s.float_model.outputs > 0 ? search::default_quality(*s.dataset)
                                                        : report::Metric::Kind::accuracy,
                              1};
  std::ostream& log = args.json ? std::cerr : std::cout;
  ProgressBar bar(log, !args.json && stdout_is_terminal());
  if (const std::string advice = train::blas_core_advice(); !advice.empty() && !args.json) {
    bar.log(advice);
  }
  const train::QatResult r = train::fine_tune(
      s.float_model, s.calibration, genome, s.dataset->split(data::Split::train), args.qat,
      [&](const train::QatProgress& p) {
        const double eta =
            p.elapsed_seconds / static_cast<double>(p.step) * static_cast<double>(p.steps - p.step);
        bar.update("qat", static_cast<double>(p.step) / static_cast<double>(p.steps),
                   std::to_string(p.step) + "/" + std::to_string(p.steps) + " loss " +
                       std::to_string(p.loss).substr(0, 6),
                   eta);
      });
  bar.clear();
  const double qat_acc = score(r.model, *s.dataset, split, args.qat.threads);
  engine::save_model(r.model, args.out);
  if (args.json) {
    nlohmann::json j = model_json(r.model);
    j["path"] = args.out;
    j["split"] = data::to_string(split);
    const std::string key = metric.column();
    j["ptq_" + key] = ptq_acc;
    j["qat_" + key] = qat_acc;
    j["qat_steps"] = r.steps;
    j["qat_skipped_steps"] = r.skipped_steps;
    j["qat_seconds"] = r.seconds;
    j["loss_first"] = r.first_loss;
    j["loss_last"] = r.last_loss;
    if (args.qat.distill_weight > 0) {
      j["distill_weight"] = args.qat.distill_weight;
      j["distill_temperature"] = args.qat.distill_temperature;
    }
    if (args.qat.dampen > 0) j["dampen"] = args.qat.dampen;
    std::cout << j.dump(2) << '\n';
  } else {
    std::cout << "PTQ " << metric.format(ptq_acc) << " -> QAT " << metric.format(qat_acc)
              << (metric.is_accuracy() ? "" : " " + metric.label()) << " on "
              << data::to_string(split) << " (integer engine), " << r.steps << " steps"
              << (args.qat.distill_weight > 0 ? " distilled from the float model" : "")
              << (args.qat.dampen > 0 ? " with oscillation dampening" : "")
              << (r.skipped_steps > 0
                      ? " (" + std::to_string(r.skipped_steps) + " skipped: gradients overflowed)"
                      : std::string())
              << " in " << format_duration(r.seconds) << "; wrote " << args.out << ": "
              << model_summary(r.model) << '\n';
  }
  return kExitOk;
}

}  // namespace

Command add_qat_command(CLI::App& parent) {
  auto args = std::make_shared<QatArgs>();
  train::QatConfig& q = args->qat;
  CLI::App* app = parent.add_subcommand(
      "qat", "Quantization-aware fine-tuning at a genome -> .mpq model (integer-engine accuracy)");
  add_config_option(app);
  add_ptq_options(app, args->ptq);
  app->add_option("--genome,-g", args->genome, "Bit widths (see mpgru quantize --help)")
      ->required();
  app->add_option("--out,-o", args->out, "Output model file (.mpq)")->required();
  app->add_option("--steps", q.steps, "Training steps (0: use --epochs)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--epochs", q.epochs, "Passes over the training split when --steps is 0")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--batch", q.batch, "Batch size")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  app->add_option("--lr", q.lr, "Learning rate of the weights (cosine decay)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--scale-lr", q.scale_lr, "Learning rate of the step sizes")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--distill-weight", q.distill_weight,
                  "Knowledge distillation from the float model: weight alpha in [0, 1] of the "
                  "distance to the float model's outputs on each batch (KL of the softened logits; "
                  "a per-step model: MSE to its gains), 1 - alpha on the task loss (0: off)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--distill-temperature", q.distill_temperature,
                  "Distillation temperature T > 0 softening both models' logits (classifiers, "
                  "with --distill-weight > 0)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--dampen", q.dampen,
                  "Oscillation dampening (Nagel et al. 2022) of the weights at 2-4 bits: lambda "
                  ">= 0 on the sum of their squared distances to their grid points, ramped up from "
                  "0 by a cosine over the fine-tune (0: off)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--seed", q.seed, "Random seed")->capture_default_str();
  app->add_option("--threads", q.threads, "Cores to use")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app->add_option("--split", args->split, "Split to report: train, validation or test")
      ->capture_default_str();
  app->add_flag("--json", args->json, "Print the result as JSON");
  return {app, [args] { return run_qat(*args); }};
}

}  // namespace mpgru::cli
