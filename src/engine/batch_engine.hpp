// The integer GRU (a classifier, or a per-step enhancement model) over a batch: B sequences run in
// lockstep, so each step's linears are (B x in) . (in x 3H) integer products over weights packed
// once (engine/packed_linear.hpp, the kernel path chosen by CPU features) and the element-wise
// operators run over B hidden vectors at once. Bit-exact with GruEngine and the reference kernels,
// whatever the path and batch size; it is what engine::evaluate runs. GruEngine stays for streaming
// one step at a time, as a device runs.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kernel_path.hpp"
#include "engine/model.hpp"
#include "engine/optimized_kernels.hpp"
#include "engine/packed_linear.hpp"

namespace mpgru::engine {

class BatchEngine {
 public:
  // `model` must pass check_model and outlive the engine. Runs up to `max_batch` sequences per
  // call (>= 1).
  BatchEngine(const IntegerModel& model, KernelPath path, int32_t max_batch = 64);

  int32_t max_batch() const { return max_batch_; }
  KernelPath path() const { return path_; }

  // Runs `count` (1..max_batch) sequences of `steps` steps; sequence i starts at
  // sequences + i * stride floats (stride >= steps * model.sequence_features()) and its
  // `classes` logits go to logits + i * classes.
  void run(const float* sequences, int64_t stride, int32_t count, int32_t steps, int32_t* logits);
  // A per-step model (speech enhancement): runs `count` sequences as run() does and writes each
  // step's gains (GruEngine::gains: the head and its sigmoid table) to
  // gains + (i * steps + t) * classes, bit-exact with GruEngine::run_gains. Throws
  // std::logic_error for a classifier.
  void run_gains(const float* sequences, int64_t stride, int32_t count, int32_t steps,
                 int32_t* gains);

 private:
  struct Layer {
    PackedLinear input;   // lin_i of r, z, n
    PackedLinear hidden;  // lin_h of r, z, n
    opt::AddTable sum[3];
    opt::AddTable h_add;
    std::vector<int16_t> lut256[3];  // the act tables padded to 256 entries (AVX-512 permutes)
    std::vector<int16_t> h;          // batch x hidden: the state
  };

  void load_step(const float* sequences, int64_t stride, int32_t count, int32_t t);
  // Every layer's step t for the batch (after load_step).
  void network_step();
  // The classifier on sequence b's last layer state: model.classes values into out.
  void classify(size_t b, int32_t* out);
  void layer_step(size_t k, const int16_t* x, int32_t x_stride);
  // The element-wise operators over n entries, on the path's implementation.
  void add(const opt::AddTable& t, const int16_t* a, const int16_t* b, int16_t* out, size_t n);
  void mul(const QuantizedMul& m, const int16_t* a, const int16_t* b, int16_t* out, size_t n,
           int32_t a_offset, bool negate_a);
  void lut(const Lut& l, const std::vector<int16_t>& table256, const int16_t* in, int16_t* out,
           size_t n);

  const IntegerModel& model_;
  KernelPath path_;
  int32_t max_batch_;
  int32_t batch_ = 0;  // sequences in this run
  std::vector<Layer> layers_;
  std::vector<int16_t> input_;                          // batch x features
  AlignedBuffer<uint8_t> packed_;                       // the packed input of one product
  AlignedBuffer<int32_t> acc_;                          // batch x padded rows
  std::vector<int16_t> ai_[3], ah_[3], r_, z_, n_, t_;  // batch x hidden
  std::vector<int32_t> sum_;                            // batch x hidden
  std::vector<int16_t> logits16_;
  std::vector<int32_t> logits_acc_;
};

}  // namespace mpgru::engine
