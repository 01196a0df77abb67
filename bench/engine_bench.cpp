// Integer engine throughput: sMNIST-shaped sequences (28 steps x 28 features) through a GRU-128
// converted from a random float model, one thread, homogeneous 8/4/2-bit genomes.
#include <benchmark/benchmark.h>

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

}  // namespace
