// Fake quantizers with straight-through and LSQ gradients.
#include "train/fake_quant.hpp"

#include <cmath>

namespace mpgru::train {

torch::Tensor round_half_away(const torch::Tensor& v) {
  return torch::sign(v) * torch::floor(torch::abs(v) + 0.5);
}

torch::Tensor fake_quant(const torch::Tensor& v, const torch::Tensor& s, double qmin, double qmax,
                         double grad_scale) {
  const torch::Tensor scaled_s = s * grad_scale + (s - s * grad_scale).detach();
  const torch::Tensor u = torch::clamp(v / scaled_s, qmin, qmax);
  const torch::Tensor q = u + (round_half_away(u) - u).detach();
  return q * scaled_s;
}

torch::Tensor fake_quant_unit(const torch::Tensor& v, double qmin, double qmax) {
  const torch::Tensor u = torch::clamp(v * qmax, qmin, qmax);
  return (u + (round_half_away(u) - u).detach()) / qmax;
}

double lsq_grad_scale(int64_t elements, double qmax) {
  return 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(elements, 1)) * qmax);
}

}  // namespace mpgru::train
