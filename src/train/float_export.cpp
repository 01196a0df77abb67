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

// Copies `values` into parameter `p` (same element count, checked by the caller's shapes).
void assign(torch::Tensor p, const std::vector<float>& values) {
  const torch::Tensor source = torch::from_blob(
      const_cast<float*>(values.data()), {static_cast<int64_t>(values.size())}, torch::kFloat32);
  p.view({-1}).copy_(source);
}

// Gate rows r, z, n stacked as nn.GRU holds them.
std::vector<float> stacked(const quant::FloatLinear (&gates)[3], bool bias) {
  std::vector<float> out;
  for (const quant::FloatLinear& g : gates) {
    const std::vector<float>& part = bias ? g.bias : g.weights;
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace

nlohmann::json save_float_checkpoint(const quant::FloatGruModel& f,
                                     const std::filesystem::path& dir) {
  quant::validate(f);
  GruClassifierOptions o;
  o.features = f.features;
  o.hidden = f.layers.front().hidden;
  o.layers = static_cast<int64_t>(f.layers.size());
  o.classes = f.classes;
  o.vocabulary = f.embedding.vocabulary;
  o.outputs = f.outputs;
  for (const quant::FloatGruLayer& l : f.layers) {
    if (l.hidden != o.hidden) {
      throw std::invalid_argument("layers of different widths (" + std::to_string(o.hidden) + ", " +
                                  std::to_string(l.hidden) +
                                  "): mpgru's GRU has one hidden size for every layer");
    }
  }
  GruClassifier model(o);
  torch::NoGradGuard no_grad;
  if (o.vocabulary > 0) assign(model->embedding->weight, f.embedding.weights);
  auto params = model->gru->named_parameters();
  for (size_t k = 0; k < f.layers.size(); ++k) {
    const std::string s = "_l" + std::to_string(k);
    assign(params["weight_ih" + s], stacked(f.layers[k].lin_i, false));
    assign(params["weight_hh" + s], stacked(f.layers[k].lin_h, false));
    assign(params["bias_ih" + s], stacked(f.layers[k].lin_i, true));
    assign(params["bias_hh" + s], stacked(f.layers[k].lin_h, true));
  }
  assign(model->classifier->weight, f.classifier.weights);
  assign(model->classifier->bias, f.classifier.bias);
  save_checkpoint(model, dir);
  return to_json(o);
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
