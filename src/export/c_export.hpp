// `mpgru export`: writes an integer model as C99 sources into a folder: NAME.h/NAME.c, the shared
// runtime mpgru_rt.h/.c and, optionally, the float-input helper mpgru_input.h/.c.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "engine/model.hpp"
#include "export/c_model.hpp"

namespace mpgru::codegen {

struct ExportOptions {
  ModelDescription model;
  bool input_helper = true;  // also write mpgru_input.h/.c
};

// The runtime's files as (file name, text), compiled into mpgru from src/export/runtime.
const std::vector<std::pair<std::string, std::string>>& runtime_files();

// The symbol prefix a model file suggests: its stem with every character that is not a letter,
// digit or '_' replaced by '_', and "m_" put in front unless it starts with a letter.
std::string default_model_name(const std::filesystem::path& model_file);

// Generates every file first (so a model that cannot be exported writes nothing), then writes
// each atomically into `dir` (created if missing). Returns the paths written. Throws
// std::invalid_argument if the model or the name cannot be exported, std::runtime_error naming
// the path if a file cannot be written.
std::vector<std::filesystem::path> export_c(const engine::IntegerModel& model,
                                            const std::filesystem::path& dir,
                                            const ExportOptions& options);

}  // namespace mpgru::codegen
