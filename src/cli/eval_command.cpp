// `mpgru eval`: accuracy of a .mpq model measured by the integer engine, with its size, and
// optionally every sequence's prediction and logits as CSV.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "audio/wav_file.hpp"
#include "cli/command.hpp"
#include "cli/model_report.hpp"
#include "cli/ptq_setup.hpp"
#include "core/staged_folder.hpp"
#include "core/text_file.hpp"
#include "data/se_task.hpp"
#include "engine/gru_engine.hpp"
#include "engine/kernel_path.hpp"
#include "engine/model_file.hpp"
#include "search/step_quality.hpp"

namespace mpgru::cli {
namespace {

struct EvalArgs {
  std::string model;
  std::string task;
  std::string data_dir;
  bool skip_bad = false;
  std::string split = "test";
  int threads = 2;
  std::string kernels = "optimized";
  std::string kernel_path;  // "" = engine::default_path()
  int batch = 64;
  bool json = false;
  std::string predictions;  // CSV path; "" writes none
  std::string examples;     // per-step models: a folder for WAV examples; "" writes none
  int example_count = 4;
};

// The predictions CSV, kept in memory and written whole by commit() through
// core::write_file_atomically, so a failure (a full disk included) leaves no partial file and an
// older FILE unchanged. The path is tried at construction (FILE.tmp created and removed) so a bad
// path fails before the evaluation. Errors are std::runtime_error (exit code 1) naming FILE.
class PredictionsFile {
 public:
  explicit PredictionsFile(const std::string& path) : path_(path) {
    if (std::filesystem::is_directory(path_)) fail("it is a directory");
    const std::filesystem::path tmp = path + ".tmp";
    if (!std::ofstream(tmp, std::ios::trunc)) fail(std::strerror(errno));
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
  }

  std::ostream& out() { return out_; }

  void commit() {
    try {
      core::write_file_atomically(out_.str(), path_);
    } catch (const std::runtime_error& e) {
      fail(e.what());
    }
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("cannot write predictions file '" + path_.string() + "': " + why);
  }

  std::filesystem::path path_;
  std::ostringstream out_;
};

std::string supported_path_names() {
  std::string names;
  for (engine::KernelPath p : engine::supported_paths()) {
    names += (names.empty() ? "" : ", ") + std::string(engine::to_string(p));
  }
  return names;
}

// index,label,prediction,correct,logit_0..logit_{C-1}: one row per sequence, in data order.
void write_predictions(std::ostream& out, const data::Sequences& sequences,
                       const engine::EngineEvaluation& e, int32_t classes) {
  out << "index,label,prediction,correct";
  for (int32_t c = 0; c < classes; ++c) out << ",logit_" << c;
  out << '\n';
  for (int64_t i = 0; i < e.count; ++i) {
    const auto row = static_cast<size_t>(i);
    const int32_t label = sequences.labels[row];
    const int32_t prediction = e.predictions[row];
    out << i << ',' << label << ',' << prediction << ',' << (prediction == label ? 1 : 0);
    const int32_t* logits = e.logits.data() + row * static_cast<size_t>(classes);
    for (int32_t c = 0; c < classes; ++c) out << ',' << logits[c];
    out << '\n';
  }
}

// The first `count` clips of the split as WAV files in `dir` (created): <name>.noisy.wav,
// <name>.clean.wav and <name>.enhanced.wav (the integer model's output), 16 kHz 16-bit, written
// into DIR/.staging and moved in together.
void write_examples(const std::string& dir, int count, const data::SeDataset& se, data::Split split,
                    const std::function<void(int64_t, float*)>& predict) {
  const data::SeClips& clips = se.clips(split);
  std::filesystem::create_directories(dir);
  core::StagedFolder staged(dir);
  const auto n = std::min<size_t>(static_cast<size_t>(count), clips.names.size());
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> gains(static_cast<size_t>(se.steps() * se.outputs()));
    predict(static_cast<int64_t>(i), gains.data());
    const std::string stem = std::filesystem::path(clips.names[i]).stem().string();
    audio::write_wav_pcm16(staged.path() / (stem + ".noisy.wav"), clips.noisy[i], 16000);
    audio::write_wav_pcm16(staged.path() / (stem + ".clean.wav"), clips.clean[i], 16000);
    audio::write_wav_pcm16(staged.path() / (stem + ".enhanced.wav"),
                           se.enhance(split, static_cast<int64_t>(i), gains.data()), 16000);
  }
  staged.commit();
}

// A per-step model (task se): the integer engine's gains, streamed step by step as a device runs
// them, applied to each clip; SI-SDR and STOI of the result.
// A per-step model of a data file: the target R^2 of its integer outputs, streamed step by step,
// with the 95 % interval of the mean over sequences.
int run_eval_targets(const EvalArgs& args, const engine::IntegerModel& model,
                     const data::Dataset& dataset, data::Split split) {
  if (model.classes != dataset.outputs()) {
    throw std::invalid_argument(args.model + " has a per-step head of " +
                                std::to_string(model.classes) + " outputs; task " + dataset.name() +
                                " has " + std::to_string(dataset.outputs()) + " per step");
  }
  const data::Sequences& s = dataset.split(split);
  const engine::Kernels kernels =
      args.kernels == "reference" ? engine::Kernels::reference : engine::Kernels::optimized;
  const auto start = std::chrono::steady_clock::now();
  const search::MeanInterval r2 =
      search::mean_interval(search::r2_scores(s, [&](int64_t i, float* out) {
        search::streamed_gains(model, s.sequence(i), static_cast<int32_t>(s.steps), out, kernels);
      }));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (args.json) {
    nlohmann::json j = model_json(model);
    j["model"] = args.model;
    j["task"] = dataset.name();
    j["split"] = data::to_string(split);
    j["r2"] = r2.mean;
    j["r2_ci95"] = r2.ci95;
    j["count"] = s.count();
    j["seconds"] = seconds;
    j["kernels"] = args.kernels;
    std::cout << j.dump(2) << '\n';
    return kExitOk;
  }
  char line[160];
  std::snprintf(line, sizeof line, ": target R^2 %.4f +- %.4f (95 %% interval over sequences)",
                r2.mean, r2.ci95);
  std::cout << args.model << " on " << dataset.name() << " " << data::to_string(split) << " ("
            << s.count() << " sequences)" << line << " (integer engine, " << args.kernels
            << " kernels, streaming, " << seconds << " s)\n"
            << model_summary(model) << '\n';
  return kExitOk;
}

int run_eval_gains(const EvalArgs& args, const engine::IntegerModel& model,
                   const data::Dataset& dataset, data::Split split) {
  if (search::default_quality(dataset) == report::Metric::Kind::r2) {
    if (!args.examples.empty()) {
      throw std::invalid_argument("--examples writes WAVs of an enhancement task (se); task " +
                                  dataset.name() + " has no audio");
    }
    return run_eval_targets(args, model, dataset, split);
  }
  const auto* se = dynamic_cast<const data::SeDataset*>(&dataset);
  if (se == nullptr || model.classes != se->outputs()) {
    throw std::invalid_argument(args.model + " has a per-step head of " +
                                std::to_string(model.classes) + " outputs; task " + dataset.name() +
                                " is not a matching enhancement task");
  }
  const data::Sequences& s = se->split(split);
  const engine::Kernels kernels =
      args.kernels == "reference" ? engine::Kernels::reference : engine::Kernels::optimized;
  const auto start = std::chrono::steady_clock::now();
  const auto predict = [&](int64_t i, float* gains) {
    search::streamed_gains(model, s.sequence(i), static_cast<int32_t>(s.steps), gains, kernels);
  };
  const data::SeQuality q = se->quality(split, predict, args.threads);
  if (!args.examples.empty())
    write_examples(args.examples, args.example_count, *se, split, predict);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (args.json) {
    nlohmann::json j = model_json(model);
    j["model"] = args.model;
    j["task"] = dataset.name();
    j["split"] = data::to_string(split);
    j["quality"] = data::quality_json(q);
    j["seconds"] = seconds;
    j["kernels"] = args.kernels;
    std::cout << j.dump(2) << '\n';
    return kExitOk;
  }
  char line[256];
  std::snprintf(line, sizeof line,
                ": SI-SDR %.2f -> %.2f dB (improvement %.2f +- %.2f dB), STOI %.3f -> %.3f +- %.3f "
                "(95 %% intervals over clips)",
                q.si_sdr_noisy, q.si_sdr_enhanced, q.si_sdri, q.si_sdri_ci95, q.stoi_noisy,
                q.stoi_enhanced, q.stoi_enhanced_ci95);
  std::cout << args.model << " on " << dataset.name() << " " << data::to_string(split) << " ("
            << q.clips << " clips)" << line << " (integer engine, " << args.kernels
            << " kernels, streaming, " << seconds << " s)\n"
            << model_summary(model) << '\n';
  return kExitOk;
}

int run_eval(const EvalArgs& args) {
  const data::Split split = data::parse_split(args.split);
  const engine::IntegerModel model = engine::load_model(args.model);
  std::unique_ptr<PredictionsFile> predictions;  // before the data: a bad path fails at once
  if (!args.predictions.empty()) predictions = std::make_unique<PredictionsFile>(args.predictions);
  const std::unique_ptr<data::Dataset> dataset =
      load_task_data(args.task, args.data_dir, args.skip_bad);
  if (const std::string why =
          quant::input_mismatch(model.embedding.vocabulary, model.sequence_features(), *dataset);
      !why.empty()) {
    throw std::invalid_argument(args.model + " " + why);
  }
  if (model.per_step) return run_eval_gains(args, model, *dataset, split);
  const data::Sequences& sequences = dataset->split(split);
  const auto start = std::chrono::steady_clock::now();
  engine::EvaluateOptions options;
  options.threads = args.threads;
  options.kernels =
      args.kernels == "reference" ? engine::Kernels::reference : engine::Kernels::optimized;
  options.keep_logits = predictions != nullptr;
  options.path = args.kernel_path.empty() ? engine::default_path()
                                          : engine::parse_kernel_path(args.kernel_path);
  if (!engine::is_supported(*options.path)) {
    throw std::invalid_argument(
        "--kernel-path " + args.kernel_path +
        ": this CPU does not support it (supported: " + supported_path_names() + ")");
  }
  options.batch = args.batch;
  const engine::EngineEvaluation e = engine::evaluate(model, sequences, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (predictions != nullptr) {
    write_predictions(predictions->out(), sequences, e, model.classes);
    predictions->commit();
  }
  if (args.json) {
    nlohmann::json j = model_json(model);
    j["model"] = args.model;
    j["task"] = dataset->name();
    j["split"] = data::to_string(split);
    j["accuracy"] = e.accuracy;
    j["balanced_accuracy"] = e.balanced_accuracy;
    j["correct"] = e.correct;
    j["count"] = e.count;
    j["seconds"] = seconds;
    j["threads"] = args.threads;
    j["kernels"] = args.kernels;
    j["kernel_path"] = engine::to_string(*options.path);
    j["batch"] = args.batch;
    if (predictions != nullptr) j["predictions"] = args.predictions;
    std::cout << j.dump(2) << '\n';
  } else {
    std::cout << args.model << " on " << dataset->name() << " " << data::to_string(split)
              << ": accuracy " << percent(e.accuracy) << " (" << e.correct << "/" << e.count
              << "), balanced " << percent(e.balanced_accuracy) << " (integer engine, "
              << args.kernels << " kernels"
              << (args.kernels == "optimized"
                      ? std::string(", ") + engine::to_string(*options.path) + " path"
                      : std::string())
              << ", " << args.threads << (args.threads == 1 ? " thread, " : " threads, ") << seconds
              << " s)\n"
              << model_summary(model) << '\n';
    if (predictions != nullptr) {
      std::cout << "wrote " << args.predictions << " (" << e.count << " rows)\n";
    }
  }
  return kExitOk;
}

}  // namespace

Command add_eval_command(CLI::App& parent) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* app = parent.add_subcommand("eval", "Evaluate a .mpq model with the integer engine");
  add_config_option(app);
  app->add_option("model", args->model, "Model file (.mpq)")->required();
  app->add_option("--task", args->task,
                  "Task whose data to evaluate on (e.g. smnist; file when --data names a file)");
  app->add_option("--data", args->data_dir,
                  "Data folder (default: $MPGRU_DATA_DIR or ./data), or a data file (.npz, .pt)");
  add_skip_bad_option(app, args->skip_bad);
  app->add_option("--split", args->split, "train, validation or test")->capture_default_str();
  app->add_option("--threads", args->threads, "Engine threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app->add_option("--kernels", args->kernels,
                  "reference (plain loops) or optimized; bit-exact, same results")
      ->capture_default_str()
      ->check(CLI::IsMember({"reference", "optimized"}));
  app->add_option("--kernel-path", args->kernel_path,
                  "Instruction set of the optimized kernels: portable, avx2 or avx512_vnni "
                  "(default: the widest this CPU has, or $MPGRU_KERNEL_PATH); same results")
      ->check(CLI::IsMember({"portable", "avx2", "avx512_vnni"}));
  app->add_option("--batch", args->batch,
                  "Sequences run in lockstep by the optimized engine (0: one at a time, as a "
                  "device streams); same results")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  app->add_option("--predictions", args->predictions,
                  "Also write FILE, a CSV row per sequence of the split: "
                  "index,label,prediction,correct (0/1),logit_0..logit_{C-1} (the engine's int32 "
                  "logits at the output scale); written atomically (FILE.tmp, then renamed)")
      ->type_name("FILE");
  app->add_option("--examples", args->examples,
                  "Per-step models (task se): also write the first --example-count clips of the "
                  "split to DIR as <name>.{noisy,clean,enhanced}.wav")
      ->type_name("DIR");
  app->add_option("--example-count", args->example_count, "Clips written by --examples")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app->add_flag("--json", args->json, "Print the result as JSON (with the predictions path)");
  return {app, [args] { return run_eval(*args); }};
}

}  // namespace mpgru::cli
