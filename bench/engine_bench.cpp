// Integer engine throughput: sMNIST-shaped sequences (28 steps x 28 features) through a GRU-128
// converted from a random float model, one thread, homogeneous 8/4/2-bit genomes.
#include <benchmark/benchmark.h>

#include "engine/batch_engine.hpp"
#include "engine/convert.hpp"
#include "engine/gru_engine.hpp"
#include "engine/packed_linear.hpp"
#include "fixtures/random_float_model.hpp"
#include "fixtures/random_model.hpp"

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

// The batched product alone: GRU-128's hidden linears (3 x 128 rows, 128 columns) on 64 inputs.
void BM_PackedLinearGru128Hidden(benchmark::State& state) {
  const auto paths = engine::supported_paths();
  if (static_cast<size_t>(state.range(0)) >= paths.size()) {
    state.SkipWithError("kernel path not supported by this CPU");
    return;
  }
  const engine::KernelPath path = paths[static_cast<size_t>(state.range(0))];
  state.SetLabel(engine::to_string(path));
  const engine::IntegerModel m =
      testing::random_model(core::Genome::homogeneous({1, false}, 8), 28, 128, 10, 3);
  const auto& g = m.layers[0];
  const engine::PackedLinear packed({&g.lin_h[0], &g.lin_h[1], &g.lin_h[2]}, path);
  std::vector<int16_t> x(64 * 128, 5);
  engine::AlignedBuffer<uint8_t> buffer(64 * packed.input_bytes_per_row());
  engine::AlignedBuffer<int32_t> acc(static_cast<size_t>(64 * packed.padded_rows()));
  packed.pack_input(x.data(), 64, 128, buffer.data());
  for (auto _ : state) {
    packed.multiply(buffer.data(), 64, acc.data());
    benchmark::DoNotOptimize(acc.data());
  }
  state.counters["GMAC/s"] =
      benchmark::Counter(64.0 * 384 * 128 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PackedLinearGru128Hidden)
    ->ArgName("path")
    ->DenseRange(0, 2)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
