// Golden test vectors of an exported model.
#include "export/golden_check.hpp"

#include <cctype>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "engine/gru_engine.hpp"
#include "engine/reference_kernels.hpp"

namespace mpgru::codegen {
namespace {

template <typename T>
std::string c_list(const std::vector<T>& v) {
  std::ostringstream out;
  for (size_t i = 0; i < v.size(); ++i) out << (i % 20 == 0 ? "\n  " : "") << v[i] << ',';
  return out.str();
}

}  // namespace

std::string golden_check_c(const std::string& name, const engine::IntegerModel& model,
                           const data::Sequences& inputs) {
  if (inputs.count() == 0 || inputs.features != model.sequence_features()) {
    throw std::invalid_argument("golden vectors: " + std::to_string(inputs.count()) +
                                " sequences of " + std::to_string(inputs.features) +
                                " features for a model of " +
                                std::to_string(model.sequence_features()));
  }
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
    << "int " << n << "_golden_check(void) {\n"
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

}  // namespace mpgru::codegen
