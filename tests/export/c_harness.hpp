// Test harness for exported C models: C code that replays sequences through an exported model
// and compares the hidden state after every step and the logits with what the engine computed,
// and helpers to compile and run it (host compilers, arm-none-eabi-gcc + QEMU).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/gru_engine.hpp"
#include "engine/reference_kernels.hpp"
#include "export/golden_check.hpp"

namespace mpgru::testing {

// `count` sequences of `steps` steps for `model`: token ids for an embedding model, else features
// spread 10 % beyond the input's real range (so clamping is exercised), about a third zeros.
inline data::Sequences harness_inputs(const engine::IntegerModel& model, int64_t count,
                                      int64_t steps, uint64_t seed) {
  std::mt19937_64 rng(seed);
  data::Sequences s;
  s.steps = steps;
  s.features = model.sequence_features();
  const double lo = model.input.qmin() * model.input.scale * 1.1;
  const double hi = model.input.qmax() * model.input.scale * 1.1;
  for (int64_t i = 0; i < count * steps * s.features; ++i) {
    if (model.embedding.vocabulary > 0) {
      s.values.push_back(
          static_cast<float>(rng() % static_cast<uint64_t>(model.embedding.vocabulary)));
    } else {
      const double u = static_cast<double>(rng() >> 11) * 0x1p-53;
      s.values.push_back(rng() % 3 == 0 ? 0.0f : static_cast<float>(lo + (hi - lo) * u));
    }
  }
  s.labels.assign(static_cast<size_t>(count), 0);
  return s;
}

// C code defining `int NAME_golden_check(void)` (export/golden_check.hpp).
inline std::string model_check_c(const std::string& name, const engine::IntegerModel& model,
                                 const data::Sequences& inputs) {
  return codegen::golden_check_c(name, model, inputs);
}

// main() calling NAME_golden_check for every name; exits with the number of failing models.
inline std::string harness_main_c(const std::vector<std::string>& names) {
  std::ostringstream c;
  c << "#include <stdio.h>\n";
  for (const std::string& n : names) c << "int " << n << "_golden_check(void);\n";
  c << "int main(void) {\n  int failures = 0;\n";
  for (const std::string& n : names) c << "  failures += " << n << "_golden_check();\n";
  c << "  printf(\"%d of " << names.size() << " models differ\\n\", failures);\n"
    << "  return failures;\n}\n";
  return c.str();
}

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline bool have_program(const std::string& program) {
  return run_command("command -v " + program).status == 0;
}

}  // namespace mpgru::testing
