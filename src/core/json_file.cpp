// Atomic JSON file writing and checked reading.
#include "core/json_file.hpp"

#include <fstream>
#include <stdexcept>

#include "core/text_file.hpp"

namespace mpgru::core {

void write_json_file(const nlohmann::json& json, const std::filesystem::path& path) {
  write_text_file(json.dump(2) + "\n", path);
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": invalid JSON: " + e.what());
  }
}

}  // namespace mpgru::core
