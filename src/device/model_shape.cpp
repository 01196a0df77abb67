// Model shapes and the linears of a step.
#include "device/model_shape.hpp"

#include <stdexcept>
#include <string>

namespace mpgru::device {

using core::Op;

void validate(const ModelShape& s, const core::Genome& genome) {
  const auto positive = [](int32_t v, const char* name) {
    if (v <= 0) {
      throw std::invalid_argument(std::string("model shape: ") + name + " is " + std::to_string(v) +
                                  ", must be positive");
    }
  };
  positive(s.features, "features");
  positive(s.hidden, "hidden");
  positive(s.layers, "layers");
  positive(s.outputs, "outputs");
  if (s.vocabulary < 0) throw std::invalid_argument("model shape: negative vocabulary");
  const core::GenomeLayout want = genome_layout(s);
  const core::GenomeLayout& got = genome.layout();
  if (got.layers != want.layers || got.embedding != want.embedding ||
      got.per_step != want.per_step) {
    throw std::invalid_argument(
        "model shape: genome " + genome.to_compact() + " has " + std::to_string(got.layers) +
        " layer(s)" + (got.embedding ? ", an embedding" : "") +
        (got.per_step ? ", a per-step head" : "") + "; the shape " + std::to_string(want.layers) +
        " layer(s)" + (want.embedding ? ", an embedding" : "") +
        (want.per_step ? ", a per-step head" : ""));
  }
}

core::GenomeLayout genome_layout(const ModelShape& s) {
  return {s.layers, s.vocabulary > 0, s.per_step};
}

ModelShape shape_of(const engine::IntegerModel& m) {
  ModelShape s;
  s.features = m.features;
  s.vocabulary = m.embedding.vocabulary;
  s.hidden = m.hidden();
  s.layers = static_cast<int32_t>(m.layers.size());
  s.outputs = m.classes;
  s.per_step = m.per_step;
  s.input_signed = m.input.is_signed;
  return s;
}

int32_t LinearShape::max_input() const {
  return input_signed ? (1 << (input_bits - 1)) - 1 : (1 << input_bits) - 1;
}

std::vector<LinearShape> step_linears(const ModelShape& s, const core::Genome& g, bool with_head) {
  validate(s, g);
  std::vector<LinearShape> out;
  for (int k = 0; k < s.layers; ++k) {
    const int32_t cols = k == 0 ? s.features : s.hidden;
    const int in_bits = k == 0 ? g.bits(Op::x) : g.bits(Op::h, k - 1);
    const bool in_signed = k == 0 ? s.input_signed : true;
    for (int gate = 0; gate < 3; ++gate) {
      out.push_back({s.hidden, cols, g.bits(core::kInputWeightOps[gate], k), in_bits, in_signed,
                     g.bits(core::kInputLinearOps[gate], k)});
      out.push_back({s.hidden, s.hidden, g.bits(core::kRecurrentWeightOps[gate], k),
                     g.bits(Op::h, k), true, g.bits(core::kRecurrentLinearOps[gate], k)});
    }
  }
  if (s.per_step || with_head) {
    out.push_back(
        {s.outputs, s.hidden, g.bits(Op::w_o), g.bits(Op::h, s.layers - 1), true, g.bits(Op::out)});
  }
  return out;
}

}  // namespace mpgru::device
