// Writes the exported C files of a model.
#include "export/c_export.hpp"

#include <cctype>
#include <stdexcept>
#include <system_error>

#include "core/text_file.hpp"

namespace mpgru::codegen {

std::string default_model_name(const std::filesystem::path& model_file) {
  std::string name;
  for (char c : model_file.stem().string()) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) name = "m_" + name;
  return name.substr(0, 40);
}

std::vector<std::filesystem::path> export_c(const engine::IntegerModel& model,
                                            const std::filesystem::path& dir,
                                            const ExportOptions& options) {
  const CModel c = generate_c_model(model, options.model);
  std::vector<std::pair<std::string, std::string>> files = {{options.model.name + ".h", c.header},
                                                            {options.model.name + ".c", c.source}};
  for (const auto& [name, text] : runtime_files()) {
    if (options.input_helper || name.rfind("mpgru_input", 0) != 0) files.emplace_back(name, text);
  }
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    throw std::runtime_error("cannot create the output folder " + dir.string() + ": " +
                             error.message());
  }
  std::vector<std::filesystem::path> written;
  for (const auto& [name, text] : files) {
    core::write_text_file(text, dir / name);
    written.push_back(dir / name);
  }
  return written;
}

}  // namespace mpgru::codegen
