// Requantization paths and constant element-wise values of an integer model.
#include "device/model_hints.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "engine/reference_kernels.hpp"

namespace mpgru::device {
namespace {

using engine::QuantizedLinear;

struct Range {
  int32_t lo, hi;
  bool constant() const { return lo == hi; }
};

Range grid(const engine::QuantPoint& p) {
  return {p.qmin(), p.qmax()};
}

bool fast_requantization(const QuantizedLinear& l) {
  return std::all_of(l.multipliers.begin(), l.multipliers.end(),
                     [](const quant::Multiplier& m) { return m.m0 == 0 || m.shift <= -2; });
}

// The add and the product are monotone in each operand (for a product, in each quadrant): their
// ranges are reached at the corners.
Range add_range(const engine::QuantizedAdd& op, Range a, Range b) {
  return {engine::ref::add(op, a.lo, b.lo), engine::ref::add(op, a.hi, b.hi)};
}

Range mul_range(const engine::QuantizedMul& op, Range a, Range b) {
  Range r{INT32_MAX, INT32_MIN};
  for (int32_t x : {a.lo, a.hi}) {
    for (int32_t y : {b.lo, b.hi}) {
      const int32_t v = engine::ref::mul(op, x, y);
      r = {std::min(r.lo, v), std::max(r.hi, v)};
    }
  }
  return r;
}

Range lut_range(const engine::Lut& op, Range in) {
  Range r{INT32_MAX, INT32_MIN};
  for (int32_t q = std::max(in.lo, op.input.qmin()); q <= std::min(in.hi, op.input.qmax()); ++q) {
    const int32_t v = engine::ref::lut(op, q);
    r = {std::min(r.lo, v), std::max(r.hi, v)};
  }
  return r;
}

UnitWork unit_work(const engine::GruLayer& l) {
  using engine::kGateN;
  using engine::kGateR;
  using engine::kGateZ;
  const Range sr =
      add_range(l.sum[kGateR], grid(l.lin_i[kGateR].output), grid(l.lin_h[kGateR].output));
  const Range sz =
      add_range(l.sum[kGateZ], grid(l.lin_i[kGateZ].output), grid(l.lin_h[kGateZ].output));
  const Range r = lut_range(l.act[kGateR], sr), z = lut_range(l.act[kGateZ], sz);
  const Range rn = mul_range(l.mul_rn, r, grid(l.lin_h[kGateN].output));
  const Range sn = add_range(l.sum[kGateN], grid(l.lin_i[kGateN].output), rn);
  const Range n = lut_range(l.act[kGateN], sn);
  const int32_t one = l.act[kGateZ].output.qmax();
  const Range un = mul_range(l.mul_un, {one - z.hi, one - z.lo}, n);
  const Range zh = mul_range(l.mul_zh, z, {-128, 127});  // the state, as int8
  const Range h = add_range(l.h_add, un, zh);
  // What is computed: from the new state back, each value that is not constant and is used.
  UnitWork w{0, 0, 0};
  const bool h_live = !h.constant();
  const bool un_live = h_live && !un.constant(), zh_live = h_live && !zh.constant();
  const bool z_live = (un_live || zh_live) && !z.constant();
  const bool n_live = un_live && !n.constant();
  const bool rn_live = n_live && !rn.constant();
  const bool r_live = rn_live && !r.constant();
  w.adds = h_live + z_live + n_live + r_live;  // h, sum.z, sum.n, sum.r
  w.muls = un_live + zh_live + rn_live;
  w.luts = z_live + n_live + r_live;
  w.exact_applies = w.short_applies = w.long_applies = 0;
  const auto apply = [&w](const quant::Multiplier& m, bool operand) {
    if (m.m0 == 0) return;  // the zero multiplier: folded to 0
    if (operand && m.m0 == (1 << 30) && m.shift >= -19 && m.shift <= 1) {
      ++w.exact_applies;
    } else {
      ++(m.shift < 0 ? w.short_applies : w.long_applies);
    }
  };
  const auto add = [&apply](const engine::QuantizedAdd& op) {
    apply(op.params.a, true);
    apply(op.params.b, true);
    apply(op.params.out, false);
  };
  if (h_live) add(l.h_add);
  if (z_live) add(l.sum[kGateZ]);
  if (n_live) add(l.sum[kGateN]);
  if (r_live) add(l.sum[kGateR]);
  if (un_live) apply(l.mul_un.multiplier, false);
  if (zh_live) apply(l.mul_zh.multiplier, false);
  if (rn_live) apply(l.mul_rn.multiplier, false);
  return w;
}

}  // namespace

ModelHints hints_of(const engine::IntegerModel& m) {
  ModelHints h;
  for (const engine::GruLayer& l : m.layers) {
    for (int g = 0; g < 3; ++g) {
      h.small_multipliers.push_back(fast_requantization(l.lin_i[g]));
      h.small_multipliers.push_back(fast_requantization(l.lin_h[g]));
    }
    h.layers.push_back(unit_work(l));
  }
  h.small_multipliers.push_back(fast_requantization(m.classifier));
  return h;
}

std::string to_string(const ModelHints& h) {
  std::string s = "small=";
  for (bool b : h.small_multipliers) s += b ? '1' : '0';
  s += ";units=";
  for (size_t k = 0; k < h.layers.size(); ++k) {
    const UnitWork& w = h.layers[k];
    s += (k ? "/" : "") + std::to_string(w.adds) + "." + std::to_string(w.muls) + "." +
         std::to_string(w.luts) + "." + std::to_string(w.exact_applies) + "." +
         std::to_string(w.short_applies) + "." + std::to_string(w.long_applies);
  }
  return s;
}

ModelHints parse_hints(const std::string& text) {
  const auto bad = [&text]() {
    return std::invalid_argument("model hints '" + text +
                                 "': not 'small=<0|1 per linear>;units=<adds.muls.luts.exact."
                                 "short.long>/...'");
  };
  const size_t semicolon = text.find(';');
  if (text.rfind("small=", 0) != 0 || semicolon == std::string::npos ||
      text.compare(semicolon + 1, 6, "units=") != 0) {
    throw bad();
  }
  ModelHints h;
  for (size_t i = 6; i < semicolon; ++i) {
    if (text[i] != '0' && text[i] != '1') throw bad();
    h.small_multipliers.push_back(text[i] == '1');
  }
  std::stringstream units(text.substr(semicolon + 7));
  for (std::string layer; std::getline(units, layer, '/');) {
    UnitWork w;
    char d[5] = {};
    std::stringstream s(layer);
    if (!(s >> w.adds >> d[0] >> w.muls >> d[1] >> w.luts >> d[2] >> w.exact_applies >> d[3] >>
          w.short_applies >> d[4] >> w.long_applies) ||
        std::string(d, 5) != "....." || w.adds < 0 || w.adds > 4 || w.muls < 0 || w.muls > 3 ||
        w.luts < 0 || w.luts > 3 || w.exact_applies < 0 || w.short_applies < 0 ||
        w.long_applies < 0 || w.exact_applies + w.short_applies + w.long_applies > 15) {
      throw bad();
    }
    h.layers.push_back(w);
  }
  if (h.small_multipliers.empty() || h.layers.empty()) throw bad();
  return h;
}

}  // namespace mpgru::device
