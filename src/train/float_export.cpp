// Copies GRU classifier parameters out of LibTorch into quant::FloatGruModel.
#include "train/float_export.hpp"

#include <torch/torch.h>

#include <stdexcept>

#include "train/checkpoint.hpp"
#include "train/gru_classifier.hpp"

namespace mpgru::train {
namespace {

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().contiguous().to(torch::kFloat32);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Gate g's rows [g*H, (g+1)*H) of a stacked PyTorch GRU weight/bias.
quant::FloatLinear gate_linear(const torch::Tensor& weight, const torch::Tensor& bias, int g,
                               int64_t hidden) {
  quant::FloatLinear l;
  l.rows = static_cast<int32_t>(hidden);
  l.cols = static_cast<int32_t>(weight.size(1));
  l.weights = to_vector(weight.narrow(0, g * hidden, hidden));
  l.bias = to_vector(bias.narrow(0, g * hidden, hidden));
  return l;
}

}  // namespace

nlohmann::json save_float_checkpoint(const quant::FloatGruModel& f,
                                     const std::filesystem::path& dir) {
  GruClassifier model = gru_classifier_of(f);
  save_checkpoint(model, dir);
  return to_json(model->options());
}

quant::FloatGruModel load_float_model(const std::filesystem::path& dir) {
  GruClassifier model = load_checkpoint(dir);
  const GruClassifierOptions& o = model->options();
  quant::FloatGruModel f;
  f.features = static_cast<int32_t>(o.features);
  if (o.vocabulary > 0) {
    f.embedding.vocabulary = static_cast<int32_t>(o.vocabulary);
    f.embedding.dim = static_cast<int32_t>(o.features);
    f.embedding.weights = to_vector(model->embedding->weight);
  }
  f.classes = static_cast<int32_t>(o.classes);
  f.outputs = static_cast<int32_t>(o.outputs);
  auto params = model->gru->named_parameters();
  for (int64_t k = 0; k < o.layers; ++k) {
    const std::string s = "_l" + std::to_string(k);
    quant::FloatGruLayer layer;
    layer.input_size = static_cast<int32_t>(k == 0 ? o.features : o.hidden);
    layer.hidden = static_cast<int32_t>(o.hidden);
    for (int g = 0; g < 3; ++g) {
      layer.lin_i[g] = gate_linear(params["weight_ih" + s], params["bias_ih" + s], g, o.hidden);
      layer.lin_h[g] = gate_linear(params["weight_hh" + s], params["bias_hh" + s], g, o.hidden);
    }
    f.layers.push_back(std::move(layer));
  }
  f.classifier.rows = static_cast<int32_t>(o.outputs > 0 ? o.outputs : o.classes);
  f.classifier.cols = static_cast<int32_t>(o.hidden);
  f.classifier.weights = to_vector(model->classifier->weight);
  f.classifier.bias = to_vector(model->classifier->bias);
  try {
    quant::validate(f);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error((dir / "checkpoint").string() + ": " + e.what());
  }
  return f;
}

std::string checkpoint_task(const std::filesystem::path& dir) {
  const nlohmann::json config = read_json_file(dir / "config.json");
  if (!config.contains("task") || !config["task"].is_string()) {
    throw std::runtime_error((dir / "config.json").string() + ": no \"task\" string");
  }
  return config["task"].get<std::string>();
}

}  // namespace mpgru::train
