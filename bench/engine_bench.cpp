// Integer engine throughput: sMNIST-shaped sequences (28 steps x 28 features) through a GRU-128
// converted from a random float model, one thread, homogeneous 8/4/2-bit genomes.
#include <benchmark/benchmark.h>

#include "engine/batch_engine.hpp"
#include "engine/convert.hpp"
#include "engine/gru_engine.hpp"
#include "fixtures/random_float_model.hpp"

namespace {

using namespace mpgru;

void BM_EngineSmnistGru128(benchmark::State& state) {
  const int bits = static_cast<int>(state.range(0));
  const auto kernels = static_cast<engine::Kernels>(state.range(1));
  const quant::FloatGruModel f = testing::random_float_model(28, 128, 10);
  const data::Sequences data = testing::random_sequences(200, 28, 28, 10);
  quant::CalibrationOptions options;
  options.sequences = 100;
  const quant::Calibration calibration = quant::calibrate(f, data, options);
  const engine::IntegerModel model =
      engine::convert(f, calibration, core::Genome::homogeneous({1, false}, bits), 28);
  engine::GruEngine engine(model, kernels);
  int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine.predict(data.sequence(i % data.count()), 28));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["seconds_per_10k"] = benchmark::Counter(
      1e-4, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
// kernels: 0 = reference, 1 = optimized.
BENCHMARK(BM_EngineSmnistGru128)
    ->ArgNames({"bits", "kernels"})
    ->ArgsProduct({{8, 4, 2}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

// The batched engine: 64 sequences per run, every kernel path this CPU has.
void BM_BatchEngineSmnistGru128(benchmark::State& state) {
  const int bits = static_cast<int>(state.range(0));
  const auto paths = engine::supported_paths();
  if (static_cast<size_t>(state.range(1)) >= paths.size()) {
    state.SkipWithError("kernel path not supported by this CPU");
    return;
  }
  const engine::KernelPath path = paths[static_cast<size_t>(state.range(1))];
  state.SetLabel(engine::to_string(path));
  const quant::FloatGruModel f = testing::random_float_model(28, 128, 10);
  const data::Sequences data = testing::random_sequences(256, 28, 28, 10);
  quant::CalibrationOptions options;
  options.sequences = 100;
  const quant::Calibration calibration = quant::calibrate(f, data, options);
  const engine::IntegerModel model =
      engine::convert(f, calibration, core::Genome::homogeneous({1, false}, bits), 28);
  engine::BatchEngine engine(model, path, 64);
  std::vector<int32_t> logits(64 * 10);
  int64_t i = 0;
  for (auto _ : state) {
    engine.run(data.sequence(i % 4 * 64), 28 * 28, 64, 28, logits.data());
    benchmark::DoNotOptimize(logits.data());
    ++i;
  }
  state.SetItemsProcessed(state.iterations() * 64);
}
// path: index into supported_paths() (0 portable, then avx2, avx512_vnni where present).
BENCHMARK(BM_BatchEngineSmnistGru128)
    ->ArgNames({"bits", "path"})
    ->ArgsProduct({{8, 4, 2}, {0, 1, 2}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
