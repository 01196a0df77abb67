// `mpgru train`: float training of a GRU classifier on a task.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/front_end_file.hpp"
#include "cli/progress_bar.hpp"
#include "cli/ptq_setup.hpp"
#include "core/json_file.hpp"
#include "data/se_task.hpp"
#include "data/task.hpp"
#include "quant/float_gru.hpp"
#include "search/step_quality.hpp"
#include "train/blas_core.hpp"
#include "train/float_export.hpp"
#include "train/trainer.hpp"

namespace mpgru::cli {
namespace {

struct TrainArgs {
  std::string task;  // "": smnist, or file when --data names a file
  std::string data_dir;
  std::string out = "runs/float";
  bool json = false;
  bool skip_bad = false;
  train::TrainConfig config;
};

std::string percent(double fraction) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * fraction);
  return buf;
}

std::string epoch_line(const train::EpochMetrics& e, int epochs, bool seq2seq) {
  char buf[256];
  if (seq2seq) {  // no accuracy: the loss is the gains' mean squared error
    std::snprintf(buf, sizeof buf, "epoch %d/%d  loss %.5f  val loss %.5f  lr %.2e  %.1fs", e.epoch,
                  epochs, e.train_loss, e.val_loss, e.lr, e.seconds);
    return buf;
  }
  std::snprintf(buf, sizeof buf,
                "epoch %d/%d  loss %.4f  train %.2f%%  val loss %.4f  val %.2f%%  lr %.2e  %.1fs",
                e.epoch, epochs, e.train_loss, 100 * e.train_accuracy, e.val_loss,
                100 * e.val_accuracy, e.lr, e.seconds);
  return buf;
}

std::filesystem::path staging_folder(const std::filesystem::path& out) {
  std::filesystem::path staging = out;
  if (!staging.has_filename()) staging = staging.parent_path();  // "runs/x/"
  staging += ".partial";
  return staging;
}

// Moves a finished training's files from `staging` into `out` (created if missing), the old
// checkpoint removed first and the new one renamed in last, so a folder never pairs a checkpoint
// with another training's config.json; other files in `out` are left alone. Then removes
// `staging`.
void move_in(const std::filesystem::path& staging, const std::filesystem::path& out) {
  std::filesystem::create_directories(out);
  std::filesystem::remove(out / "checkpoint");
  for (const char* name : {"config.json", "metrics.json", "front_end.json", "checkpoint"}) {
    if (std::filesystem::exists(staging / name)) {
      std::filesystem::rename(staging / name, out / name);
    } else if (std::string(name) == "front_end.json") {
      std::filesystem::remove(out / name);  // an older training's front end is not this one's
    }
  }
  std::filesystem::remove_all(staging);
}

// Sequence-to-sequence (se): the trained float model's SI-SDR and STOI on validation and test,
// printed and added to metrics.json as "quality".
// Per-step models of a data file: the float model's target R^2 on validation and test, printed
// and added to metrics.json as "quality".
void report_target_fit(const data::Dataset& dataset, const std::filesystem::path& out,
                       std::ostream& log) {
  const quant::FloatGruModel model = train::load_float_model(out);
  nlohmann::json quality = nlohmann::json::object();
  for (const data::Split split : {data::Split::validation, data::Split::test}) {
    const data::Sequences& s = dataset.split(split);
    const search::MeanInterval r2 =
        search::mean_interval(search::r2_scores(s, [&](int64_t i, float* outputs) {
          quant::forward_steps(model, s.sequence(i), static_cast<int32_t>(s.steps), outputs);
        }));
    quality[data::to_string(split)] = {{"r2", r2.mean}, {"r2_ci95", r2.ci95}};
    char line[160];
    std::snprintf(line, sizeof line, "float model on %s (%lld sequences): target R^2 %.4f +- %.4f",
                  data::to_string(split), static_cast<long long>(s.count()), r2.mean, r2.ci95);
    log << line << '\n';
  }
  nlohmann::json metrics = core::read_json_file(out / "metrics.json");
  metrics["quality"] = quality;
  core::write_json_file(metrics, out / "metrics.json");
}

void report_quality(const data::Dataset& dataset, const std::filesystem::path& out, int threads,
                    std::ostream& log) {
  if (dataset.outputs() == 0) return;
  const auto* se = dynamic_cast<const data::SeDataset*>(&dataset);
  if (se == nullptr) {
    report_target_fit(dataset, out, log);
    return;
  }
  const quant::FloatGruModel model = train::load_float_model(out);
  nlohmann::json quality = nlohmann::json::object();
  for (const data::Split split : {data::Split::validation, data::Split::test}) {
    const data::Sequences& s = se->split(split);
    const data::SeQuality q = se->quality(
        split,
        [&](int64_t i, float* gains) {
          quant::forward_steps(model, s.sequence(i), static_cast<int32_t>(s.steps), gains);
        },
        threads);
    quality[data::to_string(split)] = quality_json(q);
    char line[256];
    std::snprintf(line, sizeof line,
                  "float model on %s (%lld clips): SI-SDR %.2f -> %.2f dB (improvement %.2f +- "
                  "%.2f dB), STOI %.3f -> %.3f +- %.3f",
                  data::to_string(split), static_cast<long long>(q.clips), q.si_sdr_noisy,
                  q.si_sdr_enhanced, q.si_sdri, q.si_sdri_ci95, q.stoi_noisy, q.stoi_enhanced,
                  q.stoi_enhanced_ci95);
    log << line << '\n';
  }
  nlohmann::json metrics = core::read_json_file(out / "metrics.json");
  metrics["quality"] = quality;
  core::write_json_file(metrics, out / "metrics.json");
}

int run_train(const TrainArgs& args) {
  train::validate(args.config);
  const std::filesystem::path data_dir =
      args.data_dir.empty() ? data::default_data_dir() : std::filesystem::path(args.data_dir);
  std::string task = data::resolve_task(args.task, args.data_dir);
  if (task.empty()) task = "smnist";
  const std::unique_ptr<data::Dataset> dataset =
      data::load_task(task, data_dir, data::LoadOptions{args.skip_bad});
  std::ostream& log = args.json ? std::cerr : std::cout;
  ProgressBar bar(log, !args.json && stdout_is_terminal());
  bar.log("mpgru train: task " + dataset->name() + ", " +
          std::to_string(dataset->split(data::Split::train).count()) + " train / " +
          std::to_string(dataset->split(data::Split::validation).count()) + " validation / " +
          std::to_string(dataset->split(data::Split::test).count()) + " test sequences, GRU-" +
          std::to_string(args.config.hidden) + " x" + std::to_string(args.config.layers) +
          ", output " + args.out);
  if (const std::string advice = train::blas_core_advice(); !advice.empty() && !args.json) {
    bar.log(advice);
  }

  train::TrainCallbacks callbacks;
  callbacks.on_batch = [&](const train::TrainProgress& p) {
    char detail[96];
    std::snprintf(detail, sizeof detail, "%lld/%lld loss %.4f", static_cast<long long>(p.batch),
                  static_cast<long long>(p.batches), p.loss);
    bar.update("epoch " + std::to_string(p.epoch) + "/" + std::to_string(p.epochs),
               static_cast<double>(p.batch) / static_cast<double>(p.batches), detail,
               p.eta_seconds);
  };
  callbacks.on_epoch = [&](const train::EpochMetrics& e) {
    bar.log(epoch_line(e, args.config.epochs, dataset->outputs() > 0));
  };
  // Trained in a staging folder and moved in only when complete: a training that fails or is
  // stopped never leaves a new config.json beside an old checkpoint.
  const std::filesystem::path staging = staging_folder(args.out);
  std::filesystem::remove_all(staging);
  const train::TrainResult result = train::train_float(*dataset, args.config, staging, callbacks);
  bar.clear();
  write_front_end(*dataset, staging);
  move_in(staging, args.out);
  report_quality(*dataset, args.out, args.config.threads, args.json ? std::cerr : std::cout);
  if (args.json) {
    std::cout << train::metrics_json(*dataset, result) << '\n';
  } else if (dataset->outputs() > 0) {
    char loss[32];
    std::snprintf(loss, sizeof loss, "%.5f", result.best_val_loss);
    std::cout << "best epoch " << result.best_epoch << " (val loss " << loss << "), "
              << format_duration(result.total_seconds) << " in all; wrote " << args.out
              << "/{checkpoint,config.json,metrics.json}\n";
  } else {
    std::cout << "best epoch " << result.best_epoch << " (val " << percent(result.best_val_accuracy)
              << "), test accuracy " << percent(result.test_accuracy) << " (balanced "
              << percent(result.test_balanced_accuracy) << "), "
              << format_duration(result.total_seconds) << " in all; wrote " << args.out
              << "/{checkpoint,config.json,metrics.json}\n";
  }
  return kExitOk;
}

}  // namespace

Command add_train_command(CLI::App& parent) {
  auto args = std::make_shared<TrainArgs>();
  train::TrainConfig& c = args->config;
  CLI::App* app = parent.add_subcommand("train", "Train a float GRU classifier on a task");
  add_config_option(app);
  app->add_option("--task", args->task,
                  "Task to train on (mpgru tasks lists them; default smnist, or file when --data "
                  "names a data file)");
  app->add_option("--data", args->data_dir,
                  "Data folder (default: $MPGRU_DATA_DIR, ./data, or the build's data folder), or "
                  "your own data file: .npz or .pt of x_train, y_train, ... (docs/your-data.md)");
  app->add_flag(
      "--skip-bad", args->skip_bad,
      "Skip unreadable or malformed input files (counted in a warning) instead of failing");
  app->add_option("--out,-o", args->out, "Output folder for checkpoint, config.json, metrics.json")
      ->capture_default_str();
  app->add_option("--hidden", c.hidden, "GRU hidden units")
      ->capture_default_str()
      ->check(CLI::Range(1, 16384));
  app->add_option("--embedding", c.embedding,
                  "Embedding dim, for tasks whose inputs are tokens (spam); ignored otherwise")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app->add_option("--layers", c.layers, "Stacked GRU layers")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  app->add_option("--epochs", c.epochs, "Maximum epochs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app->add_option("--batch", c.batch, "Batch size")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app->add_option("--lr", c.lr, "Peak learning rate (Adam, cosine decay)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--min-lr-ratio", c.min_lr_ratio, "Final learning rate as a fraction of --lr")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--weight-decay", c.weight_decay, "Adam weight decay")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--clip", c.clip_norm, "Gradient norm clip (0 disables)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--patience", c.patience, "Stop after this many epochs without validation gain")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app->add_option("--seed", c.seed, "Random seed (same seed + --threads 1: identical metrics)")
      ->capture_default_str();
  app->add_option("--threads", c.threads, "Cores to use")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app->add_option("--train-limit", c.train_limit,
                  "Use only the first N training sequences (0: all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_flag("--json", args->json, "Print metrics as JSON on stdout (log goes to stderr)");
  return {app, [args] { return run_train(*args); }};
}

}  // namespace mpgru::cli
