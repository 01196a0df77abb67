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

template <typename T>
std::string c_list(const std::vector<T>& v) {
  std::ostringstream out;
  for (size_t i = 0; i < v.size(); ++i) out << (i % 20 == 0 ? "\n  " : "") << v[i] << ',';
  return out.str();
}

// C code defining `int check_NAME(void)`: replays `inputs` through the exported model NAME and
// compares every step's hidden state (and a per-step model's gains), the logits and
// NAME_predict's class with the engine's reference kernels. Prints the first difference, or "ok
// NAME"; returns the number of failures.
inline std::string model_check_c(const std::string& name, const engine::IntegerModel& model,
                                 const data::Sequences& inputs) {
  engine::GruEngine engine(model, engine::Kernels::reference);
  const bool tokens = model.embedding.vocabulary > 0;
  std::vector<int32_t> x, h, logits(static_cast<size_t>(inputs.count() * model.classes));
  std::vector<int32_t> gains, step_gains(static_cast<size_t>(model.classes));  // per-step models
  for (int64_t i = 0; i < inputs.count(); ++i) {
    engine.reset();
    for (int64_t t = 0; t < inputs.steps; ++t) {
      const float* step = inputs.sequence(i) + t * inputs.features;
      for (int64_t f = 0; f < inputs.features; ++f) {
        x.push_back(tokens ? static_cast<int32_t>(step[f])
                           : engine::ref::quantize(model.input, step[f]));
      }
      engine.step(step);
      for (size_t k = 0; k < model.layers.size(); ++k) {
        for (int16_t v : engine.hidden(k)) h.push_back(v);
      }
      if (model.per_step) {
        engine.gains(step_gains.data());
        gains.insert(gains.end(), step_gains.begin(), step_gains.end());
      }
    }
    engine.logits(logits.data() + i * model.classes);
  }
  const std::string n = name;
  std::string N;
  for (char c : n) N += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::ostringstream c;
  c << "#include <stdio.h>\n#include \"" << n << ".h\"\n"
    << "static const " << (tokens ? std::string("int32_t") : n + "_input_t") << ' ' << n
    << "_x[] = {" << c_list(x) << "};\n"
    << "static const int8_t " << n << "_h[] = {" << c_list(h) << "};\n"
    << "static const int32_t " << n << "_out[] = {" << c_list(logits) << "};\n"
    << (model.per_step ? "static const int16_t " + n + "_g[] = {" + c_list(gains) + "};\n"
                       : std::string())
    << "int check_" << n << "(void) {\n"
    << "  enum { SEQUENCES = " << inputs.count() << ", STEPS = " << inputs.steps << " };\n"
    << "  static " << n << "_state s;\n  int32_t logits[" << N << "_CLASSES];\n"
    << "  long i, t, k, c, at = 0, best;\n"
    << (model.per_step ? "  long gat = 0;\n" : "") << "  for (i = 0; i < SEQUENCES; ++i) {\n    "
    << n << "_reset(&s);\n"
    << "    for (t = 0; t < STEPS; ++t) {\n"
    << "      if (" << n << "_step(&s, "
    << (tokens ? n + "_x[i * STEPS + t]" : n + "_x + (i * STEPS + t) * " + N + "_FEATURES")
    << ") != MPGRU_OK) {\n"
    << "        printf(\"" << n
    << ": step %ld of sequence %ld refused\\n\", t, i);\n        return 1;\n      }\n"
    << "      for (k = 0; k < " << N << "_LAYERS; ++k)\n"
    << "        for (c = 0; c < " << N << "_HIDDEN; ++c, ++at)\n"
    << "          if (s.h[k][c] != " << n << "_h[at]) {\n"
    << "            printf(\"" << n
    << ": sequence %ld step %ld layer %ld unit %ld: h %d, engine %d\\n\",\n"
    << "                   i, t, k, c, s.h[k][c], " << n
    << "_h[at]);\n            return 1;\n          }\n"
    << (model.per_step ? "      " + n + "_gains(&s, logits);\n      for (c = 0; c < " + N +
                             "_CLASSES; ++c, ++gat)\n        if (logits[c] != " + n +
                             "_g[gat]) {\n          printf(\"" + n +
                             ": sequence %ld step %ld gain %ld: %ld, engine %d\\n\", i, t, c, "
                             "(long)logits[c], " +
                             n + "_g[gat]);\n          return 1;\n        }\n"
                       : std::string())
    << "    }\n"
    << "    " << n << "_logits(&s, logits);\n    best = 0;\n"
    << "    for (c = 0; c < " << N << "_CLASSES; ++c) {\n"
    << "      if (logits[c] != " << n << "_out[i * " << N << "_CLASSES + c]) {\n"
    << "        printf(\"" << n
    << ": sequence %ld logit %ld: %ld, engine %ld\\n\", i, c, (long)logits[c],\n"
    << "               (long)" << n << "_out[i * " << N
    << "_CLASSES + c]);\n        return 1;\n      }\n"
    << "      if (logits[c] > logits[best]) best = c;\n    }\n"
    << "    if (" << n << "_predict(&s, "
    << (tokens ? n + "_x + i * STEPS" : n + "_x + i * STEPS * " + N + "_FEATURES")
    << ", STEPS, NULL) != best) {\n"
    << "      printf(\"" << n << ": sequence %ld: predict disagrees with the logits\\n\", i);\n"
    << "      return 1;\n    }\n  }\n"
    << "  printf(\"ok " << n << " %d sequences\\n\", SEQUENCES);\n  return 0;\n}\n";
  return c.str();
}

// main() calling check_NAME for every name; exits with the number of failing models.
inline std::string harness_main_c(const std::vector<std::string>& names) {
  std::ostringstream c;
  c << "#include <stdio.h>\n";
  for (const std::string& n : names) c << "int check_" << n << "(void);\n";
  c << "int main(void) {\n  int failures = 0;\n";
  for (const std::string& n : names) c << "  failures += check_" << n << "();\n";
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
