// Float GRU training step (batch 128, 28 steps x 28 features, hidden 128, Adam) under
// different LibTorch/OpenBLAS thread splits.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "train/gru_classifier.hpp"
#include "train/threads.hpp"

namespace {

void BM_FloatTrainStep(benchmark::State& state) {
  mpgru::train::set_compute_threads(
      {static_cast<int>(state.range(0)), static_cast<int>(state.range(1))});
  torch::manual_seed(1);
  mpgru::train::GruClassifier model(mpgru::train::GruClassifierOptions{28, 128, 1, 10});
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
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
BENCHMARK(BM_FloatTrainStep)
    ->ArgNames({"torch", "blas"})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({2, 1})
    ->Args({2, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
