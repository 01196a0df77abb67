// The least-squares fit of the device costs.
#include "device/cost_fit.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mpgru::device {
namespace {

constexpr double kRidge = 1e-6;

// Solves the symmetric positive definite system m x = v (Gaussian elimination, partial pivots).
std::vector<double> solve(std::vector<std::vector<double>> m, std::vector<double> v) {
  const size_t n = v.size();
  for (size_t k = 0; k < n; ++k) {
    size_t pivot = k;
    for (size_t i = k + 1; i < n; ++i) {
      if (std::fabs(m[i][k]) > std::fabs(m[pivot][k])) pivot = i;
    }
    std::swap(m[k], m[pivot]);
    std::swap(v[k], v[pivot]);
    if (m[k][k] == 0) throw std::logic_error("nonnegative_least_squares: singular system");
    for (size_t i = k + 1; i < n; ++i) {
      const double f = m[i][k] / m[k][k];
      for (size_t j = k; j < n; ++j) m[i][j] -= f * m[k][j];
      v[i] -= f * v[k];
    }
  }
  std::vector<double> x(n);
  for (size_t k = n; k-- > 0;) {
    double s = v[k];
    for (size_t j = k + 1; j < n; ++j) s -= m[k][j] * x[j];
    x[k] = s / m[k][k];
  }
  return x;
}

// Fits `coefficients` (the names of `features(sample)` not exact) so that
// sum c_f x_f ~ target(sample), relative to measured(sample); returns the max relative error.
template <typename Featurize, typename Target, typename Measured>
double fit(const std::vector<CostSample>& samples, Featurize features, Target target,
           Measured measured, Features& coefficients) {
  std::vector<std::string> names;
  for (const auto& [name, value] : features(samples.front())) {
    if (!exact_feature(name)) names.push_back(name);
  }
  std::vector<std::vector<double>> a;
  std::vector<double> b;
  for (const CostSample& s : samples) {
    const Features f = features(s);
    std::vector<double> row;
    for (const std::string& name : names) row.push_back(f.at(name) / measured(s));
    a.push_back(row);
    b.push_back(target(s) / measured(s));
  }
  const std::vector<double> c = nonnegative_least_squares(a, b, kRidge);
  coefficients.clear();
  for (size_t j = 0; j < names.size(); ++j) coefficients[names[j]] = c[j];
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double predicted = 0;
    for (size_t j = 0; j < names.size(); ++j) predicted += a[i][j] * c[j];
    worst = std::max(worst, std::fabs(predicted - b[i]));
  }
  return worst;
}

}  // namespace

std::vector<double> nonnegative_least_squares(const std::vector<std::vector<double>>& a,
                                              const std::vector<double>& b, double ridge) {
  const size_t cols = a.empty() ? 0 : a.front().size();
  std::vector<double> norm(cols, 0);
  for (const auto& row : a) {
    if (row.size() != cols) throw std::invalid_argument("nonnegative_least_squares: ragged matrix");
    for (size_t j = 0; j < cols; ++j) norm[j] += row[j] * row[j];
  }
  std::vector<size_t> used;
  for (size_t j = 0; j < cols; ++j) {
    norm[j] = std::sqrt(norm[j]);
    if (norm[j] > 0) used.push_back(j);
  }
  // The normal equations of the unit-norm columns: g = A'A + ridge I, h = A'b.
  const size_t n = used.size();
  std::vector<std::vector<double>> g(n, std::vector<double>(n, 0));
  std::vector<double> h(n, 0);
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t p = 0; p < n; ++p) {
      const double x = a[i][used[p]] / norm[used[p]];
      h[p] += x * b[i];
      for (size_t q = 0; q < n; ++q) g[p][q] += x * a[i][used[q]] / norm[used[q]];
    }
  }
  for (size_t p = 0; p < n; ++p) g[p][p] += ridge;
  // Lawson and Hanson's active set: free the variable whose gradient most wants to grow, solve
  // on the free set, step back to the boundary while a free variable would turn negative.
  constexpr double kTolerance = 1e-12;
  std::vector<double> x(n, 0);
  std::vector<bool> free(n, false);
  const auto gradient = [&](size_t p) {
    double w = h[p];
    for (size_t q = 0; q < n; ++q) w -= g[p][q] * x[q];
    return w;
  };
  const auto solve_free = [&] {
    std::vector<size_t> f;
    for (size_t p = 0; p < n; ++p) {
      if (free[p]) f.push_back(p);
    }
    std::vector<std::vector<double>> m(f.size(), std::vector<double>(f.size()));
    std::vector<double> v(f.size());
    for (size_t i = 0; i < f.size(); ++i) {
      v[i] = h[f[i]];
      for (size_t j = 0; j < f.size(); ++j) m[i][j] = g[f[i]][f[j]];
    }
    const std::vector<double> y = solve(m, v);
    std::vector<double> z(n, 0);
    for (size_t i = 0; i < f.size(); ++i) z[f[i]] = y[i];
    return z;
  };
  for (size_t iteration = 0; iteration < 3 * n + 10; ++iteration) {
    size_t best = n;
    double most = kTolerance;
    for (size_t p = 0; p < n; ++p) {
      const double w = gradient(p);
      if (!free[p] && w > most) {
        most = w;
        best = p;
      }
    }
    if (best == n) break;
    free[best] = true;
    for (size_t inner = 0; inner < n + 1; ++inner) {
      const std::vector<double> z = solve_free();
      double alpha = 1;
      bool feasible = true;
      for (size_t p = 0; p < n; ++p) {
        if (free[p] && z[p] <= 0) {
          feasible = false;
          alpha = std::min(alpha, x[p] / (x[p] - z[p]));
        }
      }
      if (feasible) {
        x = z;
        break;
      }
      for (size_t p = 0; p < n; ++p) {
        x[p] += alpha * (z[p] - x[p]);
        if (free[p] && x[p] <= kTolerance) {
          free[p] = false;
          x[p] = 0;
        }
      }
    }
  }
  std::vector<double> c(cols, 0);
  for (size_t p = 0; p < n; ++p) c[used[p]] = x[p] / norm[used[p]];
  return c;
}

TargetCosts fit_costs(const std::vector<CostSample>& samples, Target target) {
  if (samples.size() < 2) {
    throw std::invalid_argument("cost fit: " + std::to_string(samples.size()) +
                                " sample(s); needs at least 2");
  }
  for (const CostSample& s : samples) {
    if (!(s.instructions > 0) || !(s.flash_bytes > 0)) {
      throw std::invalid_argument("cost fit: sample " + s.genome.to_compact() +
                                  " has no positive instructions and flash");
    }
  }
  TargetCosts c;
  const double instructions_error = fit(
      samples,
      [target](const CostSample& s) {
        return instruction_features(s.shape, s.genome, target, s.hints ? &*s.hints : nullptr);
      },
      [](const CostSample& s) { return s.instructions; },
      [](const CostSample& s) { return s.instructions; }, c.instructions);
  const double flash_error = fit(
      samples, [target](const CostSample& s) { return flash_features(s.shape, s.genome, target); },
      [target](const CostSample& s) {
        return s.flash_bytes - static_cast<double>(data_bytes(s.shape, s.genome, target));
      },
      [](const CostSample& s) { return s.flash_bytes; }, c.flash);
  c.fit = {{"samples", samples.size()},
           {"max_relative_error_instructions", instructions_error},
           {"max_relative_error_flash", flash_error}};
  return c;
}

}  // namespace mpgru::device
