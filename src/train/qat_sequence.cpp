// Fused forward and backward of the fake-quant GRU recurrence.
#include "train/qat_sequence.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/vectorize.hpp"
#include "train/threads.hpp"

namespace mpgru::train {
namespace {

using core::round_away;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Positions in `steps` (qat_sequence.hpp): the first of each gate triple, then the products.
enum Step : int { kLinI = 0, kLinH = 3, kSum = 6, kRn = 9, kUn = 10, kZh = 11 };

// The element-wise helpers below are forced inline: a row's loop vectorizes only when the whole
// cell is one loop body.

// exp(x) for float, branch-free so loops over it vectorize: x = n ln2 + r, |r| <= ln2/2,
// exp(r) by its degree-6 Taylor polynomial (relative error < 2e-7 on that interval), 2^n by
// building the exponent bits. Inputs are clamped to [-87, 88] (exp stays a normal float).
[[gnu::always_inline]] inline float fast_exp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float n = round_away(x * 1.44269504f);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  const float p =
      1.0f +
      r * (1.0f + r * (0.5f + r * (1.6666667e-1f +
                                   r * (4.1666668e-2f + r * (8.3333338e-3f + r * 1.3888889e-3f)))));
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

[[gnu::always_inline]] inline float sigmoid(float v) {
  return 1.0f / (1.0f + fast_exp(-v));
}
[[gnu::always_inline]] inline float tanh_from_exp(float v) {
  return 2.0f / (1.0f + fast_exp(-2.0f * v)) - 1.0f;
}

// The ranges as float, the precision of the tensors.
struct Ranges {
  float lin_i_max[3], lin_h_max[3], sum_max[3], act_max[3], rn_max, un_max, zh_max, h_max;
};

Ranges to_float(const QatCellRanges& r) {
  Ranges f;
  for (int g = 0; g < 3; ++g) {
    f.lin_i_max[g] = static_cast<float>(r.lin_i_max[g]);
    f.lin_h_max[g] = static_cast<float>(r.lin_h_max[g]);
    f.sum_max[g] = static_cast<float>(r.sum_max[g]);
    f.act_max[g] = static_cast<float>(r.act_max[g]);
  }
  f.rn_max = static_cast<float>(r.rn_max);
  f.un_max = static_cast<float>(r.un_max);
  f.zh_max = static_cast<float>(r.zh_max);
  f.h_max = static_cast<float>(r.h_max);
  return f;
}

struct Params {
  Params(const float* steps, const Ranges& ranges) : q(ranges) {
    for (int i = 0; i < kQatSequenceSteps; ++i) {
      s[i] = steps[i];
      inv[i] = 1.0f / steps[i];
    }
  }
  float s[kQatSequenceSteps];
  float inv[kQatSequenceSteps];  // reciprocals: the recurrent points multiply instead of dividing
  Ranges q;
};

// Fake quantization with a learned step on one element, from u = v / s: the value, and (for the
// backward pass) the in-range mask and LSQ's d/ds term (round(u) - u inside, the bound outside).
struct Fq {
  float value, inside, lsq;
};

[[gnu::always_inline]] inline Fq fq_scaled(float u, float s, float qmax) {
  const float uc = std::min(std::max(u, -qmax), qmax);
  const float q = round_away(uc);
  const float inside = static_cast<float>(u == uc);
  return {q * s, inside, inside * (q - u) + (1.0f - inside) * uc};
}

// A recurrent point `i` of `steps`: u = v * (1 / s), a product instead of a division (the two
// differ in the last bit, which moves a value only at a rounding tie).
[[gnu::always_inline]] inline Fq fq(const Params& p, float v, int i, float qmax) {
  return fq_scaled(v * p.inv[i], p.s[i], qmax);
}

// The unit grid 1/qmax (sigma, tanh, h) with its in-range mask.
struct Unit {
  float value, inside;
};

[[gnu::always_inline]] inline Unit unit(float v, float qmin, float qmax) {
  const float u = v * qmax;
  const float uc = std::min(std::max(u, qmin), qmax);
  return {round_away(uc) / qmax, static_cast<float>(u == uc)};
}

// Every intermediate of one hidden unit at one step; in registers, the forward pass computes it
// and the backward pass recomputes it rather than storing ~40 values per unit and step.
struct Cell {
  Fq ai[3], ah[3], sum[3], rn, un, zh;
  float sig_r, sig_z, tanh_n;
  Unit r, z, n, h;
};

// What one step reads for a row block: the products x W_i^T and h_{t-1} W_h^T [rows, 3H] (gates
// r, z, n at strides of H), their biases [3H], and h_{t-1} [rows, H]. The biases are added here
// rather than by the products, which would first copy them into every row of the output.
struct StepIn {
  const float* __restrict ai;
  const float* __restrict b_i;
  const float* __restrict ah;
  const float* __restrict b_h;
  const float* __restrict h_prev;
};

// Hidden unit c of row b. The lin_i points divide by their step, as fake_quant does.
[[gnu::always_inline]] inline Cell cell(const Params& p, const StepIn& in, size_t b, size_t c,
                                        size_t H) {
  const Ranges& q = p.q;
  const float *ai = in.ai + b * 3 * H + c, *ah = in.ah + b * 3 * H + c;
  Cell k;
#pragma GCC unroll 3
  for (int g = 0; g < 3; ++g) {
    const float pre_i = ai[g * H] + in.b_i[g * H + c], pre_h = ah[g * H] + in.b_h[g * H + c];
    k.ai[g] = fq_scaled(pre_i / p.s[kLinI + g], p.s[kLinI + g], q.lin_i_max[g]);
    k.ah[g] = fq(p, pre_h, kLinH + g, q.lin_h_max[g]);
  }
  k.sum[0] = fq(p, k.ai[0].value + k.ah[0].value, kSum, q.sum_max[0]);
  k.sum[1] = fq(p, k.ai[1].value + k.ah[1].value, kSum + 1, q.sum_max[1]);
  k.sig_r = sigmoid(k.sum[0].value);
  k.sig_z = sigmoid(k.sum[1].value);
  k.r = unit(k.sig_r, 0, q.act_max[0]);
  k.z = unit(k.sig_z, 0, q.act_max[1]);
  k.rn = fq(p, k.r.value * k.ah[2].value, kRn, q.rn_max);
  k.sum[2] = fq(p, k.ai[2].value + k.rn.value, kSum + 2, q.sum_max[2]);
  k.tanh_n = tanh_from_exp(k.sum[2].value);
  k.n = unit(k.tanh_n, -q.act_max[2], q.act_max[2]);
  k.un = fq(p, (1 - k.z.value) * k.n.value, kUn, q.un_max);
  k.zh = fq(p, k.z.value * in.h_prev[b * H + c], kZh, q.zh_max);
  k.h = unit(k.un.value + k.zh.value, -q.h_max, q.h_max);
  return k;
}

// One step for `rows` batch rows: h_new [rows, H].
MPGRU_TARGET_CLONES void forward_rows(const Params& params, StepIn in, float* __restrict h_new,
                                      size_t rows, size_t H) {
  const Params p = params;  // a local copy, which no store can alias
  for (size_t b = 0; b < rows; ++b) {
    for (size_t c = 0; c < H; ++c) h_new[b * H + c] = cell(p, in, b, c, H).h.value;
  }
}

// Three arrays of a row: the gates r, z, n, or the products rn, un, zh. Separate restrict
// members of a by-value struct tell the compiler that no two overlap, so the row loop
// vectorizes without run-time overlap checks (GCC ignores restrict on array elements).
struct Three {
  float* __restrict v0;
  float* __restrict v1;
  float* __restrict v2;
};

Three offset(const Three& t, size_t by) {
  return {t.v0 + by, t.v1 + by, t.v2 + by};
}

// Where the backward pass of a row block writes: per row, dL/d(ai) and dL/d(ah) (each gate at a
// stride of H in a [rows, 3H] array) and dh_direct [rows, H], which holds the direct
// dL/dh_t through z * h of step t + 1 on entry and that of step t on return; per hidden unit,
// the running step-size gradient sums (lanes, `steps` order, before LSQ scaling).
struct BackwardOut {
  Three d_ai, d_ah;
  float* __restrict dh_direct;
  Three lin_i, lin_h, sum, mul;
};

// The chain rule back through one cell from dL/dh_t (STE masks, sigma' = sigma (1 - sigma) and
// tanh' = 1 - tanh^2 at the quantized inputs): dL/d(the quantized value) of every point whose
// step is learned, in the order of Cell, and the direct dL/dh_{t-1} through z * h.
struct CellGrads {
  float ai[3], ah[3], sum[3], rn, un_zh, h_prev;
};

[[gnu::always_inline]] inline CellGrads cell_backward(const Cell& k, float dh, float h_prev) {
  CellGrads d;
  const float d_sum_h = k.h.inside * dh;
  d.un_zh = d_sum_h;  // the un and zh points feed h directly
  const float d_pun = k.un.inside * d_sum_h;
  const float d_pzh = k.zh.inside * d_sum_h;
  const float d_z = -d_pun * k.n.value + d_pzh * h_prev;
  const float d_n = d_pun * (1 - k.z.value);
  d.h_prev = d_pzh * k.z.value;
  d.sum[2] = k.n.inside * d_n * (1 - k.tanh_n * k.tanh_n);
  d.ai[2] = k.sum[2].inside * d.sum[2];
  d.rn = d.ai[2];
  const float d_prn = k.rn.inside * d.rn;
  const float d_r = d_prn * k.ah[2].value;
  d.ah[2] = d_prn * k.r.value;
  d.sum[1] = k.z.inside * d_z * k.sig_z * (1 - k.sig_z);
  d.ai[1] = d.ah[1] = k.sum[1].inside * d.sum[1];
  d.sum[0] = k.r.inside * d_r * k.sig_r * (1 - k.sig_r);
  d.ai[0] = d.ah[0] = k.sum[0].inside * d.sum[0];
  return d;
}

// Back through one step for `rows` batch rows. dL/dh_t is dh_rec (through step t + 1's
// recurrent product) + dh_direct + grad (from the output).
MPGRU_TARGET_CLONES void backward_rows(const Params& params, StepIn in,
                                       const float* __restrict dh_rec, const float* __restrict grad,
                                       BackwardOut o, size_t rows, size_t H) {
  const Params p = params;
  for (size_t b = 0; b < rows; ++b) {
    const size_t o3 = b * 3 * H, o1 = b * H;
    const Three d_ai = offset(o.d_ai, o3), d_ah = offset(o.d_ah, o3);
    for (size_t c = 0; c < H; ++c) {
      const Cell k = cell(p, in, b, c, H);
      const float dh = (dh_rec[o1 + c] + o.dh_direct[o1 + c]) + grad[o1 + c];
      const CellGrads d = cell_backward(k, dh, in.h_prev[o1 + c]);
      o.dh_direct[o1 + c] = d.h_prev;
      d_ai.v0[c] = k.ai[0].inside * d.ai[0];
      d_ai.v1[c] = k.ai[1].inside * d.ai[1];
      d_ai.v2[c] = k.ai[2].inside * d.ai[2];
      d_ah.v0[c] = k.ah[0].inside * d.ah[0];
      d_ah.v1[c] = k.ah[1].inside * d.ah[1];
      d_ah.v2[c] = k.ah[2].inside * d.ah[2];
      o.lin_i.v0[c] += d.ai[0] * k.ai[0].lsq;
      o.lin_i.v1[c] += d.ai[1] * k.ai[1].lsq;
      o.lin_i.v2[c] += d.ai[2] * k.ai[2].lsq;
      o.lin_h.v0[c] += d.ah[0] * k.ah[0].lsq;
      o.lin_h.v1[c] += d.ah[1] * k.ah[1].lsq;
      o.lin_h.v2[c] += d.ah[2] * k.ah[2].lsq;
      o.sum.v0[c] += d.sum[0] * k.sum[0].lsq;
      o.sum.v1[c] += d.sum[1] * k.sum[1].lsq;
      o.sum.v2[c] += d.sum[2] * k.sum[2].lsq;
      o.mul.v0[c] += d.rn * k.rn.lsq;
      o.mul.v1[c] += d.un_zh * k.un.lsq;
      o.mul.v2[c] += d.un_zh * k.zh.lsq;
    }
  }
}

// The step-size gradient sums of one row block: float lanes per hidden unit within a step (so
// the backward loop vectorizes), folded into double after every step.
struct LsqSums {
  explicit LsqSums(size_t hidden) : H(hidden), lanes(kQatSequenceSteps * hidden, 0.0f) {}
  // The lanes of steps first, first + 1, first + 2.
  Three at(int first) {
    float* l = lanes.data() + static_cast<size_t>(first) * H;
    return {l, l + H, l + 2 * H};
  }
  void fold() {
    for (int i = 0; i < kQatSequenceSteps; ++i) {
      double sum = 0;
      for (size_t c = 0; c < H; ++c) sum += lanes[i * H + c];
      total[i] += sum;
    }
    std::fill(lanes.begin(), lanes.end(), 0.0f);
  }
  size_t H;
  std::vector<float> lanes;
  double total[kQatSequenceSteps] = {};
};

// The batch rows in two fixed halves ("blocks"), whichever core runs each: the step-size sums
// are then added in the same order for any thread count (only the matrix products, split by
// rows on two cores, may round differently).
struct RowBlock {
  size_t begin, end;
  size_t rows() const { return end - begin; }
};

RowBlock row_block(int64_t batch, int k) {
  const size_t half = static_cast<size_t>(batch) / 2;
  return k == 0 ? RowBlock{0, half} : RowBlock{half, static_cast<size_t>(batch)};
}

// Keeps the calling thread and another thread on two different cores while it lives (and does
// nothing when fewer than two are allowed). OpenBLAS's idle workers yield-spin for ~0.1 s after
// each multi-threaded product, so a core looks busy and the scheduler often left the two threads
// of a sequence sharing the other one for good: measured, about half the runs were then slower
// than on one core (18.7 vs 16.5 ms a training step; 14 ms pinned).
class CorePair {
 public:
  explicit CorePair(pthread_t other) : other_(other) {
    if (sched_getaffinity(0, sizeof allowed_, &allowed_) != 0) return;
    const int here = sched_getcpu();
    int there = -1;
    for (int c = 0; c < CPU_SETSIZE && there < 0; ++c) {
      if (c != here && CPU_ISSET(c, &allowed_)) there = c;
    }
    if (here < 0 || there < 0) return;
    active_ = pin_self(here) && pthread_setaffinity_np(other_, sizeof(cpu_set_t), one(there)) == 0;
  }
  ~CorePair() {
    if (active_) {
      sched_setaffinity(0, sizeof allowed_, &allowed_);
      pthread_setaffinity_np(other_, sizeof allowed_, &allowed_);
    }
  }
  CorePair(const CorePair&) = delete;
  CorePair& operator=(const CorePair&) = delete;

 private:
  const cpu_set_t* one(int cpu) {
    CPU_ZERO(&single_);
    CPU_SET(cpu, &single_);
    return &single_;
  }
  bool pin_self(int cpu) { return sched_setaffinity(0, sizeof(cpu_set_t), one(cpu)) == 0; }

  pthread_t other_;
  cpu_set_t allowed_, single_;
  bool active_ = false;
};

// A second core for a sequence: a helper thread (one per calling thread, started on first use)
// runs block 1 of the batch through all steps while the caller runs block 0. The rows of a GRU
// are independent, so the two meet only at the end of the sequence.
class BlockHelper {
 public:
  BlockHelper() : thread_([this] { serve(); }) {}
  ~BlockHelper() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  BlockHelper(const BlockHelper&) = delete;
  BlockHelper& operator=(const BlockHelper&) = delete;

  // job(1) on the helper, job(0) on the caller; returns (or rethrows) when both are done.
  void run(const std::function<void(int)>& job) {
    const CorePair cores(thread_.native_handle());
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      ++posted_;
    }
    wake_.notify_one();
    std::exception_ptr error;
    try {
      job(0);
    } catch (...) {
      error = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [&] { return done_ == posted_; });
    if (!error) error = std::exchange(helper_error_, nullptr);
    if (error) std::rethrow_exception(error);
  }

 private:
  void serve() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || posted_ != done_; });
      if (stop_) return;
      const std::function<void(int)>* job = job_;
      lock.unlock();
      std::exception_ptr error;
      try {
        (*job)(1);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      helper_error_ = error;
      done_ = posted_;
      finished_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  const std::function<void(int)>* job_ = nullptr;  // the members below are guarded by mutex_
  uint64_t posted_ = 0, done_ = 0;
  std::exception_ptr helper_error_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

// OpenBLAS single-threaded while it lives: each of the two cores then runs its own products
// (a multi-threaded OpenBLAS would serialize two concurrent calls). Restores the previous count.
class SerialBlas {
 public:
  SerialBlas() : previous_(blas_threads()) {
    if (previous_ > 0) set_blas_threads(1);
  }
  ~SerialBlas() {
    if (previous_ > 0) set_blas_threads(previous_);
  }
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  int previous_;  // 0: not OpenBLAS
};

// rows(block, first, last) runs the row range `block` through the whole sequence, with the
// element-wise passes split at blocks first..last: on one core, all rows and blocks 0..1; on two,
// each block on its own core.
void for_blocks(int64_t batch, int64_t threads,
                const std::function<void(RowBlock, int, int)>& rows) {
  if (threads < 2) {
    rows({0, static_cast<size_t>(batch)}, 0, 1);
    return;
  }
  const SerialBlas serial;
  thread_local BlockHelper helper;
  helper.run([&](int k) { rows(row_block(batch, k), k, k); });
}

// The large buffers of a layer, reused across calls by the same thread: a fresh multi-megabyte
// tensor costs a page fault per 4 KiB (glibc hands freed heap back to the kernel); reusing them
// saves 1.3-1.6 ms of a 14-16 ms training step. A buffer is reused only when nothing else
// references it any more.
struct Workspace {
  torch::Tensor hs, ah, d_ai, d_ah;
};

Workspace& workspace() {
  thread_local Workspace w;
  return w;
}

torch::Tensor reuse(torch::Tensor& cached, at::IntArrayRef sizes) {
  if (!cached.defined() || cached.use_count() != 1 || cached.storage().use_count() != 1 ||
      !cached.sizes().equals(sizes)) {
    cached = torch::empty(sizes);
  }
  return cached;
}

std::vector<double> pack(const QatCellRanges& r) {
  static_assert(sizeof(QatCellRanges) % sizeof(double) == 0, "QatCellRanges holds doubles only");
  const auto* d = reinterpret_cast<const double*>(&r);
  return std::vector<double>(d, d + sizeof(QatCellRanges) / sizeof(double));
}

QatCellRanges unpack(const std::vector<double>& packed) {
  QatCellRanges r;
  std::copy(packed.begin(), packed.end(), reinterpret_cast<double*>(&r));
  return r;
}

// Rows r of a [batch, ...] tensor.
torch::Tensor narrow(const torch::Tensor& t, const RowBlock& r) {
  return t.narrow(0, static_cast<int64_t>(r.begin), static_cast<int64_t>(r.rows()));
}

// Raw views of a sequence's time-major buffers for the row kernels: ai and ah [T, batch, 3H],
// the biases [3H], hs [T + 1, batch, H] (hs[t]: the state step t starts from; hs[0] = h_0 = 0).
struct Layout {
  size_t batch, H;
  const float *ai, *b_i, *ah, *b_h, *hs;
  size_t at(int64_t t, const RowBlock& r) const { return static_cast<size_t>(t) * batch + r.begin; }
  // What rows r of step t read.
  StepIn in(int64_t t, const RowBlock& r) const {
    const size_t i = at(t, r);
    return {ai + i * 3 * H, b_i, ah + i * 3 * H, b_h, hs + i * H};
  }
};

// Runs the forward recurrence: writes h W_h^T into ah_all[t] and the states into hs[1..T].
void forward_sequence(const Params& p, const Layout& l, int64_t T, const torch::Tensor& w_h,
                      torch::Tensor& ah_all, torch::Tensor& hs, int64_t threads) {
  const torch::Tensor w_t = w_h.detach().t();  // detached: the helper thread has grad mode on
  float* h_out = hs.data_ptr<float>() + l.batch * l.H;
  const auto batch = static_cast<int64_t>(l.batch);
  for_blocks(batch, threads, [&](RowBlock rows, int first, int last) {
    if (rows.rows() == 0) return;
    for (int64_t t = 0; t < T; ++t) {
      torch::Tensor ah = narrow(ah_all[t], rows);
      torch::mm_out(ah, narrow(hs[t], rows), w_t);
      for (int k = first; k <= last; ++k) {
        const RowBlock r = row_block(batch, k);
        forward_rows(p, l.in(t, r), h_out + l.at(t, r) * l.H, r.rows(), l.H);
      }
    }
  });
}

// The gradient buffers of the backward recurrence.
struct BackwardState {
  torch::Tensor grad;               // dL/dh from the output [T, batch, H]
  torch::Tensor d_ai, d_ah;         // outputs [T, batch, 3H]
  torch::Tensor dh_rec, dh_direct;  // [batch, H], see backward_rows
  LsqSums sums[2];                  // per row block
};

// Back through step t for row block k.
void backward_step(const Params& p, const Layout& l, int64_t t, int k, BackwardState& s) {
  const RowBlock r = row_block(static_cast<int64_t>(l.batch), k);
  const size_t i = l.at(t, r);
  float* d_ai = s.d_ai.data_ptr<float>() + i * 3 * l.H;
  float* d_ah = s.d_ah.data_ptr<float>() + i * 3 * l.H;
  const BackwardOut out{{d_ai, d_ai + l.H, d_ai + 2 * l.H},
                        {d_ah, d_ah + l.H, d_ah + 2 * l.H},
                        s.dh_direct.data_ptr<float>() + r.begin * l.H,
                        s.sums[k].at(kLinI),
                        s.sums[k].at(kLinH),
                        s.sums[k].at(kSum),
                        s.sums[k].at(kRn)};
  backward_rows(p, l.in(t, r), s.dh_rec.data_ptr<float>() + r.begin * l.H,
                s.grad.data_ptr<float>() + i * l.H, out, r.rows(), l.H);
  s.sums[k].fold();
}

// Runs the backward recurrence from step T - 1 down to 0.
void backward_sequence(const Params& p, const Layout& l, int64_t T, const torch::Tensor& w_h,
                       BackwardState& s, int64_t threads) {
  const torch::Tensor w = w_h.detach();
  for_blocks(static_cast<int64_t>(l.batch), threads, [&](RowBlock rows, int first, int last) {
    if (rows.rows() == 0) return;
    for (int64_t t = T - 1; t >= 0; --t) {
      for (int k = first; k <= last; ++k) backward_step(p, l, t, k, s);
      if (t == 0) break;
      torch::Tensor dh = narrow(s.dh_rec, rows);
      torch::mm_out(dh, narrow(s.d_ah[t], rows), w);
    }
  });
}

Layout layout(const torch::Tensor& ai, const torch::Tensor& b_i, const torch::Tensor& ah,
              const torch::Tensor& b_h, const torch::Tensor& hs) {
  return {static_cast<size_t>(ai.size(1)),
          static_cast<size_t>(hs.size(2)),
          ai.data_ptr<float>(),
          b_i.data_ptr<float>(),
          ah.data_ptr<float>(),
          b_h.data_ptr<float>(),
          hs.data_ptr<float>()};
}

class QatSequence : public torch::autograd::Function<QatSequence> {
 public:
  // Every tensor is time-major ([T, batch, ...]) so each step's slice is contiguous.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& ai_in,
                               const torch::Tensor& b_i_in, const torch::Tensor& w_h,
                               const torch::Tensor& b_h_in, const torch::Tensor& steps_in,
                               const QatCellRanges& ranges, int64_t threads) {
    const int64_t T = ai_in.size(0), batch = ai_in.size(1), H = w_h.size(1);
    const torch::Tensor ai = ai_in.contiguous(), b_i = b_i_in.contiguous(),
                        b_h = b_h_in.contiguous(), steps = steps_in.contiguous();
    Workspace& ws = workspace();
    torch::Tensor hs = reuse(ws.hs, {T + 1, batch, H});
    torch::Tensor ah_all = reuse(ws.ah, {T, batch, 3 * H});
    hs[0].zero_();  // h_0
    forward_sequence(Params{steps.data_ptr<float>(), to_float(ranges)},
                     layout(ai, b_i, ah_all, b_h, hs), T, w_h, ah_all, hs, threads);
    ctx->save_for_backward({ai, b_i, w_h, b_h, steps, hs, ah_all});
    ctx->saved_data["ranges"] = c10::IValue(pack(ranges));
    ctx->saved_data["threads"] = threads;
    return hs.narrow(0, 1, T);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &ai = saved[0], &b_i = saved[1], &w_h = saved[2], &b_h = saved[3],
                        &steps = saved[4], &hs = saved[5], &ah_all = saved[6];
    const QatCellRanges ranges = unpack(ctx->saved_data["ranges"].toDoubleVector());
    const int64_t T = ai.size(0), batch = ai.size(1), H = w_h.size(1);
    Workspace& ws = workspace();
    BackwardState s{
        grad_outputs[0].defined() ? grad_outputs[0].contiguous() : torch::zeros({T, batch, H}),
        reuse(ws.d_ai, {T, batch, 3 * H}),
        reuse(ws.d_ah, {T, batch, 3 * H}),
        torch::zeros({batch, H}),
        torch::zeros({batch, H}),
        {LsqSums(static_cast<size_t>(H)), LsqSums(static_cast<size_t>(H))}};
    backward_sequence(Params{steps.data_ptr<float>(), to_float(ranges)},
                      layout(ai, b_i, ah_all, b_h, hs), T, w_h, s,
                      ctx->saved_data["threads"].toInt());
    // The weight and bias gradients over all steps at once: one large product instead of T.
    const torch::Tensor d_ai = s.d_ai.view({T * batch, 3 * H}),
                        d_ah = s.d_ah.view({T * batch, 3 * H});
    const torch::Tensor d_w_h = d_ah.t().mm(hs.narrow(0, 0, T).view({T * batch, H}));
    torch::Tensor d_steps = torch::empty({kQatSequenceSteps});
    for (int i = 0; i < kQatSequenceSteps; ++i) {
      const double sum = s.sums[0].total[i] + s.sums[1].total[i];
      d_steps.data_ptr<float>()[i] = static_cast<float>(sum * ranges.grad_scale[i]);
    }
    return {s.d_ai, d_ai.sum(0), d_w_h, d_ah.sum(0), d_steps, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor qat_gru_sequence(const torch::Tensor& ai, const torch::Tensor& b_i,
                               const torch::Tensor& w_h, const torch::Tensor& b_h,
                               const torch::Tensor& steps, const QatCellRanges& ranges,
                               int threads) {
  return QatSequence::apply(ai, b_i, w_h, b_h, steps, ranges, int64_t{threads});
}

}  // namespace mpgru::train
