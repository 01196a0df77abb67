// Golden test vectors for an exported model: C99 source that replays sequences through the
// exported model NAME and compares, bit for bit, every step's hidden state (and a per-step model's
// gains), the logits and NAME_predict's class with what the engine's reference kernels computed
// for the same inputs. A device build (or a host compiler) runs it to show the C it got computes
// what mpgru measured.
#pragma once

#include <string>

#include "core/dataset.hpp"
#include "engine/model.hpp"

namespace mpgru::codegen {

// C source defining `int NAME_golden_check(void)`: prints the first difference, or
// "ok NAME <n> sequences", and returns the number of failures (0 or 1). `inputs` are float
// features (quantized here with the model's input scale, as NAME_step's caller would) or token
// ids. It includes NAME.h and <stdio.h>. Throws std::invalid_argument if the inputs' features
// differ from the model's or there are none.
std::string golden_check_c(const std::string& name, const engine::IntegerModel& model,
                           const data::Sequences& inputs);

}  // namespace mpgru::codegen
