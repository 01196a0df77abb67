// Float training of the GRU classifier (cross-entropy), or of a per-step model for a
// sequence-to-sequence task (mean squared error of its sigmoid outputs): Adam, cosine learning-rate
// decay, gradient clipping, validation every epoch, best checkpoint kept, early stopping. No
// LibTorch in this header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/dataset.hpp"

namespace mpgru::train {

struct TrainConfig {
  int64_t hidden = 128;
  int64_t layers = 1;
  int epochs = 20;
  int64_t batch = 128;
  double lr = 2e-3;  // peak learning rate, decayed by a cosine to lr * min_lr_ratio
  double min_lr_ratio = 0.02;
  double weight_decay = 0.0;
  double clip_norm = 1.0;  // max global gradient norm; <= 0 disables clipping
  int patience = 5;        // epochs without validation improvement before stopping
  uint64_t seed = 1;
  int threads = 2;          // cores this job may use
  int64_t train_limit = 0;  // use only the first N training sequences (0 = all)
  int64_t embedding = 32;   // embedding dim, for tasks whose inputs are token ids
};

// Throws std::invalid_argument naming the bad field.
void validate(const TrainConfig& config);

struct EpochMetrics {
  int epoch = 0;  // 1-based
  double train_loss = 0;
  double train_accuracy = 0;
  double val_loss = 0;
  double val_accuracy = 0;
  double lr = 0;       // learning rate at the end of the epoch
  double seconds = 0;  // training + validation wall time
};

struct TrainResult {
  std::vector<EpochMetrics> epochs;
  int best_epoch = 0;
  double best_val_accuracy = 0;  // 0 for sequence-to-sequence tasks
  double best_val_loss = 0;      // of the best epoch (what selects it for sequence to sequence)
  double test_loss = 0;
  double test_accuracy = 0;           // of the best checkpoint
  double test_balanced_accuracy = 0;  // mean per-class recall on the test split
  double total_seconds = 0;
  bool stopped_early = false;
};

struct TrainProgress {
  int epoch = 0;
  int epochs = 0;
  int64_t batch = 0;  // batches done in this epoch
  int64_t batches = 0;
  double loss = 0;  // running mean over the epoch
  double elapsed_seconds = 0;
  double eta_seconds = 0;  // to the end of the last epoch
};

struct TrainCallbacks {
  std::function<void(const TrainProgress&)> on_batch;
  std::function<void(const EpochMetrics&)> on_epoch;
};

// Trains on dataset's train split, validates on its validation split and tests the best
// checkpoint on the test split. Writes out_dir/{config.json, checkpoint, metrics.json};
// config.json first, checkpoint on each improvement, metrics.json after every epoch.
TrainResult train_float(const data::Dataset& dataset, const TrainConfig& config,
                        const std::filesystem::path& out_dir, const TrainCallbacks& callbacks = {});

// The metrics.json document of a (possibly unfinished) run, as text.
std::string metrics_json(const data::Dataset& dataset, const TrainResult& result);

}  // namespace mpgru::train
