// The fake-quant GRU for quantization-aware training: the integer engine's model in float, op by
// op (docs/quantization.md §3-§5) — the same quantization points, bit widths, signedness, fixed
// scales (act.*, h) and rounding — with trainable weights and learned step sizes (LSQ).
#pragma once

#include <torch/torch.h>

#include "core/genome.hpp"
#include "quant/float_gru.hpp"
#include "quant/scale_set.hpp"
#include "train/qat_sequence.hpp"

namespace mpgru::train {

// A weight matrix as the fake-quant GRU quantizes it: the latent weights (the trained parameter),
// the step it is quantized at in the forward pass, held constant (per channel [rows, 1]; the
// embedding's a scalar), and its gene's bit width (signed narrow range +-(2^(bits-1) - 1)).
struct QatWeight {
  torch::Tensor w;
  torch::Tensor step;
  int bits = 8;
};

class QatGruImpl : public torch::nn::Module {
 public:
  // Starts from the float weights and the initial scales (PTQ's), for `genome`.
  QatGruImpl(const quant::FloatGruModel& model, const quant::ScaleSet& scales,
             const core::Genome& genome);

  // x: [batch, steps, features] -> logits [batch, classes], on the out gene's grid.
  torch::Tensor forward(const torch::Tensor& x);
  // A per-step model (outputs > 0): x [batch, steps, features] -> gains [batch, steps, outputs]
  // on the gain gene's unsigned grid: the head after every step, its output fake-quantized at
  // the out gene, then the sigmoid (the engine's table). Throws std::invalid_argument for a
  // classifier.
  torch::Tensor forward_steps(const torch::Tensor& x);

  // The trained weights and step sizes, for conversion to the integer model.
  quant::FloatGruModel float_model() const;
  quant::ScaleSet scales() const;

  // Fused (default): the recurrence runs as one hand-differentiated autograd function
  // (qat_sequence.hpp); unfused: op by op through LibTorch autograd. Same values.
  void set_fused(bool fused) { fused_ = fused; }
  // Cores for the fused recurrence's element-wise passes (1 or 2); 0 (default): the job's
  // cores, as set_compute_threads gave them to OpenBLAS, at most 2. Same values either way.
  void set_threads(int threads) { threads_ = threads; }

  // Every weight matrix with its step and bits: the embedding (if any), each layer's lin_i and
  // lin_h of gates r, z, n, the classifier. round(w / step) clamped is what conversion stores.
  std::vector<QatWeight> quantized_weights() const;

  std::vector<torch::Tensor> weight_parameters() const { return weights_; }
  std::vector<torch::Tensor> scale_parameters() const { return step_sizes_; }

 private:
  struct Linear {
    torch::Tensor w;    // [rows, cols]
    torch::Tensor b;    // [rows]
    torch::Tensor s_w;  // [rows, 1] per-channel weight step sizes
    int bits = 8;
  };
  struct Layer {
    Linear lin_i[3], lin_h[3];
    torch::Tensor s_lin_i[3], s_lin_h[3], s_sum[3], s_rn, s_un, s_zh;
  };

  Linear make_linear(const quant::FloatLinear& f, const std::vector<double>& scales, int bits,
                     const std::string& name);
  torch::Tensor step_size(double value, const std::string& name);
  // FQ(x W^T + b) at the output step size; x is on the input grid of step s_x.
  torch::Tensor linear(const Linear& l, const torch::Tensor& x, const torch::Tensor& s_x,
                       const torch::Tensor& s_out, int out_bits) const;
  // Fake-quantized weights and bias of a linear whose input has step s_x.
  std::pair<torch::Tensor, torch::Tensor> fake_weights(const Linear& l,
                                                       const torch::Tensor& s_x) const;
  torch::Tensor step(const torch::Tensor& s) const;
  // Every layer run over x: the last layer's hidden states ([steps, batch, H] fused, [batch,
  // steps, H] unfused) and, in s_hidden, their step size.
  torch::Tensor hidden_states(const torch::Tensor& x, torch::Tensor& s_hidden);
  // Per-channel weight steps [rows, 1], kept large enough that every int32 bias fits.
  torch::Tensor weight_steps(const Linear& l, const torch::Tensor& s_x) const;
  torch::Tensor fq(const torch::Tensor& v, const torch::Tensor& s, int bits) const;
  // The cell input before its quantizer: x itself, or the fake-quantized embedding's rows for the
  // token ids in x [batch, steps, 1] (the engine's table lookup).
  torch::Tensor embed(const torch::Tensor& x) const;
  // FQ of the network input x [batch, steps, features] at s_x.
  torch::Tensor quantize_input(const torch::Tensor& x) const;
  // Unfused layer: input [batch, steps, in] -> hidden states [batch, steps, H].
  torch::Tensor run_layer(size_t k, const torch::Tensor& input, const torch::Tensor& s_input);
  // Fused layer, time-major: input [steps, batch, in] -> hidden states [steps, batch, H].
  torch::Tensor run_layer_fused(size_t k, const torch::Tensor& input, const torch::Tensor& s_input);
  // The three gates' fake-quantized weights [3H, cols] and biases [3H], gates r, z, n.
  std::pair<torch::Tensor, torch::Tensor> gate_weights(const Linear (&gates)[3],
                                                       const torch::Tensor& s_x) const;
  QatCellRanges cell_ranges(size_t k) const;
  int cell_threads() const;

  core::Genome genome_;
  quant::FloatGruModel shape_;  // sizes only (weights live in the tensors)
  bool x_unsigned_ = false;
  bool fused_ = true;
  int threads_ = 0;
  torch::Tensor s_x_, s_out_;
  torch::Tensor emb_w_, s_emb_;  // defined only with an embedding
  std::vector<Layer> layers_;
  Linear classifier_;
  std::vector<torch::Tensor> weights_, step_sizes_;
};
TORCH_MODULE(QatGru);

}  // namespace mpgru::train
