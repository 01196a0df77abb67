// `mpgru eval`: accuracy of a .mpq model measured by the integer engine, with its size.
#include <chrono>
#include <iostream>

#include "cli/command.hpp"
#include "cli/model_report.hpp"
#include "cli/ptq_setup.hpp"
#include "engine/gru_engine.hpp"
#include "engine/model_file.hpp"

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
  bool json = false;
};

int run_eval(const EvalArgs& args) {
  const data::Split split = data::parse_split(args.split);
  const engine::IntegerModel model = engine::load_model(args.model);
  const std::unique_ptr<data::Dataset> dataset =
      load_task_data(args.task, args.data_dir, args.skip_bad);
  if (const std::string why =
          quant::input_mismatch(model.embedding.vocabulary, model.sequence_features(), *dataset);
      !why.empty()) {
    throw std::invalid_argument(args.model + " " + why);
  }
  const auto start = std::chrono::steady_clock::now();
  const engine::Kernels kernels =
      args.kernels == "reference" ? engine::Kernels::reference : engine::Kernels::optimized;
  const engine::EngineEvaluation e =
      engine::evaluate(model, dataset->split(split), args.threads, kernels);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
    std::cout << j.dump(2) << '\n';
  } else {
    std::cout << args.model << " on " << dataset->name() << " " << data::to_string(split)
              << ": accuracy " << percent(e.accuracy) << " (" << e.correct << "/" << e.count
              << "), balanced " << percent(e.balanced_accuracy) << " (integer engine, "
              << args.kernels << " kernels, " << args.threads
              << (args.threads == 1 ? " thread, " : " threads, ") << seconds << " s)\n"
              << model_summary(model) << '\n';
  }
  return kExitOk;
}

}  // namespace

Command add_eval_command(CLI::App& parent) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* app = parent.add_subcommand("eval", "Evaluate a .mpq model with the integer engine");
  add_config_option(app);
  app->add_option("model", args->model, "Model file (.mpq)")->required();
  app->add_option("--task", args->task, "Task whose data to evaluate on (e.g. smnist)")->required();
  app->add_option("--data", args->data_dir, "Data folder (default: $MPGRU_DATA_DIR or ./data)");
  add_skip_bad_option(app, args->skip_bad);
  app->add_option("--split", args->split, "train, validation or test")->capture_default_str();
  app->add_option("--threads", args->threads, "Engine threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app->add_option("--kernels", args->kernels,
                  "reference (plain loops) or optimized; bit-exact, same results")
      ->capture_default_str()
      ->check(CLI::IsMember({"reference", "optimized"}));
  app->add_flag("--json", args->json, "Print the result as JSON");
  return {app, [args] { return run_eval(*args); }};
}

}  // namespace mpgru::cli
