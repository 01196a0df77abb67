// `mpgru import`: a GRU classifier trained in PyTorch (state dict or TorchScript) into an mpgru
// float checkpoint folder, checked against the task and scored in float on its splits.
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/front_end_file.hpp"
#include "cli/ptq_setup.hpp"
#include "core/json_file.hpp"
#include "core/staged_folder.hpp"
#include "search/step_quality.hpp"
#include "torchfile/gru_import.hpp"
#include "train/float_export.hpp"

namespace mpgru::cli {
namespace {

namespace fs = std::filesystem;

struct ImportArgs {
  std::string torch_file;
  std::string task;
  std::string data_dir;
  std::string out;
  bool skip_bad = false;
  bool json = false;
  int threads = 2;
  torchfile::GruImportOptions modules;
};

struct SplitScore {
  int64_t count = 0;
  double accuracy = 0;
  int64_t correct() const {
    return static_cast<int64_t>(accuracy * static_cast<double>(count) + 0.5);
  }
};

SplitScore score(const quant::FloatGruModel& model, const data::Dataset& dataset, data::Split split,
                 int threads) {
  const data::Sequences& sequences = dataset.split(split);
  return {sequences.count(), quant::float_accuracy(model, sequences, threads)};
}

// A sequence-to-sequence task: the head runs after every step through a sigmoid (the engine's
// per-step model), so the model becomes per-step with as many outputs as the head has rows.
void make_per_step(quant::FloatGruModel& model) {
  model.outputs = model.classes;
  model.classes = 0;
  quant::validate(model);
}

// A per-step model's float fit of a split's targets: its target R^2 (mean and 95 % interval over
// sequences) and the mean squared error of its outputs (the training loss of per-step models).
nlohmann::json target_fit(const quant::FloatGruModel& model, const data::Sequences& s) {
  double sse = 0;
  const std::vector<float> r2 = search::r2_scores(s, [&](int64_t i, float* out) {
    quant::forward_steps(model, s.sequence(i), static_cast<int32_t>(s.steps), out);
    const float* t = s.target(i);
    for (int64_t k = 0; k < s.steps * s.outputs; ++k)
      sse += (out[k] - t[k]) * double(out[k] - t[k]);
  });
  const search::MeanInterval m = search::mean_interval(r2);
  return {{"r2", m.mean},
          {"r2_ci95", m.ci95},
          {"mse", sse / static_cast<double>(s.targets.size())},
          {"count", s.count()}};
}

nlohmann::json per_step_metrics(const data::Dataset& dataset, const nlohmann::json& val,
                                const nlohmann::json& test, double seconds) {
  return {{"task", dataset.name()},
          {"imported", true},
          {"epochs", nlohmann::json::array()},
          {"best_epoch", 0},
          {"best_val_loss", val.at("mse")},
          {"val_loss", val.at("mse")},
          {"test_loss", test.at("mse")},
          {"quality",
           {{"validation", {{"r2", val.at("r2")}, {"r2_ci95", val.at("r2_ci95")}}},
            {"test", {{"r2", test.at("r2")}, {"r2_ci95", test.at("r2_ci95")}}}}},
          {"total_seconds", seconds},
          {"stopped_early", false}};
}

std::string describe(const torchfile::ImportedGru& imported) {
  const quant::FloatGruModel& m = imported.model;
  auto module = [](const std::string& path) { return path.empty() ? std::string("<root>") : path; };
  std::string out = "nn.GRU '" + module(imported.gru) + "' (" + std::to_string(m.layers.size()) +
                    (m.layers.size() == 1 ? " layer" : " layers") + ", " +
                    std::to_string(m.features) + " -> " + std::to_string(m.layers.back().hidden) +
                    "), head '" + module(imported.head) + "' (" +
                    (m.outputs > 0 ? std::to_string(m.outputs) + " outputs per step, sigmoid"
                                   : std::to_string(m.classes) + " classes") +
                    ")";
  if (imported.has_embedding) {
    out += ", embedding '" + imported.embedding + "' (" + std::to_string(m.embedding.vocabulary) +
           " tokens)";
  }
  return out;
}

// The model must read the task's sequences and predict its classes (or its per-step outputs).
void check_fits(const torchfile::ImportedGru& imported, const data::Dataset& dataset,
                const std::string& file) {
  if (dataset.outputs() > 0 && imported.model.classes != dataset.outputs()) {
    throw std::runtime_error(file + ": the head '" + imported.head + "' gives " +
                             std::to_string(imported.model.classes) + " outputs per step, task " +
                             dataset.name() + " has " + std::to_string(dataset.outputs()) +
                             " targets per step");
  }
  if (const std::string why = quant::input_mismatch(imported.model, dataset); !why.empty()) {
    throw std::runtime_error(file + ": the model " + why);
  }
  if (dataset.outputs() == 0 && imported.model.classes != dataset.num_classes()) {
    throw std::runtime_error(file + ": the head '" + imported.head + "' predicts " +
                             std::to_string(imported.model.classes) + " classes, task " +
                             dataset.name() + " has " + std::to_string(dataset.num_classes()));
  }
}

nlohmann::json metrics_json(const data::Dataset& dataset, const SplitScore& val,
                            const SplitScore& test, double seconds) {
  return {{"task", dataset.name()},
          {"imported", true},
          {"epochs", nlohmann::json::array()},
          {"best_epoch", 0},
          {"best_val_accuracy", val.accuracy},
          {"val_accuracy", val.accuracy},
          {"val_correct", val.correct()},
          {"val_count", val.count},
          {"test_accuracy", test.accuracy},
          {"test_correct", test.correct()},
          {"test_count", test.count},
          {"total_seconds", seconds},
          {"stopped_early", false}};
}

nlohmann::json config_json(const data::Dataset& dataset, const ImportArgs& args,
                           const torchfile::TorchFile& file, const torchfile::ImportedGru& imported,
                           nlohmann::json model) {
  return {{"task", dataset.name()},
          {"model", std::move(model)},
          {"import",
           {{"file", args.torch_file},
            {"format", torchfile::format_name(file.format)},
            {"gru", imported.gru},
            {"head", imported.head},
            {"embedding", imported.embedding}}},
          {"data", data::shape_json(dataset)}};
}

// Writes checkpoint, config.json, metrics.json (and front_end.json for audio tasks) into OUT
// together; a folder created here is removed again if writing fails.
void write_checkpoint_folder(const fs::path& out,
                             const std::function<void(const fs::path&)>& write) {
  std::error_code ec;
  const bool existed = fs::exists(out, ec);
  try {
    fs::create_directories(out);
    core::StagedFolder staged(out);
    write(staged.path());
    if (!fs::exists(staged.path() / "front_end.json")) fs::remove(out / "front_end.json");
    fs::remove(out / "checkpoint");  // never an old checkpoint beside the new config.json
    staged.commit();
  } catch (...) {
    if (!existed) fs::remove_all(out, ec);
    throw;
  }
}

std::string percent_of(const SplitScore& s) {
  return percent(s.accuracy) + " (" + std::to_string(s.correct()) + "/" + std::to_string(s.count) +
         ")";
}

int finish_per_step(const ImportArgs& args, const torchfile::TorchFile& file,
                    const torchfile::ImportedGru& imported, const data::Dataset& dataset,
                    std::chrono::steady_clock::time_point start) {
  const nlohmann::json val = target_fit(imported.model, dataset.split(data::Split::validation));
  const nlohmann::json test = target_fit(imported.model, dataset.split(data::Split::test));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json metrics = per_step_metrics(dataset, val, test, seconds);
  write_checkpoint_folder(args.out, [&](const fs::path& dir) {
    nlohmann::json model = train::save_float_checkpoint(imported.model, dir);
    core::write_json_file(config_json(dataset, args, file, imported, std::move(model)),
                          dir / "config.json");
    core::write_json_file(metrics, dir / "metrics.json");
  });
  if (args.json) {
    std::cout << metrics.dump(2) << '\n';
  } else {
    char line[160];
    std::snprintf(line, sizeof line, "float target R^2: validation %.4f, test %.4f",
                  val.at("r2").get<double>(), test.at("r2").get<double>());
    std::cout << line << "; wrote " << args.out << "/{checkpoint,config.json,metrics.json}\n";
  }
  return kExitOk;
}

int run_import(const ImportArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  const torchfile::TorchFile file = torchfile::read_torch_file(args.torch_file);
  const std::unique_ptr<data::Dataset> dataset =
      load_task_data(args.task, args.data_dir, args.skip_bad);
  torchfile::GruImportOptions modules = args.modules;
  if (dataset->vocabulary() == 0) modules.input = dataset->features();  // shapes from the data
  torchfile::ImportedGru imported;
  try {
    imported = torchfile::gru_from_torch(file, modules);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(args.torch_file + ": " + e.what());
  }
  check_fits(imported, *dataset, args.torch_file);
  if (dataset->outputs() > 0) make_per_step(imported.model);
  std::ostream& log = args.json ? std::cerr : std::cout;
  log << "mpgru import: " << args.torch_file << " (" << torchfile::format_name(file.format)
      << "): " << describe(imported) << "; scoring in float on task " << dataset->name() << '\n';
  if (imported.model.outputs > 0) return finish_per_step(args, file, imported, *dataset, start);
  const SplitScore val = score(imported.model, *dataset, data::Split::validation, args.threads);
  const SplitScore test = score(imported.model, *dataset, data::Split::test, args.threads);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_checkpoint_folder(args.out, [&](const fs::path& dir) {
    nlohmann::json model = train::save_float_checkpoint(imported.model, dir);
    core::write_json_file(config_json(*dataset, args, file, imported, std::move(model)),
                          dir / "config.json");
    core::write_json_file(metrics_json(*dataset, val, test, seconds), dir / "metrics.json");
    write_front_end(*dataset, dir);
  });
  if (args.json) {
    std::cout << metrics_json(*dataset, val, test, seconds).dump(2) << '\n';
  } else {
    std::cout << "float accuracy: validation " << percent_of(val) << ", test " << percent_of(test)
              << "; wrote " << args.out << "/{checkpoint,config.json,metrics.json}\n";
  }
  return kExitOk;
}

}  // namespace

Command add_import_command(CLI::App& parent) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* app = parent.add_subcommand(
      "import",
      "Import a GRU trained in PyTorch (state_dict or TorchScript file): a classifier, or a "
      "per-step model (sigmoid outputs every step) of a sequence-to-sequence data file");
  add_config_option(app);
  app->add_option("--torch", args->torch_file,
                  "PyTorch file: torch.save(model.state_dict()) or torch.jit.save(...)")
      ->required();
  app->add_option("--task", args->task,
                  "The task the model was trained on (smnist, kws, ...; file when --data names a "
                  "data file)");
  app->add_option("--data", args->data_dir,
                  "Data folder (default: $MPGRU_DATA_DIR, ./data, or the build's data folder), or "
                  "the data file the model was trained on (.npz, .pt: docs/your-data.md)");
  app->add_option("--out,-o", args->out, "Output checkpoint folder (as mpgru train writes it)")
      ->required();
  app->add_option("--gru", args->modules.gru,
                  "Module path of the nn.GRU when the model nests it, e.g. model.rnn (default: "
                  "found)");
  app->add_option("--head", args->modules.head,
                  "Module path of the nn.Linear classifier (default: found)");
  app->add_option("--embedding", args->modules.embedding,
                  "Module path of the nn.Embedding, token tasks (default: found)");
  app->add_option("--threads", args->threads, "Cores to score with")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  add_skip_bad_option(app, args->skip_bad);
  app->add_flag("--json", args->json, "Print the metrics as JSON on stdout (log goes to stderr)");
  return {app, [args] { return run_import(*args); }};
}

}  // namespace mpgru::cli
