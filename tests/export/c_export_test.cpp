// Exported C models against the engine: compiled for the host (gcc, clang) and for a Cortex-M4
// run under QEMU, every step's hidden state and the logits compared bit for bit.
#include "export/c_export.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>

#include "engine/convert.hpp"
#include "export/c_harness.hpp"
#include "fixtures/random_float_model.hpp"
#include "fixtures/random_model.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::codegen {
namespace {

using engine::IntegerModel;

struct NamedModel {
  std::string name;
  IntegerModel model;
};

// PTQ of `float_model` at homogeneous 8, 4, 2 bits and `random` random genomes that convert
// (a genome whose accumulators could overflow is refused by convert and skipped).
void add_converted(std::vector<NamedModel>& out, const std::string& prefix,
                   const quant::FloatGruModel& float_model, const data::Sequences& calibration_data,
                   int random) {
  quant::CalibrationOptions options;
  options.sequences = 100;
  const quant::Calibration calibration = quant::calibrate(float_model, calibration_data, options);
  const core::GenomeLayout layout = quant::genome_layout(float_model);
  for (int bits : {8, 4, 2}) {
    out.push_back(
        {prefix + "_h" + std::to_string(bits),
         engine::convert(float_model, calibration, core::Genome::homogeneous(layout, bits), 28)});
  }
  for (uint64_t seed = 1; random > 0; ++seed) {
    ASSERT_LT(seed, 200u) << "too few random genomes convert";
    try {
      out.push_back(
          {prefix + "_r" + std::to_string(seed),
           engine::convert(float_model, calibration, testing::random_genome(layout, seed), 28)});
      --random;
    } catch (const std::invalid_argument&) {
    }
  }
}

// A random model whose linears reach the runtime's limits: biases as far from 0 as the int32
// accumulator allows (fan-in times the largest product left), and multipliers from the largest
// (m0 2^31 - 1, shift 30: every nonzero accumulator saturates) through 2^(shift - 1) to the zero
// multiplier, row by row.
engine::IntegerModel extreme_model() {
  engine::IntegerModel m = testing::random_model(
      core::Genome::homogeneous(core::GenomeLayout{1, false}, 8), 12, 13, 5, 21);
  const quant::Multiplier multipliers[] = {{std::numeric_limits<int32_t>::max(), 30},
                                           {1 << 30, -31},
                                           {0, 0},
                                           {1 << 30, -1},
                                           {(1 << 30) + 12345, 3},
                                           {std::numeric_limits<int32_t>::max(), -2}};
  for (engine::QuantizedLinear* l :
       {&m.layers[0].lin_i[0], &m.layers[0].lin_h[1], &m.layers[0].lin_h[2], &m.classifier}) {
    const int64_t fan_in = int64_t{l->cols} * quant::signed_max(l->weight_bits) *
                           std::max(-l->input.qmin(), l->input.qmax());
    for (int32_t r = 0; r < l->rows; ++r) {
      const int64_t far = std::numeric_limits<int32_t>::max() - fan_in;
      l->bias[static_cast<size_t>(r)] = static_cast<int32_t>(r % 2 == 0 ? far : -far);
      l->multipliers[static_cast<size_t>(r)] = multipliers[r % 6];
    }
  }
  return m;
}

// Every model the bit-exactness tests export: a feature model (sMNIST-shaped), a token model
// with an embedding, a stacked 2-layer model, a per-step model, each at homogeneous 8, 4, 2 bits
// and 20 random genomes, odd shapes (300 features, 13 units, 1 unit), all PTQ-converted, and
// random-valued models that reach the extremes of every range.
const std::vector<NamedModel>& models() {
  static const std::vector<NamedModel> all = [] {
    std::vector<NamedModel> m;
    add_converted(m, "feat", testing::random_float_model(28, 24, 10, 1, 5),
                  testing::random_sequences(200, 28, 28, 10), 20);
    quant::FloatGruModel text = testing::random_float_model(16, 24, 3, 1, 6);
    testing::add_random_embedding(text, 50);
    add_converted(m, "tok", text, testing::random_tokens(200, 40, 50, 3), 20);
    add_converted(m, "deep", testing::random_float_model(28, 20, 10, 2, 7),
                  testing::random_sequences(200, 28, 28, 10), 20);
    add_converted(m, "unit", testing::random_float_model(5, 1, 3, 1, 10),
                  testing::random_sequences(200, 28, 5, 3), 4);
    // Wide and odd: 300 features (Helium narrows inputs in chunks of 256), 13 units (rows not a
    // multiple of any block).
    add_converted(m, "wide", testing::random_float_model(300, 13, 3, 1, 9),
                  testing::random_sequences(200, 28, 300, 3), 4);
    m.push_back({"extreme", extreme_model()});
    quant::FloatGruModel enhancer = testing::random_float_model(24, 16, 24, 1, 8);
    enhancer.outputs = 24;  // a per-step head (task se)
    enhancer.classes = 0;
    add_converted(m, "se", enhancer, testing::random_sequences(200, 28, 24, 2), 20);
    for (const core::GenomeLayout layout :
         {core::GenomeLayout{1, false}, core::GenomeLayout{1, true},
          core::GenomeLayout{2, false}}) {
      for (uint64_t seed : {11u, 12u}) {
        const std::string name = std::string("rnd") + (layout.embedding ? "e" : "") +
                                 std::to_string(layout.layers) + "_" + std::to_string(seed);
        m.push_back(
            {name, testing::random_model(testing::random_genome(layout, seed), 12, 16, 5, seed)});
      }
    }
    return m;
  }();
  return all;
}

// Exports `chosen` into `dir` with their check functions and a main; returns the C files.
std::vector<std::filesystem::path> write_program(const std::filesystem::path& dir,
                                                 const std::vector<const NamedModel*>& chosen,
                                                 int64_t sequences, int64_t steps) {
  std::vector<std::filesystem::path> sources;
  std::vector<std::string> names;
  for (const NamedModel* m : chosen) {
    ExportOptions options;
    options.model.name = m->name;
    options.model.generator = "mpgru test";
    options.input_helper = false;
    for (const auto& path : export_c(m->model, dir, options)) {
      if (path.extension() == ".c" &&
          std::find(sources.begin(), sources.end(), path) == sources.end()) {
        sources.push_back(path);
      }
    }
    const data::Sequences inputs = testing::harness_inputs(m->model, sequences, steps, 99);
    std::ofstream(dir / ("check_" + m->name + ".c"))
        << testing::model_check_c(m->name, m->model, inputs);
    sources.push_back(dir / ("check_" + m->name + ".c"));
    names.push_back(m->name);
  }
  std::ofstream(dir / "main.c") << testing::harness_main_c(names);
  sources.push_back(dir / "main.c");
  return sources;
}

std::string joined(const std::vector<std::filesystem::path>& paths) {
  std::string s;
  for (const auto& p : paths) s += " " + p.string();
  return s;
}

void expect_all_ok(const testing::CommandResult& run,
                   const std::vector<const NamedModel*>& chosen) {
  EXPECT_EQ(run.status, 0) << run.output;
  for (const NamedModel* m : chosen) {
    EXPECT_NE(run.output.find("ok " + m->name + " "), std::string::npos) << m->name << "\n"
                                                                         << run.output;
  }
}

std::vector<const NamedModel*> all_models() {
  std::vector<const NamedModel*> chosen;
  for (const NamedModel& m : models()) chosen.push_back(&m);
  return chosen;
}

class HostCompiler : public ::testing::TestWithParam<std::string> {};

TEST_P(HostCompiler, EveryModelBitExactWithTheEngine) {
  const std::string compiler = GetParam();
  if (!testing::have_program(compiler)) GTEST_SKIP() << compiler << " is not installed";
  const testing::TempDir dir;
  const auto chosen = all_models();
  ASSERT_GE(chosen.size(), 30u);
  const auto sources = write_program(dir.path(), chosen, 6, 20);
  const std::string program = (dir / "harness").string();
  const testing::CommandResult build =
      testing::run_command(compiler + " -std=c99 -Wall -Wextra -Werror -pedantic -O1 -I" +
                           dir.path().string() + joined(sources) + " -o " + program);
  ASSERT_EQ(build.status, 0) << build.output;
  expect_all_ok(testing::run_command(program), chosen);
}

INSTANTIATE_TEST_SUITE_P(Export, HostCompiler, ::testing::Values("gcc", "clang"));

bool have_arm_tools() {
  return testing::have_program("arm-none-eabi-gcc") && testing::have_program("qemu-system-arm");
}

std::string arm_flags() {
  return " -std=c99 -mcpu=cortex-m4 -mthumb -Os -Wall -Wextra -Werror ";
}

// A board of the examples: its compiler flags (the core's DSP or Helium extension on), its memory
// map and QEMU's machine.
struct Board {
  const char* name;
  const char* flags;
  const char* linker_script;  // below examples/
  const char* machine;
};

class BoardUnderQemu : public ::testing::TestWithParam<Board> {};

// Every model, a dozen to a program (a board's flash holds about that many with their checks).
TEST_P(BoardUnderQemu, EveryModelBitExact) {
  if (!have_arm_tools()) GTEST_SKIP() << "arm-none-eabi-gcc or qemu-system-arm missing (setup.sh)";
  const Board& board = GetParam();
  const std::vector<const NamedModel*> every = all_models();
  ASSERT_GE(every.size(), 30u);
  constexpr size_t kPerProgram = 12;
  for (size_t first = 0; first < every.size(); first += kPerProgram) {
    const testing::TempDir dir;
    const std::vector<const NamedModel*> chosen(
        every.begin() + static_cast<std::ptrdiff_t>(first),
        every.begin() + static_cast<std::ptrdiff_t>(std::min(every.size(), first + kPerProgram)));
    auto sources = write_program(dir.path(), chosen, 2, 12);
    const std::string examples = MPGRU_SOURCE_DIR "/examples/";
    sources.push_back(examples + "cortex-m4/startup.c");
    const std::string elf = (dir / "harness.elf").string();
    const testing::CommandResult build = testing::run_command(
        std::string("arm-none-eabi-gcc -std=c99 -mthumb -Os -Wall -Wextra -Werror ") + board.flags +
        " -I" + dir.path().string() + joined(sources) + " --specs=rdimon.specs -L" + examples +
        "cortex-m4 -T " + examples + board.linker_script + " -o " + elf);
    ASSERT_EQ(build.status, 0) << build.output;
    const testing::CommandResult run = testing::run_command(
        std::string("timeout 300 qemu-system-arm -M ") + board.machine +
        " -nographic -monitor none -semihosting-config enable=on,target=native -icount shift=0 "
        "-kernel " +
        elf);
    expect_all_ok(run, chosen);
  }
}

INSTANTIATE_TEST_SUITE_P(Export, BoardUnderQemu,
                         ::testing::Values(Board{"cortex_m4", "-mcpu=cortex-m4",
                                                 "cortex-m4/mps2_an386.ld", "mps2-an386"},
                                           Board{"cortex_m55", "-mcpu=cortex-m55 -mfloat-abi=hard",
                                                 "cortex-m55/mps3_an547.ld", "mps3-an547"}),
                         [](const ::testing::TestParamInfo<Board>& p) {
                           return std::string(p.param.name);
                         });

// examples/cortex-m4 (main.c, Makefile) builds a model exported as `model` and streams frames
// (or tokens) into it under QEMU, printing a class per sequence, instructions and stack.
class ExampleUnderQemu : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleUnderQemu, StreamsTheExportedModel) {
  if (!have_arm_tools()) GTEST_SKIP() << "arm-none-eabi-gcc or qemu-system-arm missing (setup.sh)";
  const NamedModel* chosen = nullptr;
  for (const NamedModel& m : models()) {
    if (m.name == GetParam()) chosen = &m;
  }
  ASSERT_NE(chosen, nullptr);
  const testing::TempDir dir;
  ExportOptions options;
  options.model.name = "model";
  options.model.generator = "mpgru test";
  export_c(chosen->model, dir / "model", options);
  const testing::CommandResult run = testing::run_command(
      "make -s -C " MPGRU_SOURCE_DIR "/examples/cortex-m4 MODEL_DIR=" + (dir / "model").string() +
      " OUT=" + (dir / "build").string() + " STEPS=6 SEQUENCES=2 run");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("sequence 0: class "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("sequence 1: class "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("steps 12\n"), std::string::npos) << run.output;
  long instructions = 0, stack = 0;
  const auto at = run.output.find("instructions_per_step ");
  ASSERT_NE(at, std::string::npos) << run.output;
  instructions = std::stol(run.output.substr(at + 22));
  const auto stack_at = run.output.find("stack_bytes ");
  ASSERT_NE(stack_at, std::string::npos) << run.output;
  stack = std::stol(run.output.substr(stack_at + 12));
  // A step multiplies at least 3 * hidden * (features + hidden) weights, one instruction each.
  const IntegerModel& m = chosen->model;
  EXPECT_GT(instructions, 3L * m.hidden() * (m.features + m.hidden()));
  EXPECT_GT(stack, 0);
  EXPECT_LT(stack, 8192);
}

INSTANTIATE_TEST_SUITE_P(Export, ExampleUnderQemu,
                         ::testing::Values("feat_h4", "tok_h8", "deep_h2"));

// No soft-float helper in the inference path: only mpgru_input.o may call __aeabi_f*/__aeabi_d*
// (and does, which shows the check can see them).
TEST(ExportCortexM4, NoSoftFloatOutsideTheInputHelper) {
  if (!have_arm_tools()) GTEST_SKIP() << "arm-none-eabi-gcc missing (setup.sh)";
  const testing::TempDir dir;
  ExportOptions options;
  options.model.generator = "mpgru test";
  std::vector<std::string> objects;
  for (const NamedModel& m : models()) {
    if (m.name != "feat_h4" && m.name != "tok_h8" && m.name != "deep_h2") continue;
    options.model.name = m.name;
    export_c(m.model, dir.path(), options);
    objects.push_back(m.name);
  }
  ASSERT_EQ(objects.size(), 3u);
  objects.insert(objects.end(), {"mpgru_rt", "mpgru_input"});
  for (const std::string& o : objects) {
    const std::string c = (dir / (o + ".c")).string(), obj = (dir / (o + ".o")).string();
    const auto build =
        testing::run_command("arm-none-eabi-gcc" + arm_flags() + "-c " + c + " -o " + obj);
    ASSERT_EQ(build.status, 0) << build.output;
    const auto nm = testing::run_command("arm-none-eabi-nm -u " + obj);
    ASSERT_EQ(nm.status, 0) << nm.output;
    const bool soft_float = nm.output.find("__aeabi_f") != std::string::npos ||
                            nm.output.find("__aeabi_d") != std::string::npos;
    EXPECT_EQ(soft_float, o == "mpgru_input") << o << " undefined symbols:\n" << nm.output;
  }
}

}  // namespace
}  // namespace mpgru::codegen
