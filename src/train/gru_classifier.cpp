// The float GRU classifier, and one built from plain float weights.
#include "train/gru_classifier.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace mpgru::train {
namespace {

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

void validate(const GruClassifierOptions& options) {
  auto check = [](const char* field, int64_t value, int64_t lo, int64_t hi) {
    if (value < lo || value > hi) {
      throw std::invalid_argument(std::string("model ") + field + " = " + std::to_string(value) +
                                  " outside " + std::to_string(lo) + ".." + std::to_string(hi));
    }
  };
  check("features", options.features, 1, 1 << 16);
  check("hidden", options.hidden, 1, 1 << 14);
  check("layers", options.layers, 1, 16);
  if (options.outputs > 0) {
    check("outputs", options.outputs, 1, 1 << 12);
    check("classes", options.classes, 0, 0);
  } else {
    check("classes", options.classes, 2, 1 << 16);
  }
  check("vocabulary", options.vocabulary, 0, 1 << 20);
}

GruClassifierImpl::GruClassifierImpl(const GruClassifierOptions& options) : options_(options) {
  validate(options);
  if (options.vocabulary > 0) {
    embedding = register_module("embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(
                                                 options.vocabulary, options.features)));
  }
  gru =
      register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(options.features, options.hidden)
                                                .num_layers(options.layers)
                                                .batch_first(true)));
  classifier = register_module(
      "classifier",
      torch::nn::Linear(options.hidden, options.outputs > 0 ? options.outputs : options.classes));
}

torch::Tensor GruClassifierImpl::embed(const torch::Tensor& x) {
  if (options_.vocabulary == 0) return x;
  return embedding->forward(x.select(2, 0).to(torch::kLong));
}

torch::Tensor GruClassifierImpl::forward(const torch::Tensor& x) {
  auto [sequence, last] = gru->forward(embed(x));
  if (options_.outputs > 0) return torch::sigmoid(classifier->forward(sequence));
  return classifier->forward(last[options_.layers - 1]);
}

GruClassifier gru_classifier_of(const quant::FloatGruModel& f) {
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
  return model;
}

}  // namespace mpgru::train
