// Packing and the portable path of the batched linear layer; the SIMD products are in
// packed_linear_avx2.cpp and packed_linear_avx512.cpp.
#include "engine/packed_linear.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/vectorize.hpp"
#include "engine/elementwise_avx512.hpp"

namespace mpgru::engine {
namespace {

int32_t round_up(int32_t n, int32_t multiple) {
  return (n + multiple - 1) / multiple * multiple;
}

// The row-major padded weights w (rows x cols) as blocks of 16 rows, each a run of column groups
// of `group` values per row: out[((block * groups + g) * 16 + r) * group + k] =
// w[block * 16 + r][g * group + k], the layout the SIMD products load (rows and cols padded).
template <typename T>
void interleave(const std::vector<int8_t>& w, size_t rows, size_t cols, size_t group, T* out) {
  const size_t block = PackedLinear::kRowBlock, groups = cols / group;
  for (size_t b = 0; b < rows / block; ++b)
    for (size_t g = 0; g < groups; ++g)
      for (size_t r = 0; r < block; ++r)
        for (size_t k = 0; k < group; ++k)
          out[((b * groups + g) * block + r) * group + k] =
              w[(b * block + r) * cols + g * group + k];
}

// v modulo 2^32 as an int32 (two's complement).
int32_t wrap_to_int32(int64_t v) {
  const auto bits = static_cast<uint32_t>(static_cast<uint64_t>(v));
  int32_t out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

// acc[b][c] = init[c] + sum_j w[c][j] x[b][j]: int8 weights row-major, int16 inputs.
void multiply_portable(const int8_t* w, const int32_t* init, int32_t rows, int32_t cols,
                       const int16_t* x, int32_t batch, int32_t* acc) {
  const auto r = static_cast<size_t>(rows), n = static_cast<size_t>(cols);
  for (size_t b = 0; b < static_cast<size_t>(batch); ++b) {
    const int16_t* xb = x + b * n;
    for (size_t c = 0; c < r; ++c) {
      const int8_t* wc = w + c * n;
      int32_t sum = init[c];
      for (size_t j = 0; j < n; ++j) sum += int32_t{wc[j]} * int32_t{xb[j]};
      acc[b * r + c] = sum;
    }
  }
}

// y[b][c] = clamp(apply(acc[b][c], {m0[c], shift[c]})): one pass, vectorized per CPU level.
MPGRU_TARGET_CLONES void requantize_rows(const int32_t* __restrict acc, size_t acc_stride,
                                         const int32_t* __restrict m0,
                                         const int32_t* __restrict shift, size_t rows, int32_t lo,
                                         int32_t hi, size_t batch, int16_t* __restrict y) {
  for (size_t b = 0; b < batch; ++b) {
    const int32_t* a = acc + b * acc_stride;
    int16_t* out = y + b * rows;
    for (size_t c = 0; c < rows; ++c) {
      const int32_t v = quant::apply_multiplier(a[c], quant::Multiplier{m0[c], shift[c]});
      out[c] = static_cast<int16_t>(std::min(std::max(v, lo), hi));
    }
  }
}

}  // namespace

PackedLinear::PackedLinear(std::vector<const QuantizedLinear*> parts, KernelPath path)
    : path_(path), parts_(std::move(parts)) {
  if (parts_.empty()) throw std::invalid_argument("PackedLinear: no parts");
  cols_ = parts_.front()->cols;
  signed_input_ = parts_.front()->input.is_signed;
  padded_cols_ = path_ == KernelPath::portable ? cols_ : round_up(cols_, kColGroup);
  for (const QuantizedLinear* p : parts_) {
    if (p->cols != cols_ || p->input.is_signed != signed_input_) {
      throw std::invalid_argument("PackedLinear: parts disagree on their input");
    }
    part_offset_.push_back(padded_rows_);
    padded_rows_ += round_up(p->rows, kRowBlock);
  }
  const auto rows = static_cast<size_t>(padded_rows_), cols = static_cast<size_t>(padded_cols_);
  std::vector<int8_t> w(rows * cols, 0);  // row-major, padded
  init_.assign(rows, 0);
  m0_.assign(rows, 0);
  shift_.assign(rows, 0);
  for (size_t p = 0; p < parts_.size(); ++p) {
    const QuantizedLinear& l = *parts_[p];
    for (size_t c = 0; c < static_cast<size_t>(l.rows); ++c) {
      const size_t row = static_cast<size_t>(part_offset_[p]) + c;
      int64_t row_sum = 0;
      for (size_t j = 0; j < static_cast<size_t>(l.cols); ++j) {
        w[row * cols + j] = l.weights[c * static_cast<size_t>(l.cols) + j];
        row_sum += l.weights[c * static_cast<size_t>(l.cols) + j];
      }
      const bool offset = path_ == KernelPath::avx512_vnni && signed_input_;
      // bias - 128 * row_sum may leave int32 (a bias near the int32 limit) even though every
      // true accumulator fits: kept modulo 2^32, as vpdpbusd's sums are (found by fuzzing).
      init_[row] = wrap_to_int32(int64_t{l.bias[c]} - (offset ? 128 * row_sum : 0));
      m0_[row] = l.multipliers[c].m0;
      shift_[row] = l.multipliers[c].shift;
    }
  }
  blocks_.resize(rows / kRowBlock);
  for (size_t p = 0; p < parts_.size(); ++p) {
    const QuantizedLinear& l = *parts_[p];
    for (int32_t first = 0; first < l.rows; first += kRowBlock) {
      blocks_[static_cast<size_t>((part_offset_[p] + first) / kRowBlock)] = {
          p,
          first,
          static_cast<size_t>(l.rows),
          std::min(kRowBlock, l.rows - first),
          l.output.qmin(),
          l.output.qmax()};
    }
  }
  split_.assign(rows / kRowBlock * 32, 0);
  kernels::split_multipliers(shift_.data(), rows, split_.data());
  switch (path_) {
    case KernelPath::portable:
      weights8_.resize(w.size());
      std::copy(w.begin(), w.end(), weights8_.data());
      break;
    case KernelPath::avx2:  // [block][pair][16 rows][2]
      weights16_.resize(rows * cols);
      interleave(w, rows, cols, 2, weights16_.data());
      break;
    case KernelPath::avx512_vnni:  // [block][group][16 rows][4]
      weights8_.resize(rows * cols);
      interleave(w, rows, cols, 4, weights8_.data());
      break;
  }
}

size_t PackedLinear::input_bytes_per_row() const {
  const size_t value_bytes = path_ == KernelPath::avx512_vnni ? 1 : 2;
  return static_cast<size_t>(padded_cols_) * value_bytes;
}

void PackedLinear::pack_input(const int16_t* x, int32_t batch, int32_t x_stride,
                              uint8_t* packed) const {
  const auto cols = static_cast<size_t>(cols_), padded = static_cast<size_t>(padded_cols_);
  for (size_t b = 0; b < static_cast<size_t>(batch); ++b) {
    const int16_t* in = x + b * static_cast<size_t>(x_stride);
    if (path_ == KernelPath::avx512_vnni) {
      uint8_t* out = packed + b * padded;
      const int32_t offset = signed_input_ ? 128 : 0;  // u8 = x + 128 for a signed input
      for (size_t j = 0; j < cols; ++j) out[j] = static_cast<uint8_t>(in[j] + offset);
      std::fill(out + cols, out + padded, uint8_t{0});
    } else {
      int16_t* out = reinterpret_cast<int16_t*>(packed) + b * padded;
      std::copy(in, in + cols, out);
      std::fill(out + cols, out + padded, int16_t{0});
    }
  }
}

void PackedLinear::multiply(const uint8_t* packed, int32_t batch, int32_t* acc) const {
  switch (path_) {
    case KernelPath::portable:
      multiply_portable(weights8_.data(), init_.data(), padded_rows_, padded_cols_,
                        reinterpret_cast<const int16_t*>(packed), batch, acc);
      break;
    case KernelPath::avx2:
      kernels::multiply_avx2(weights16_.data(), init_.data(), padded_rows_, padded_cols_,
                             reinterpret_cast<const int16_t*>(packed), batch, acc);
      break;
    case KernelPath::avx512_vnni:
      kernels::multiply_avx512_vnni(weights8_.data(), init_.data(), padded_rows_, padded_cols_,
                                    packed, batch, acc);
      break;
  }
}

void PackedLinear::multiply_requantize(const uint8_t* packed, int32_t batch, int32_t* acc,
                                       int16_t* const* outputs) const {
  if (path_ != KernelPath::avx512_vnni) {
    multiply(packed, batch, acc);
    for (size_t p = 0; p < parts_.size(); ++p) requantize(p, acc, batch, outputs[p]);
    return;
  }
  kernels::multiply_requantize_avx512_vnni(weights8_.data(), init_.data(), padded_rows_,
                                           padded_cols_, packed, batch, m0_.data(), split_.data(),
                                           blocks_.data(), outputs);
}

void PackedLinear::requantize(size_t part, const int32_t* acc, int32_t batch, int16_t* y) const {
  const QuantizedLinear& l = *parts_[part];
  const auto first = static_cast<size_t>(part_offset_[part]);
  if (path_ == KernelPath::avx512_vnni) {
    kernels::requantize_avx512(acc + first, static_cast<size_t>(padded_rows_), m0_.data() + first,
                               shift_.data() + first, split_.data() + first / 16 * 32,
                               static_cast<size_t>(l.rows), l.output.qmin(), l.output.qmax(),
                               static_cast<size_t>(batch), y);
    return;
  }
  requantize_rows(acc + first, static_cast<size_t>(padded_rows_), m0_.data() + first,
                  shift_.data() + first, static_cast<size_t>(l.rows), l.output.qmin(),
                  l.output.qmax(), static_cast<size_t>(batch), y);
}

}  // namespace mpgru::engine
