// Cost-model features from the shapes and the genome.
#include "device/cost_features.hpp"

#include <algorithm>
#include <stdexcept>

#include "device/kernel_geometry.hpp"

namespace mpgru::device {
namespace {

using core::Op;

// Entries of a table indexed by a signed narrow grid of `bits`.
int64_t table_entries(int bits) {
  return (int64_t{1} << bits) - 1;
}

}  // namespace

Features instruction_features(const ModelShape& s, const core::Genome& g, Target target,
                              const ModelHints* hints) {
  const std::vector<LinearShape> linears = step_linears(s, g);
  if (hints != nullptr && (hints->layers.size() != static_cast<size_t>(s.layers) ||
                           hints->small_multipliers.size() != 6 * hints->layers.size() + 1)) {
    throw std::invalid_argument("cost features: hints '" + to_string(*hints) + "' are not of a " +
                                std::to_string(s.layers) + "-layer model");
  }
  Features f;
  for (int b = core::kMinBits; b <= core::kMaxBits; ++b) f["fields_" + std::to_string(b)] = 0;
  for (const char* name : {"steps", "plain_fields", "ternary_steps", "calls", "rest_steps",
                           "rest_fields", "rest_calls", "input_pass", "row", "small_row"}) {
    f[name] = 0;
  }
  const bool tokens = s.vocabulary > 0;
  f["step"] = 1;
  f["input"] = tokens ? 0 : s.features;
  f["embedding"] = tokens ? s.features : 0;
  f["unit"] = f["add_op"] = f["mul_op"] = f["lut_op"] = 0;
  f["exact_apply"] = f["short_apply"] = f["long_apply"] = 0;
  for (int k = 0; k < s.layers; ++k) {
    const UnitWork w = hints != nullptr ? hints->layers[static_cast<size_t>(k)] : UnitWork{};
    f["unit"] += w.dead() ? 0 : s.hidden;
    f["add_op"] += static_cast<double>(s.hidden) * w.adds;
    f["mul_op"] += static_cast<double>(s.hidden) * w.muls;
    f["lut_op"] += static_cast<double>(s.hidden) * w.luts;
    f["exact_apply"] += static_cast<double>(s.hidden) * w.exact_applies;
    f["short_apply"] += static_cast<double>(s.hidden) * w.short_applies;
    f["long_apply"] += static_cast<double>(s.hidden) * w.long_applies;
  }
  f["gain"] = s.per_step ? s.outputs : 0;
  f["linear"] = static_cast<double>(linears.size());
  for (size_t i = 0; i < linears.size(); ++i) {
    const LinearShape& l = linears[i];
    const KernelWork k = kernel_work(target, l);
    // The head is the hints' last linear.
    const size_t at = i < static_cast<size_t>(6 * s.layers) ? i : 6 * static_cast<size_t>(s.layers);
    const bool small =
        hints != nullptr ? hints->small_multipliers[at] : likely_small_multipliers(l);
    f[k.ternary ? "ternary_steps" : "steps"] += k.block_steps;
    f[k.plain ? "plain_fields" : "fields_" + std::to_string(l.weight_bits)] += k.block_fields;
    f["calls"] += k.block_calls;
    f["rest_steps"] += k.rest_steps;
    f["rest_fields"] += k.rest_fields;
    f["rest_calls"] += k.rest_calls;
    f["input_pass"] += k.input_pass;
    f[small ? "small_row" : "row"] += l.rows;
  }
  return f;
}

int64_t data_bytes(const ModelShape& s, const core::Genome& g, Target target) {
  int64_t bytes = 0;
  for (const LinearShape& l : step_linears(s, g, true)) {
    // Weights, then int32 biases, int32 m0 and int8 shifts per row.
    bytes += kernel_work(target, l).weight_bytes + int64_t{9} * l.rows;
  }
  for (int k = 0; k < s.layers; ++k) {
    for (Op sum : core::kSumOps) bytes += table_entries(g.bits(sum, k));  // act tables
  }
  if (s.per_step) bytes += table_entries(g.bits(Op::out));  // the gains' table
  if (s.vocabulary > 0) bytes += (int64_t{s.vocabulary} * s.features * g.bits(Op::emb) + 7) / 8;
  return bytes;
}

Features flash_features(const ModelShape& s, const core::Genome& g, Target target) {
  const std::vector<LinearShape> linears = step_linears(s, g, true);
  Features f;
  for (int b = core::kMinBits; b <= core::kMaxBits; ++b) f["width_" + std::to_string(b)] = 0;
  for (const LinearShape& l : linears) f["width_" + std::to_string(l.weight_bits)] = 1;
  f["data_bytes"] = static_cast<double>(data_bytes(s, g, target));
  f["program"] = 1;
  f["layer"] = s.layers;
  f["linear"] = static_cast<double>(linears.size());
  f["embedding"] = s.vocabulary > 0 ? 1 : 0;
  f["per_step"] = s.per_step ? 1 : 0;
  return f;
}

}  // namespace mpgru::device
