// The operator table of a quantized GRU classifier and a bit-width genome over it.
//
// One gene per quantization point (DESIGN.md section 3), in this table order:
//   emb                                      (only when the task has an embedding)
//   per layer k = 0..L-1, prefixed "l<k>." for k >= 1:
//     x (layer 0 only: deeper layers take the previous layer's h), w_i.r w_i.z w_i.n,
//     w_h.r w_h.z w_h.n, lin_i.r lin_i.z lin_i.n, lin_h.r lin_h.z lin_h.n, sum.r sum.z sum.n,
//     act.r act.z act.n, mul.rn mul.un mul.zh, h
//   w_o out
//   gain                                     (only with a per-step head: sequence to sequence)
// One layer, no embedding: 25 genes. Each gene is a bit width in 2..8.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mpgru::core {

constexpr int kMinBits = 2;
constexpr int kMaxBits = 8;

// Which quantization point a gene is, without its layer.
enum class Op : uint8_t {
  emb,
  x,
  w_i_r,
  w_i_z,
  w_i_n,
  w_h_r,
  w_h_z,
  w_h_n,
  lin_i_r,
  lin_i_z,
  lin_i_n,
  lin_h_r,
  lin_h_z,
  lin_h_n,
  sum_r,
  sum_z,
  sum_n,
  act_r,
  act_z,
  act_n,
  mul_rn,
  mul_un,
  mul_zh,
  h,
  w_o,
  out,
  gain,  // the per-step head's sigmoid output (sequence-to-sequence models only)
};

// The per-gate ops of a layer, indexed by gate: r = 0, z = 1, n = 2.
inline constexpr Op kInputWeightOps[3] = {Op::w_i_r, Op::w_i_z, Op::w_i_n};
inline constexpr Op kRecurrentWeightOps[3] = {Op::w_h_r, Op::w_h_z, Op::w_h_n};
inline constexpr Op kInputLinearOps[3] = {Op::lin_i_r, Op::lin_i_z, Op::lin_i_n};
inline constexpr Op kRecurrentLinearOps[3] = {Op::lin_h_r, Op::lin_h_z, Op::lin_h_n};
inline constexpr Op kSumOps[3] = {Op::sum_r, Op::sum_z, Op::sum_n};
inline constexpr Op kActOps[3] = {Op::act_r, Op::act_z, Op::act_n};

// Short name of an op as it appears in gene names: "w_i.r", "mul.zh", "x", ...
const char* op_name(Op op);
// True for weight genes (w_i.*, w_h.*, w_o, emb): the ones that count in model size.
bool is_weight(Op op);

struct Gene {
  Op op;
  int layer;         // 0-based; -1 for emb, w_o and out
  std::string name;  // "w_i.r", "l1.sum.z", "w_o", ...
};

// The shape of the network the genome describes.
struct GenomeLayout {
  int layers = 1;
  bool embedding = false;
  // A per-step head (sequence to sequence): w_o and out are its weights and pre-sigmoid output,
  // and a last gene `gain` is its sigmoid output.
  bool per_step = false;
};

// The gene table in order. Throws std::invalid_argument if layers is outside 1..16.
std::vector<Gene> genes(const GenomeLayout& layout);

class Genome {
 public:
  // All genes at `bits`. Throws std::invalid_argument if bits is outside 2..8.
  static Genome homogeneous(const GenomeLayout& layout, int bits);

  // Parses either form, detected by the presence of '=':
  //  - "name=bits" pairs separated by ',' (whitespace around tokens allowed), every gene exactly
  //    once, any order;
  //  - a compact string of one digit per gene in table order ("8888...").
  // Throws std::invalid_argument naming the offending gene/token: unknown gene name, duplicate
  // gene, missing gene(s) (all listed), bits not an integer in 2..8, wrong digit count.
  static Genome parse(const GenomeLayout& layout, const std::string& text);

  const GenomeLayout& layout() const { return layout_; }
  const std::vector<Gene>& table() const { return table_; }
  size_t size() const { return bits_.size(); }

  int bits(size_t index) const { return bits_.at(index); }
  // Bits of the gene for `op` in `layer` (layer ignored for emb, w_o, out, gain). Throws
  // std::out_of_range if the layout has no such gene (e.g. x of layer 1, emb without embedding).
  int bits(Op op, int layer = 0) const;
  // Throws std::invalid_argument if bits is outside 2..8.
  void set_bits(size_t index, int bits);

  // "x=8,w_i.r=4,..." in table order.
  std::string to_pairs() const;
  // "8444..." in table order.
  std::string to_compact() const;

  bool operator==(const Genome& other) const;
  bool operator!=(const Genome& other) const { return !(*this == other); }

 private:
  Genome(const GenomeLayout& layout, std::vector<int> bits);
  GenomeLayout layout_;
  std::vector<Gene> table_;
  std::vector<int> bits_;
};

}  // namespace mpgru::core
