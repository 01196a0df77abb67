// `mpgru export`: an integer model (.mpq) as C99 sources for a microcontroller, and/or as a
// PyTorch state dict of its fake-quantized weights with its bit widths and scales.
#include <iostream>

#include "cli/command.hpp"
#include "cli/ptq_setup.hpp"
#include "core/json_file.hpp"
#include "core/text_file.hpp"
#include "data/task.hpp"
#include "engine/model_file.hpp"
#include "export/c_export.hpp"
#include "export/golden_check.hpp"
#include "torchfile/quantized_parameters.hpp"
#include "train/torch_state_file.hpp"

namespace mpgru::cli {
namespace {

struct ExportArgs {
  std::string model;
  std::string out;
  std::string name;
  std::string task;
  bool no_input_helper = false;
  std::string torch_file;
  int64_t golden = 0;  // > 0: NAME_golden.c with that many sequences of golden_split
  std::string golden_split = "test";
  std::string data_dir;
};

// NAME_golden.c's source: the first `args.golden` sequences of the task's split replayed through
// the exported model and compared with the engine at every step (export/golden_check.hpp).
// Built before anything is written, so a bad --golden leaves no files behind.
std::string golden_source(const ExportArgs& args, const engine::IntegerModel& model,
                          const std::string& name, const data::Dataset& dataset) {
  const data::Split split = data::parse_split(args.golden_split);
  const data::Sequences& all = dataset.split(split);
  if (args.golden > all.count()) {
    throw std::invalid_argument("--golden " + std::to_string(args.golden) + ": the " +
                                args.golden_split + " split of " + dataset.name() + " holds " +
                                std::to_string(all.count()) + " sequences");
  }
  if (const std::string why =
          quant::input_mismatch(model.embedding.vocabulary, model.sequence_features(), dataset);
      !why.empty()) {
    throw std::invalid_argument(args.model + " " + why);
  }
  return codegen::golden_check_c(name, model, all.slice(0, args.golden));
}

// The banner's task line and input note: a built-in task's, or a data file's metadata.
void describe_task(const std::string& task, const data::Dataset* dataset,
                   codegen::ModelDescription& info) {
  if (task == data::kFileTask && dataset != nullptr) {
    const nlohmann::json source = dataset->source();
    const std::string description = source.value("description", std::string());
    info.task = "data file " + std::filesystem::path(source.value("file", "")).filename().string() +
                " (content hash " + source.value("hash", "") + ")" +
                (description.empty() ? std::string() : ": " + description);
    const std::string features = source.value("features_note", std::string());
    info.input_note =
        features.empty() ? "as the data file's features (its metadata says no more)" : features;
    return;
  }
  if (task.empty()) return;
  const data::TaskInfo& t = data::find_task(task);
  info.task = t.name + ": " + t.description;
  info.input_note = t.input_note;
}

// FILE.pt (fake-quantized state dict) and FILE.pt.json's path beside it.
std::filesystem::path quantization_json_path(const std::string& torch_file) {
  return std::filesystem::path(torch_file + ".json");
}

void export_torch(const engine::IntegerModel& model, const ExportArgs& args) {
  const auto parameters = torchfile::fake_quantized_parameters(model);
  core::write_json_file(torchfile::quantization_json(model),
                        quantization_json_path(args.torch_file));
  train::save_torch_state_dict(parameters, args.torch_file);
  std::cout << "wrote " << args.torch_file << " (" << parameters.size()
            << " fake-quantized tensors: embedding., gru., classifier.) and "
            << quantization_json_path(args.torch_file).string()
            << " (bit widths and scales of every gene; docs/pytorch.md)\n";
}

int run_export(const ExportArgs& args) {
  if (args.out.empty() && args.torch_file.empty()) {
    throw std::invalid_argument(
        "give --out (C sources) or --torch (a PyTorch state dict), or both");
  }
  if (args.out.empty()) {
    export_torch(engine::load_model(args.model), args);
    return kExitOk;
  }
  codegen::ExportOptions options;
  options.model.name = args.name.empty() ? codegen::default_model_name(args.model) : args.name;
  if (const std::string e = codegen::check_c_name(options.model.name); !e.empty()) {
    throw std::invalid_argument(
        e + (args.name.empty() ? " (made from the file name; pass --name)" : ""));
  }
  options.model.source = std::filesystem::path(args.model).filename().string();
  options.model.generator = "mpgru " MPGRU_VERSION;
  const std::string task = data::resolve_task(args.task, args.data_dir);
  if (args.golden > 0 && task.empty()) {
    throw std::invalid_argument("--golden needs --task or --data FILE (whose data to replay)");
  }
  std::unique_ptr<data::Dataset> dataset;  // for --golden, and a data file's banner
  if (args.golden > 0 || task == data::kFileTask) {
    dataset = load_task_data(task, args.data_dir, false);
  }
  describe_task(task, dataset.get(), options.model);
  options.input_helper = !args.no_input_helper;
  const engine::IntegerModel model = engine::load_model(args.model);
  if (const std::string e = codegen::export_problem(model); !e.empty()) {
    throw std::invalid_argument(args.model + ": cannot export: " + e);
  }
  const std::string golden =
      args.golden > 0 ? golden_source(args, model, options.model.name, *dataset) : std::string();
  const auto written = codegen::export_c(model, args.out, options);
  std::cout << "wrote " << written.size() << " files to " << args.out << ":";
  for (const auto& path : written) std::cout << ' ' << path.filename().string();
  std::cout << "\nmodel " << options.model.name << ": " << options.model.name << "_reset, "
            << options.model.name << "_step, " << options.model.name << "_logits, "
            << options.model.name << "_predict"
            << (model.per_step ? ", " + options.model.name + "_gains (every step)" : std::string())
            << " (see " << options.model.name << ".h)\n";
  if (!golden.empty()) {
    const std::filesystem::path path =
        std::filesystem::path(args.out) / (options.model.name + "_golden.c");
    core::write_text_file(golden, path);
    std::cout << "wrote " << path.string() << ": int " << options.model.name
              << "_golden_check(void) replays the first " << args.golden << " " << args.golden_split
              << " sequences and compares every step with the engine, bit for bit\n";
  }
  if (!args.torch_file.empty()) export_torch(model, args);
  return kExitOk;
}

}  // namespace

Command add_export_command(CLI::App& parent) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* app = parent.add_subcommand(
      "export",
      "Write an integer model (.mpq) as C99 for a microcontroller: NAME.h/.c and the "
      "runtime mpgru_rt.h/.c (docs/deploy.md)");
  add_config_option(app);
  app->add_option("model", args->model, "The integer model (.mpq)")->required();
  app->add_option("--out,-o", args->out, "Folder to write the C files into (created)");
  app->add_option("--torch", args->torch_file,
                  "Also (or only) write FILE: a PyTorch state dict of the fake-quantized weights "
                  "(torch.load), and FILE.json: every gene's bit width and scale");
  app->add_option("--name", args->name,
                  "Prefix of every symbol (default: the model file's name made a C identifier)");
  app->add_option("--task", args->task,
                  "The task the model was trained for: its input conventions go into the banner");
  app->add_flag("--no-input-helper", args->no_input_helper,
                "Do not write mpgru_input.h/.c (float -> quantized input)");
  app->add_option("--golden", args->golden,
                  "Also write NAME_golden.c: the first N sequences of --golden-split of --task, "
                  "replayed through the C model and compared with the engine at every step "
                  "(examples/cortex-m4: make GOLDEN=1)")
      ->check(CLI::PositiveNumber);
  app->add_option("--golden-split", args->golden_split, "train, validation or test")
      ->capture_default_str();
  app->add_option("--data", args->data_dir,
                  "Data folder (for --golden), or a data file (.npz, .pt: task file; its "
                  "metadata goes into the banner)");
  return {app, [args] { return run_export(*args); }};
}

}  // namespace mpgru::cli
