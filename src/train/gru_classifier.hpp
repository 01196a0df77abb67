// The float model: a PyTorch-convention GRU (reset gate applied after the recurrent product,
// n = tanh(W_in x + b_in + r * (W_hn h + b_hn))) with a linear classifier on the last hidden state.
#pragma once

#include <torch/torch.h>

namespace mpgru::train {

struct GruClassifierOptions {
  int64_t features = 0;
  int64_t hidden = 128;
  int64_t layers = 1;
  int64_t classes = 0;
};

// Throws std::invalid_argument naming the bad field.
void validate(const GruClassifierOptions& options);

class GruClassifierImpl : public torch::nn::Module {
 public:
  explicit GruClassifierImpl(const GruClassifierOptions& options);

  // x: [batch, steps, features] float -> logits [batch, classes].
  torch::Tensor forward(const torch::Tensor& x);

  const GruClassifierOptions& options() const { return options_; }
  torch::nn::GRU gru{nullptr};
  torch::nn::Linear classifier{nullptr};

 private:
  GruClassifierOptions options_;
};
TORCH_MODULE(GruClassifier);

}  // namespace mpgru::train
