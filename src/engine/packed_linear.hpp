// The batched linear layer of the engine: one or more QuantizedLinears that read the same input
// (a GRU's three gates), their rows concatenated and packed once for a kernel path, applied to B
// inputs at a time as a (B x cols) . (cols x rows) integer product.
//
// Every path computes acc[b][c] = bias[c] + sum_j w[c][j] * x[b][j] exactly in int32 (check_model
// proved the true value fits), then each part is requantized per output channel exactly as
// ref::linear does, so all paths equal the reference kernels bit for bit:
//  - portable: int8 weights row-major, plain loops;
//  - avx2: weights widened to int16 in pairs, vpmaddwd (int16 x int16 pair sums, at most
//    2 * 255 * 127, cannot saturate) into int32;
//  - avx512_vnni: vpdpbusd multiplies unsigned 8-bit inputs by signed 8-bit weights in groups of
//    four into int32. A signed input x in [-127, 127] enters as x + 128 in [1, 255]; the extra
//    128 * sum_j w[c][j] is subtracted in the accumulator's initial value (modulo 2^32: with a
//    bias near the int32 limit the start value itself may wrap). The int32 sums wrap (two's
//    complement, no saturation), so the final value is exact whenever the true one fits.
// Layout: rows padded to blocks of 16 (zero weights, zero bias), columns to groups of 4.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kernel_path.hpp"
#include "engine/model.hpp"

namespace mpgru::engine {

// A vector whose data is 64-byte aligned (for 512-bit loads).
template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t n) { resize(n); }
  void resize(size_t n) {
    storage_.assign(n + kPad, T{});
    const auto address = reinterpret_cast<uintptr_t>(storage_.data());
    offset_ = ((64 - address % 64) % 64) / sizeof(T);
    size_ = n;
  }
  T* data() { return storage_.data() + offset_; }
  const T* data() const { return storage_.data() + offset_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }

 private:
  static constexpr size_t kPad = 64 / sizeof(T);
  std::vector<T> storage_;
  size_t offset_ = 0;
  size_t size_ = 0;
};

// One 16-row block's destination in multiply_requantize: part `part`'s outputs from its row
// `first` (row b of the batch at outputs[part] + first + b * stride); `valid` of the 16 rows are
// real (the rest padding, not stored); the part's output clamp [lo, hi].
struct BlockOutput {
  size_t part = 0;
  int32_t first = 0;
  size_t stride = 0;
  int32_t valid = 0;
  int32_t lo = 0, hi = 0;
};

class PackedLinear {
 public:
  static constexpr int32_t kRowBlock = 16;
  static constexpr int32_t kColGroup = 4;

  PackedLinear() = default;
  // The parts must share cols and the input point (the GRU's lin_i or lin_h); `parts` must outlive
  // this (their multipliers and output ranges are read at requantization).
  PackedLinear(std::vector<const QuantizedLinear*> parts, KernelPath path);

  KernelPath path() const { return path_; }
  int32_t cols() const { return cols_; }
  int32_t padded_cols() const { return padded_cols_; }
  int32_t padded_rows() const { return padded_rows_; }
  size_t parts() const { return parts_.size(); }

  // Bytes per input row of the packed input (padded_cols values of 1 or 2 bytes).
  size_t input_bytes_per_row() const;

  // Packs B inputs x[b][j] (int16, row stride x_stride, values in the input point's range) into
  // `packed` (B * input_bytes_per_row() bytes) in the form the path reads.
  void pack_input(const int16_t* x, int32_t batch, int32_t x_stride, uint8_t* packed) const;

  // acc[b][c] = bias[c] + sum_j w[c][j] x[b][j] for b < batch (any count) and
  // c < padded_rows(); acc has row stride padded_rows().
  void multiply(const uint8_t* packed, int32_t batch, int32_t* acc) const;

  // Part p's outputs, requantized and clamped as ref::linear: y[b][c] (row stride = the part's
  // rows) for b < batch.
  void requantize(size_t part, const int32_t* acc, int32_t batch, int16_t* y) const;

  // multiply, then requantize every part p into outputs[p]; on the avx512_vnni path in one pass
  // (the accumulators requantized in registers). `acc` is scratch as for multiply.
  void multiply_requantize(const uint8_t* packed, int32_t batch, int32_t* acc,
                           int16_t* const* outputs) const;

 private:
  KernelPath path_ = KernelPath::portable;
  std::vector<const QuantizedLinear*> parts_;
  std::vector<int32_t> part_offset_;  // first padded row of each part
  int32_t cols_ = 0;
  int32_t padded_cols_ = 0;
  int32_t padded_rows_ = 0;
  bool signed_input_ = true;
  AlignedBuffer<int8_t> weights8_;    // portable: [row][col]; vnni: [block][group][16][4]
  AlignedBuffer<int16_t> weights16_;  // avx2: [block][pair][16][2]
  std::vector<int32_t> init_;         // per padded row: bias (- 128 * row sum on the vnni path)
  std::vector<int32_t> m0_;           // per padded row
  std::vector<int32_t> shift_;        // per padded row
  std::vector<int64_t> split_;        // kernels::split_multipliers of shift_ (AVX-512)
  std::vector<BlockOutput> blocks_;   // per 16-row block (multiply_requantize)
};

namespace kernels {
// The path-specific products (packed_linear_avx2.cpp, packed_linear_avx512.cpp): the same
// contract as PackedLinear::multiply over the packed layouts above.
void multiply_avx2(const int16_t* weights, const int32_t* init, int32_t rows, int32_t cols,
                   const int16_t* x, int32_t batch, int32_t* acc);
void multiply_avx512_vnni(const int8_t* weights, const int32_t* init, int32_t rows, int32_t cols,
                          const uint8_t* x, int32_t batch, int32_t* acc);
// The product with the requantization fused into its epilogue (no int32 round trip).
void multiply_requantize_avx512_vnni(const int8_t* weights, const int32_t* init, int32_t rows,
                                     int32_t cols, const uint8_t* x, int32_t batch,
                                     const int32_t* m0, const int64_t* split,
                                     const BlockOutput* blocks, int16_t* const* outputs);
}  // namespace kernels

}  // namespace mpgru::engine
