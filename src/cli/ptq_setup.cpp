// Shared set-up of the PTQ commands.
#include "cli/ptq_setup.hpp"

#include <cstdio>

#include "data/task.hpp"
#include "train/checkpoint_data.hpp"
#include "train/float_export.hpp"

namespace mpgru::cli {

void add_ptq_options(CLI::App* app, PtqArgs& args) {
  app->add_option("--ckpt", args.checkpoint, "Float checkpoint folder (from mpgru train)")
      ->required();
  app->add_option("--task", args.task, "Task (default: the checkpoint's)");
  app->add_option("--data", args.data_dir,
                  "Data folder, or a data file (.npz, .pt: task file); default: the checkpoint's "
                  "data file, $MPGRU_DATA_DIR or ./data");
  add_skip_bad_option(app, args.skip_bad);
  app->add_option("--calibration", args.method, "Activation ranges: mse, percentile or maxabs")
      ->capture_default_str()
      ->check(CLI::IsMember({"mse", "percentile", "maxabs"}));
  app->add_option("--percentile", args.calibration.percentile,
                  "Percentile of |v| for --calibration percentile")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 100.0));
  app->add_option("--calib-sequences", args.calibration.sequences,
                  "Training sequences used for calibration")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
}

void add_skip_bad_option(CLI::App* app, bool& skip_bad) {
  app->add_flag(
      "--skip-bad", skip_bad,
      "Skip unreadable or malformed input files (counted in a warning) instead of failing");
}

std::unique_ptr<data::Dataset> load_task_data(const std::string& task, const std::string& data_dir,
                                              bool skip_bad) {
  const std::string name = data::resolve_task(task, data_dir);
  if (name.empty()) {
    throw std::invalid_argument(
        "give --task NAME (mpgru tasks lists them) or --data FILE (a data "
        "file: .npz or .pt)");
  }
  return data::load_task(
      name, data_dir.empty() ? data::default_data_dir() : std::filesystem::path(data_dir),
      data::LoadOptions{skip_bad});
}

void check_task_fits(const quant::FloatGruModel& model, const data::Dataset& dataset,
                     const std::string& checkpoint) {
  if (const std::string why = quant::input_mismatch(model, dataset); !why.empty()) {
    throw std::invalid_argument("checkpoint " + checkpoint + " " + why);
  }
}

PtqSetup prepare_ptq(const PtqArgs& args,
                     const std::function<void(const quant::FloatGruModel&)>& check_first) {
  PtqSetup s;
  quant::CalibrationOptions options = args.calibration;
  options.method = quant::parse_range_method(args.method);
  s.float_model = train::load_float_model(args.checkpoint);
  if (check_first) check_first(s.float_model);  // e.g. the genome: before seconds of loading
  s.dataset = train::load_checkpoint_data(args.checkpoint, args.task, args.data_dir,
                                          data::LoadOptions{args.skip_bad});
  check_task_fits(s.float_model, *s.dataset, args.checkpoint);
  s.calibration = quant::calibrate(s.float_model, s.dataset->split(data::Split::train), options);
  return s;
}

std::string percent(double fraction) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * fraction);
  return buf;
}

}  // namespace mpgru::cli
