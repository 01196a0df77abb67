// Training steps (batch 128, 28 steps x 28 features, hidden 128, Adam): the float GRU under
// different LibTorch/OpenBLAS thread splits, and the QAT (fake-quant) GRU next to it.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "fixtures/random_float_model.hpp"
#include "quant/scale_set.hpp"
#include "train/gru_classifier.hpp"
#include "train/qat_gru.hpp"
#include "train/threads.hpp"

namespace {

using namespace mpgru;

template <typename Model>
void run_steps(benchmark::State& state, Model& model, torch::optim::Optimizer& optimizer) {
  const torch::Tensor x = torch::rand({128, 28, 28});
  const torch::Tensor y = torch::randint(0, 10, {128}, torch::kInt64);
  for (auto _ : state) {
    optimizer.zero_grad();
    const torch::Tensor loss = torch::cross_entropy_loss(model->forward(x), y);
    loss.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  state.SetItemsProcessed(state.iterations() * 128);
}

void BM_FloatTrainStep(benchmark::State& state) {
  train::set_compute_threads({static_cast<int>(state.range(0)), static_cast<int>(state.range(1))});
  torch::manual_seed(1);
  train::GruClassifier model(train::GruClassifierOptions{28, 128, 1, 10});
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  run_steps(state, model, optimizer);
}
BENCHMARK(BM_FloatTrainStep)
    ->ArgNames({"torch", "blas"})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({2, 1})
    ->Args({2, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// cells: cores of the fused recurrence (1: one core; 2: the batch rows split over two, what a
// job with 2 cores gets by default).
void BM_QatTrainStep(benchmark::State& state) {
  train::set_compute_threads({1, static_cast<int>(state.range(1))});
  const quant::FloatGruModel f = testing::random_float_model(28, 128, 10);
  quant::CalibrationOptions o;
  o.sequences = 50;
  const quant::Calibration c = quant::calibrate(f, testing::random_sequences(60, 28, 28, 10), o);
  const core::Genome g = core::Genome::homogeneous({1, false}, static_cast<int>(state.range(0)));
  train::QatGru model(f, quant::ptq_scales(f, c, g), g);
  model->set_threads(static_cast<int>(state.range(2)));
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  run_steps(state, model, optimizer);
}
BENCHMARK(BM_QatTrainStep)
    ->ArgNames({"bits", "blas", "cells"})
    ->Args({4, 1, 1})
    ->Args({4, 2, 1})
    ->Args({4, 2, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
