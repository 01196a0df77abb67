// The float GRU classifier.
#include "train/gru_classifier.hpp"

#include <stdexcept>
#include <string>

namespace mpgru::train {

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

}  // namespace mpgru::train
