// The C99 source of one integer model for `mpgru export`: NAME.h (API, sizes, the input's
// quantization) and NAME.c (the parameters as static const data and the step functions over
// the shared runtime, src/export/runtime). Reads an IntegerModel only.
#pragma once

#include <string>

#include "engine/model.hpp"

namespace mpgru::codegen {

// What the banner and the symbols of an exported model say.
struct ModelDescription {
  std::string name;        // the prefix of every symbol: a C identifier (see check_c_name)
  std::string source;      // where the model came from, e.g. the .mpq path
  std::string task;        // the task it was trained for; empty if unknown
  std::string input_note;  // how the task makes its float features; empty if unknown
  std::string generator;   // e.g. "mpgru 0.1.0"
};

struct CModel {
  std::string header;  // NAME.h
  std::string source;  // NAME.c
};

// Version of the generated code's layout; bumped when NAME.h's API or NAME.c's use of the
// runtime changes.
constexpr int kGeneratorVersion = 1;

// "" if `name` can prefix C symbols: [A-Za-z][A-Za-z0-9_]*, at most 40 characters, not a C99
// keyword, not starting with "mpgru_" (the runtime's prefix); else why not.
std::string check_c_name(const std::string& name);

// "" if the exporter can write `model`: it passes engine::check_model, and every value fits the
// C type the generated code stores it in (listed in docs/deploy.md); else the first problem,
// naming the operator.
std::string export_problem(const engine::IntegerModel& model);

// The two files. Throws std::invalid_argument with export_problem's or check_c_name's message.
CModel generate_c_model(const engine::IntegerModel& model, const ModelDescription& description);

}  // namespace mpgru::codegen
