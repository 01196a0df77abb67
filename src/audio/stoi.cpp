// STOI, step by step as Taal et al.'s reference code computes it (1-based MATLAB ranges turned
// into 0-based half-open ones).
#include "audio/stoi.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>

#include "audio/fftw_support.hpp"
#include "audio/resample.hpp"

namespace mpgru::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kRate = 10000;
constexpr int kFrame = 256;
constexpr int kHop = 128;
constexpr int kFft = 512;
constexpr int kBands = 15;
constexpr double kLowestCentre = 150.0;
constexpr int kSegment = 30;
constexpr double kDynamicRange = 40.0;
constexpr double kBeta = -15.0;

using Signal = std::vector<double>;
using Matrix = std::vector<std::vector<double>>;  // rows x columns

// MATLAB's hanning(N): symmetric, without the zero end points.
std::vector<double> hanning(int n) {
  std::vector<double> w(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    w[static_cast<size_t>(i)] = 0.5 * (1.0 - std::cos(2.0 * kPi * (i + 1) / (n + 1)));
  return w;
}

// Frame starts 0, K, 2K, ... while start + N < length (MATLAB 1:K:(length - N)).
std::vector<size_t> frame_starts(size_t length) {
  std::vector<size_t> out;
  for (size_t s = 0; s + kFrame < length; s += kHop) out.push_back(s);
  return out;
}

// Frames whose clean energy is within 40 dB of the loudest are kept, windowed and overlap-added
// back into shorter signals.
void remove_silent_frames(const Signal& x, const Signal& y, Signal& x_out, Signal& y_out) {
  const std::vector<double> w = hanning(kFrame);
  const std::vector<size_t> starts = frame_starts(x.size());
  std::vector<double> level(starts.size());
  for (size_t j = 0; j < starts.size(); ++j) {
    double energy = 0;
    for (int i = 0; i < kFrame; ++i) {
      const double v = x[starts[j] + static_cast<size_t>(i)] * w[static_cast<size_t>(i)];
      energy += v * v;
    }
    level[j] = 20.0 * std::log10(std::sqrt(energy) / std::sqrt(double{kFrame}) + 1e-300);
  }
  const double loudest = starts.empty() ? 0.0 : *std::max_element(level.begin(), level.end());
  x_out.assign(x.size(), 0.0);
  y_out.assign(y.size(), 0.0);
  size_t kept = 0, end = 0;
  for (size_t j = 0; j < starts.size(); ++j) {
    if (level[j] - loudest + kDynamicRange <= 0) continue;
    const size_t out_start = starts[kept++];
    for (int i = 0; i < kFrame; ++i) {
      const size_t in = starts[j] + static_cast<size_t>(i);
      const size_t at = out_start + static_cast<size_t>(i);
      x_out[at] += x[in] * w[static_cast<size_t>(i)];
      y_out[at] += y[in] * w[static_cast<size_t>(i)];
    }
    end = out_start + kFrame;
  }
  x_out.resize(end);
  y_out.resize(end);
}

// |FFT|^2 of each frame's first kFft / 2 + 1 bins (the 256 windowed samples zero-padded to
// 512): frames x bins.
Matrix power_spectrogram(const Signal& x) {
  const std::vector<double> w = hanning(kFrame);
  const int bins = kFft / 2 + 1;
  std::vector<float> in(kFft, 0.0f);
  std::vector<fftwf_complex> spectrum(static_cast<size_t>(bins));
  fftwf_plan plan = nullptr;
  {
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    plan = fftwf_plan_dft_r2c_1d(kFft, in.data(), spectrum.data(), FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  if (plan == nullptr) throw std::runtime_error("stoi: FFTW planning failed");
  Matrix out;
  for (size_t s : frame_starts(x.size())) {
    for (int i = 0; i < kFrame; ++i) {
      in[static_cast<size_t>(i)] =
          static_cast<float>(x[s + static_cast<size_t>(i)] * w[static_cast<size_t>(i)]);
    }
    fftwf_execute_dft_r2c(plan, in.data(), spectrum.data());
    std::vector<double> row(static_cast<size_t>(bins));
    for (int k = 0; k < bins; ++k) {
      const double re = spectrum[static_cast<size_t>(k)][0];
      const double im = spectrum[static_cast<size_t>(k)][1];
      row[static_cast<size_t>(k)] = re * re + im * im;
    }
    out.push_back(std::move(row));
  }
  const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
  fftwf_destroy_plan(plan);
  return out;
}

// One-third octave bands: [first bin, end bin) of each, edges at the bins nearest to the
// geometric means of neighbouring centre frequencies.
std::vector<std::pair<int, int>> third_octave_bands() {
  const int bins = kFft / 2 + 1;
  auto nearest = [&](double hz) {
    int best = 0;
    for (int k = 1; k < bins; ++k) {
      const double f = static_cast<double>(k) * kRate / kFft;
      const double fb = static_cast<double>(best) * kRate / kFft;
      if ((f - hz) * (f - hz) < (fb - hz) * (fb - hz)) best = k;
    }
    return best;
  };
  std::vector<std::pair<int, int>> out;
  for (int k = 0; k < kBands; ++k) {
    const double centre = std::pow(2.0, k / 3.0) * kLowestCentre;
    const double low = std::sqrt(centre * std::pow(2.0, (k - 1) / 3.0) * kLowestCentre);
    const double high = std::sqrt(centre * std::pow(2.0, (k + 1) / 3.0) * kLowestCentre);
    out.emplace_back(nearest(low), nearest(high));
  }
  return out;
}

// Band envelopes: bands x frames.
Matrix band_envelopes(const Matrix& power) {
  const auto bands = third_octave_bands();
  Matrix out(bands.size(), std::vector<double>(power.size()));
  for (size_t j = 0; j < bands.size(); ++j) {
    for (size_t m = 0; m < power.size(); ++m) {
      double sum = 0;
      for (int k = bands[j].first; k < bands[j].second; ++k)
        sum += power[m][static_cast<size_t>(k)];
      out[j][m] = std::sqrt(sum);
    }
  }
  return out;
}

double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(x.size());
  my /= static_cast<double>(y.size());
  double xy = 0, xx = 0, yy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    xy += (x[i] - mx) * (y[i] - my);
    xx += (x[i] - mx) * (x[i] - mx);
    yy += (y[i] - my) * (y[i] - my);
  }
  const double norm = std::sqrt(xx) * std::sqrt(yy);
  return norm > 0 ? xy / norm : 0.0;
}

// The intermediate intelligibility of band j over the segment ending before frame `end`.
double segment_score(const std::vector<double>& x_band, const std::vector<double>& y_band,
                     size_t end) {
  std::vector<double> x(x_band.begin() + static_cast<std::ptrdiff_t>(end - kSegment),
                        x_band.begin() + static_cast<std::ptrdiff_t>(end));
  std::vector<double> y(y_band.begin() + static_cast<std::ptrdiff_t>(end - kSegment),
                        y_band.begin() + static_cast<std::ptrdiff_t>(end));
  double ex = 0, ey = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    ex += x[i] * x[i];
    ey += y[i] * y[i];
  }
  const double alpha = ey > 0 ? std::sqrt(ex / ey) : 0.0;
  const double clip = 1.0 + std::pow(10.0, -kBeta / 20.0);
  for (size_t i = 0; i < y.size(); ++i) y[i] = std::min(alpha * y[i], clip * x[i]);
  return correlation(x, y);
}

Signal at_10k(const std::vector<float>& x, int sample_rate) {
  const std::vector<float> r = sample_rate == kRate ? x : resample(x, sample_rate, kRate);
  return Signal(r.begin(), r.end());
}

}  // namespace

double stoi(const std::vector<float>& clean, const std::vector<float>& processed, int sample_rate) {
  if (clean.size() != processed.size()) {
    throw std::invalid_argument("stoi: clean signal of " + std::to_string(clean.size()) +
                                " samples, processed of " + std::to_string(processed.size()) +
                                ": expected equal lengths");
  }
  Signal x, y;
  remove_silent_frames(at_10k(clean, sample_rate), at_10k(processed, sample_rate), x, y);
  const Matrix xb = band_envelopes(power_spectrogram(x));
  const Matrix yb = band_envelopes(power_spectrogram(y));
  const size_t frames = xb.front().size();
  if (frames < kSegment) {
    throw std::invalid_argument("stoi: " + std::to_string(frames) +
                                " frames of speech after silence removal, fewer than the " +
                                std::to_string(kSegment) + " of one segment");
  }
  double sum = 0;
  size_t count = 0;
  for (size_t end = kSegment; end <= frames; ++end) {
    for (size_t j = 0; j < xb.size(); ++j) {
      sum += segment_score(xb[j], yb[j], end);
      ++count;
    }
  }
  return sum / static_cast<double>(count);
}

}  // namespace mpgru::audio
