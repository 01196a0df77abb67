// Float checkpoints and the JSON files beside them, written atomically.
#include "train/checkpoint.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/text_file.hpp"

namespace mpgru::train {
nlohmann::json to_json(const GruClassifierOptions& options) {
  return {{"architecture", "gru_classifier"}, {"features", options.features},
          {"vocabulary", options.vocabulary}, {"hidden", options.hidden},
          {"layers", options.layers},         {"classes", options.classes},
          {"outputs", options.outputs}};
}

GruClassifierOptions model_options_from_json(const nlohmann::json& model) {
  auto field = [&](const char* name) {
    if (!model.contains(name) || !model[name].is_number_integer()) {
      throw std::runtime_error(std::string("model.") + name + " missing or not an integer");
    }
    return model[name].get<int64_t>();
  };
  if (model.value("architecture", "") != "gru_classifier") {
    throw std::runtime_error("model.architecture is not \"gru_classifier\"");
  }
  GruClassifierOptions options;
  options.features = field("features");
  options.hidden = field("hidden");
  options.layers = field("layers");
  options.classes = field("classes");
  options.vocabulary = model.contains("vocabulary") ? field("vocabulary") : 0;
  options.outputs = model.contains("outputs") ? field("outputs") : 0;
  validate(options);
  return options;
}

void save_checkpoint(GruClassifier& model, const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "checkpoint";
  // Serialized to memory first: LibTorch's file writer throws from its destructor on a full
  // disk; the bytes then go through the one atomic write path.
  std::ostringstream bytes(std::ios::binary);
  try {
    torch::save(model, bytes);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path.string() +
                             ": cannot save checkpoint: " + e.what_without_backtrace());
  }
  core::write_file_atomically(bytes.str(), path);
}

GruClassifier load_checkpoint(const std::filesystem::path& dir) {
  const std::filesystem::path config = dir / "config.json";
  const std::filesystem::path path = dir / "checkpoint";
  const nlohmann::json json = read_json_file(config);
  GruClassifierOptions options;
  try {
    if (!json.contains("model")) throw std::runtime_error("no \"model\" object");
    options = model_options_from_json(json["model"]);
  } catch (const std::exception& e) {
    throw std::runtime_error(config.string() + ": " + e.what());
  }
  GruClassifier model(options);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw std::runtime_error(path.string() + ": no such checkpoint file");
  }
  // torch::load replaces a parameter of another shape silently, so compare shapes after it.
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& p : model->named_parameters())
    shapes.emplace_back(p.key(), p.value().sizes().vec());
  try {
    torch::load(model, path.string());
  } catch (const c10::Error& e) {
    throw std::runtime_error(path.string() +
                             ": cannot load checkpoint: " + e.what_without_backtrace());
  }
  for (const auto& [name, shape] : shapes) {
    const torch::Tensor& loaded = model->named_parameters()[name];
    if (loaded.sizes().vec() != shape) {
      throw std::runtime_error(path.string() + ": parameter " + name + " has shape " +
                               c10::str(loaded.sizes()) + " but " + config.string() + " implies " +
                               c10::str(c10::IntArrayRef(shape)));
    }
  }
  return model;
}

}  // namespace mpgru::train
