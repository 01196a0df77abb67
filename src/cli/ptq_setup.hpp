// What quantize and sweep share: loading a float checkpoint, its task's data, and calibrating.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "core/dataset.hpp"
#include "quant/calibration.hpp"
#include "quant/float_gru.hpp"

namespace mpgru::cli {

struct PtqArgs {
  std::string checkpoint;
  std::string task;  // default: the checkpoint's
  std::string data_dir;
  bool skip_bad = false;
  std::string method = "mse";
  quant::CalibrationOptions calibration;
};

void add_ptq_options(CLI::App* app, PtqArgs& args);
// --skip-bad: skip unreadable input files (e.g. bad WAVs) with a counted warning.
void add_skip_bad_option(CLI::App* app, bool& skip_bad);

struct PtqSetup {
  quant::FloatGruModel float_model;
  std::unique_ptr<data::Dataset> dataset;
  quant::Calibration calibration;
};

// Throws std::invalid_argument naming the checkpoint and task if the model cannot read the
// task's sequences (tokens vs real features, vocabulary, features per step).
void check_task_fits(const quant::FloatGruModel& model, const data::Dataset& dataset,
                     const std::string& checkpoint);

// Loads the checkpoint and data and calibrates on the training split. Throws with context. The
// cheap checks come first: the calibration method, then `check_first` on the float model (e.g.
// parsing the genome against its layout), before the data is loaded and calibrated.
PtqSetup prepare_ptq(const PtqArgs& args,
                     const std::function<void(const quant::FloatGruModel&)>& check_first = {});

// Loads a task's data from --data or the default folder.
std::unique_ptr<data::Dataset> load_task_data(const std::string& task, const std::string& data_dir,
                                              bool skip_bad);

std::string percent(double fraction);

}  // namespace mpgru::cli
