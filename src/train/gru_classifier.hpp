// The float model: a PyTorch-convention GRU (reset gate applied after the recurrent product,
// n = tanh(W_in x + b_in + r * (W_hn h + b_hn))) with a linear classifier on the last hidden state,
// or (sequence to sequence) a linear head and a sigmoid on every step's hidden state.
#pragma once

#include <torch/torch.h>

#include "quant/float_gru.hpp"

namespace mpgru::train {

struct GruClassifierOptions {
  int64_t features = 0;  // GRU input size; the embedding's dim when vocabulary > 0
  int64_t hidden = 128;
  int64_t layers = 1;
  int64_t classes = 0;
  // > 0: inputs are token ids ([batch, steps, 1] floats) looked up in a vocabulary x features
  // embedding table before the GRU.
  int64_t vocabulary = 0;
  // > 0: sequence to sequence: a head of `outputs` sigmoid units on every step's hidden state
  // (classes is then 0); 0: a classifier of `classes` logits on the last step.
  int64_t outputs = 0;
};

// Throws std::invalid_argument naming the bad field.
void validate(const GruClassifierOptions& options);

class GruClassifierImpl : public torch::nn::Module {
 public:
  explicit GruClassifierImpl(const GruClassifierOptions& options);

  // x: [batch, steps, features] float (or [batch, steps, 1] token ids) -> logits [batch, classes],
  // or with outputs > 0 the per-step sigmoid outputs [batch, steps, outputs].
  torch::Tensor forward(const torch::Tensor& x);
  // The GRU's input: x itself, or the embedding rows of its token ids.
  torch::Tensor embed(const torch::Tensor& x);

  const GruClassifierOptions& options() const { return options_; }
  torch::nn::Embedding embedding{nullptr};  // only when vocabulary > 0
  torch::nn::GRU gru{nullptr};
  torch::nn::Linear classifier{nullptr};

 private:
  GruClassifierOptions options_;
};
TORCH_MODULE(GruClassifier);

// The LibTorch model holding `model`'s weights (load_float_model's inverse): the same function
// as quant::forward / forward_steps, batched. Throws std::invalid_argument for an invalid model or
// layers of different widths.
GruClassifier gru_classifier_of(const quant::FloatGruModel& model);

}  // namespace mpgru::train
