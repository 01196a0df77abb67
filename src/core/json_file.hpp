// JSON files written atomically and read with errors that name the file.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace mpgru::core {

// Writes `json` to `path` pretty-printed, through a temporary file and a rename: a crash never
// leaves a half-written file. Throws std::runtime_error naming the path.
void write_json_file(const nlohmann::json& json, const std::filesystem::path& path);
// Reads and parses `path`; throws std::runtime_error naming the file and the problem.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace mpgru::core
