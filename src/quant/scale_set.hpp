// Every scale a genome's integer model needs, independent of how it was found: PTQ derives it
// from calibration and MSE weight clipping, QAT from learned step sizes. Conversion to the
// integer model takes a ScaleSet, so both paths share one converter.
#pragma once

#include <map>
#include <vector>

#include "core/genome.hpp"
#include "quant/calibration.hpp"
#include "quant/float_gru.hpp"

namespace mpgru::quant {

struct ScaleSet {
  // Step sizes of the calibrated points (x, lin_i.*, lin_h.*, sum.*, mul.*, out), keyed by
  // (op, layer); out has layer -1. Fixed-scale points (act.*, h) are not stored.
  std::map<PointKey, double> activation;
  // Per-output-channel weight scales of w_i.*, w_h.* (per layer) and w_o (layer -1); emb (layer
  // -1) has one scale for the whole table.
  std::map<PointKey, std::vector<double>> weight;
  bool x_unsigned = false;

  // Throws std::out_of_range naming the point if absent.
  double at(core::Op op, int layer) const;
  const std::vector<double>& weights_at(core::Op op, int layer) const;
};

// The clip range of a sigma / tanh input beyond which the b-bit output no longer changes by
// more than half a step: ln(2 (2^b - 1)) for sigma, ln(4 (2^(b-1) - 1)) / 2 for tanh.
double sigmoid_input_cap(int output_bits);
double tanh_input_cap(int output_bits);

// PTQ scales: weights by MSE-optimal per-channel clipping at the genome's bits, activations
// from the calibration ranges at the genome's bits, sigma/tanh inputs capped (docs §5).
ScaleSet ptq_scales(const FloatGruModel& model, const Calibration& calibration,
                    const core::Genome& genome);

}  // namespace mpgru::quant
