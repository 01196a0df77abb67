// Quantization-aware fine-tuning of one genome: PTQ scales as the start, the fake-quant GRU
// trained with Adam (weights and LSQ step sizes), then conversion with exactly the trained
// step sizes. The search calls fine_tune with an already loaded model and data.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/dataset.hpp"
#include "core/genome.hpp"
#include "engine/model.hpp"
#include "quant/calibration.hpp"
#include "quant/float_gru.hpp"
#include "quant/scale_set.hpp"

namespace mpgru::train {

struct QatConfig {
  int64_t steps = 0;    // training steps; 0: use epochs
  double epochs = 1.0;  // passes over the training split when steps == 0
  int64_t batch = 128;
  double lr = 1e-3;        // weights; decayed by a cosine to 0
  double scale_lr = 1e-3;  // step sizes
  double clip_norm = 1.0;  // gradient-norm clip (<= 0: off)
  uint64_t seed = 1;
  int threads = 2;  // cores: LibTorch 1 thread + OpenBLAS the rest
  // Knowledge distillation from the float model (the teacher, run on the same batch without
  // gradient): alpha in [0, 1], 0 off. A classifier's loss becomes (1 - alpha) CE(labels) +
  // alpha T^2 KL(softmax(teacher / T) || softmax(student / T)) (batch mean, Hinton et al.); a
  // per-step model's (1 - alpha) MSE(targets) + alpha MSE(teacher's gains), T unused.
  double distill_weight = 0;
  double distill_temperature = 2;  // T > 0
  // Oscillation dampening (Nagel et al. 2022): lambda >= 0, 0 off. Adds lambda_t * the sum over
  // every weight of the weight genes at <= kDampenMaxBits of (clamp(w, s qmin, s qmax) - q(w))^2
  // (train::dampening_loss: q(w) and the step s held constant, weight units, summed, not
  // averaged, so a weight's pull 2 lambda (w - q(w)) does not shrink with the model's size).
  // lambda_t ramps from 0 to lambda by a cosine: lambda (1 - cos(pi (t + 1) / steps)) / 2 at
  // step t, lambda at the last step. Its gradient counts toward clip_norm as the task loss's does.
  double dampen = 0;
};

// Oscillation dampening's genes: weights at 2-4 bits, where a rounding boundary is a large share
// of the range; wider genes' grids are fine enough that an oscillation barely moves the model.
constexpr int kDampenMaxBits = 4;

// Throws std::invalid_argument naming the bad field.
void validate(const QatConfig& config);

class QatGruImpl;

struct QatProgress {
  int64_t step = 0;
  int64_t steps = 0;
  double loss = 0;  // running mean
  double elapsed_seconds = 0;
  const QatGruImpl* model = nullptr;  // after this step's update (its latent weights, for tests)
};

struct QatResult {
  engine::IntegerModel model;
  int64_t steps = 0;
  int64_t skipped_steps = 0;  // of `steps`: not applied, their gradients overflowed (not finite)
  double seconds = 0;
  double first_loss = 0;  // mean over the first 10% of steps (with distillation: the mixed loss;
                          // with dampening: plus lambda_t times the dampening term)
  double last_loss = 0;   // mean over the last 10% of steps
};

QatResult fine_tune(const quant::FloatGruModel& model, const quant::Calibration& calibration,
                    const core::Genome& genome, const data::Sequences& train,
                    const QatConfig& config,
                    const std::function<void(const QatProgress&)>& progress = {});

// Predictions of the fake-quant model before any training (for fidelity checks): the
// PTQ-initialised QAT GRU's argmax on every sequence.
std::vector<int32_t> fake_quant_predictions(const quant::FloatGruModel& model,
                                            const quant::ScaleSet& scales,
                                            const core::Genome& genome,
                                            const data::Sequences& sequences);

}  // namespace mpgru::train
