// The log-mel / MFCC front end: periodic-Hann frames, one FFTW single-precision real FFT plan,
// HTK triangular mel filters (peak 1, no area normalisation), natural log, optional DCT-II.
#include "audio/log_mel.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>

#include "audio/fftw_support.hpp"

namespace mpgru::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kLogFloor = 1e-6;  // log(energy + 1e-6): silence maps to log(1e-6) = -13.8155

double hz_to_mel(double hz) {
  return 2595.0 * std::log10(1.0 + hz / 700.0);
}
double mel_to_hz(double mel) {
  return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
}

// Shortest text that reads back as the same double ("20", "7600", "0.1"), so keys are stable.
std::string shortest(double v) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, result.ptr);
}

[[noreturn]] void reject(const std::string& field, const std::string& value,
                         const std::string& expected) {
  throw std::invalid_argument("LogMelConfig." + field + " = " + value + ": expected " + expected);
}

}  // namespace

std::string LogMelConfig::canonical() const {
  return "logmel;sr=" + std::to_string(sample_rate) + ";clip=" + std::to_string(clip_samples) +
         ";win=" + std::to_string(window) + ";hop=" + std::to_string(hop) +
         ";fft=" + std::to_string(fft_size) + ";bands=" + std::to_string(bands) +
         ";lo=" + shortest(low_hz) + ";hi=" + shortest(high_hz) + ";mfcc=" + std::to_string(mfcc);
}

void validate(const LogMelConfig& c) {
  const auto str = [](auto v) { return std::to_string(v); };
  if (c.sample_rate <= 0) reject("sample_rate", str(c.sample_rate), "> 0");
  if (c.clip_samples <= 0) reject("clip_samples", str(c.clip_samples), "> 0");
  if (c.window <= 0 || c.window > c.clip_samples) {
    reject("window", str(c.window), "in 1..clip_samples (" + str(c.clip_samples) + ")");
  }
  if (c.hop <= 0) reject("hop", str(c.hop), "> 0");
  if (c.fft_size < c.window || (c.fft_size & (c.fft_size - 1)) != 0) {
    reject("fft_size", str(c.fft_size), "a power of two >= window (" + str(c.window) + ")");
  }
  if (c.bands < 1) reject("bands", str(c.bands), ">= 1");
  // Negated comparisons so that NaN is rejected too; high_hz first so a NaN there is named.
  if (!(c.high_hz <= c.sample_rate / 2.0)) {
    reject("high_hz", shortest(c.high_hz),
           "<= sample_rate / 2 (" + shortest(c.sample_rate / 2.0) + ")");
  }
  if (!(c.low_hz >= 0.0 && c.low_hz < c.high_hz)) {
    reject("low_hz", shortest(c.low_hz), "in [0, high_hz (" + shortest(c.high_hz) + "))");
  }
  if (c.mfcc < 0 || c.mfcc > c.bands) {
    reject("mfcc", str(c.mfcc), "in 0..bands (" + str(c.bands) + ")");
  }
}

struct LogMel::Impl {
  // One triangular filter as its non-zero run of FFT bins.
  struct Filter {
    int first_bin = 0;
    std::vector<float> weights;
  };

  int bins = 0;               // fft_size / 2 + 1
  std::vector<float> window;  // periodic Hann
  std::vector<Filter> filters;
  std::vector<double> dct;  // mfcc x bands, row-major; empty for log-mel output
  fftwf_plan plan = nullptr;

  explicit Impl(const LogMelConfig& c);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
};

LogMel::Impl::Impl(const LogMelConfig& c) : bins(c.fft_size / 2 + 1) {
  // Periodic ("DFT-even") Hann, 0.5 - 0.5 cos(2 pi n / N), as librosa and torch.stft use for
  // spectral analysis; the symmetric form would divide by N - 1.
  window.resize(c.window);
  for (int n = 0; n < c.window; ++n) {
    window[n] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * kPi * n / c.window));
  }

  // bands + 2 edges equally spaced in HTK mel; filter m rises linearly (in Hz) from edge m to
  // edge m+1 and falls to edge m+2, evaluated at bin frequencies k * sample_rate / fft_size.
  // Peak weight 1, no area (Slaney) normalisation. A filter narrower than a bin may be empty
  // and then always outputs log(1e-6).
  const double mel_lo = hz_to_mel(c.low_hz), mel_hi = hz_to_mel(c.high_hz);
  std::vector<double> edge(c.bands + 2);
  for (int i = 0; i < c.bands + 2; ++i) {
    edge[i] = mel_to_hz(mel_lo + (mel_hi - mel_lo) * i / (c.bands + 1));
  }
  filters.resize(c.bands);
  for (int m = 0; m < c.bands; ++m) {
    const double lo = edge[m], centre = edge[m + 1], hi = edge[m + 2];
    Filter& filter = filters[m];
    for (int k = 0; k < bins; ++k) {
      const double f = static_cast<double>(k) * c.sample_rate / c.fft_size;
      const double w = std::min((f - lo) / (centre - lo), (hi - f) / (hi - centre));
      if (w <= 0.0) continue;
      if (filter.weights.empty()) filter.first_bin = k;
      // Bins inside (lo, hi) are contiguous, so the run has no holes.
      filter.weights.resize(k - filter.first_bin + 1, 0.0f);
      filter.weights.back() = static_cast<float>(w);
    }
  }

  // Orthonormal DCT-II: c_j = s_j sum_m x_m cos(pi j (2m + 1) / (2 B)), s_0 = sqrt(1/B),
  // s_j = sqrt(2/B) otherwise.
  dct.resize(static_cast<size_t>(c.mfcc) * c.bands);
  for (int j = 0; j < c.mfcc; ++j) {
    const double scale = std::sqrt((j == 0 ? 1.0 : 2.0) / c.bands);
    for (int m = 0; m < c.bands; ++m) {
      dct[static_cast<size_t>(j) * c.bands + m] =
          scale * std::cos(kPi * j * (2.0 * m + 1.0) / (2.0 * c.bands));
    }
  }

  // FFTW_ESTIMATE: the plan (hence every output bit) does not depend on timing measurements.
  // Planned on arrays with the same alignment as the ones compute() passes to the new-array
  // execute function.
  AlignedFloats in = aligned_floats(c.fft_size), out = aligned_floats(2 * bins);
  std::lock_guard<std::mutex> lock(fftw_planner_mutex());
  plan = fftwf_plan_dft_r2c_1d(c.fft_size, in.get(), as_complex(out.get()), FFTW_ESTIMATE);
  if (plan == nullptr) {
    throw std::runtime_error("LogMel: FFTW could not plan a real FFT of size " +
                             std::to_string(c.fft_size));
  }
}

LogMel::Impl::~Impl() {
  std::lock_guard<std::mutex> lock(fftw_planner_mutex());
  fftwf_destroy_plan(plan);
}

LogMel::LogMel(const LogMelConfig& config) : config_(config) {
  validate(config_);
  impl_ = std::make_unique<Impl>(config_);
}

LogMel::~LogMel() = default;

int LogMel::frames() const {
  return 1 + (config_.clip_samples - config_.window) / config_.hop;
}

int LogMel::features() const {
  return config_.mfcc > 0 ? config_.mfcc : config_.bands;
}

void LogMel::compute(const float* samples, size_t n, float* out) const {
  assert(samples != nullptr || n == 0);
  const Impl& impl = *impl_;
  const LogMelConfig& c = config_;
  // Samples past the clip are dropped; missing ones read as zero.
  const size_t used = std::min(n, static_cast<size_t>(c.clip_samples));
  AlignedFloats in = aligned_floats(c.fft_size), spectrum = aligned_floats(2 * impl.bins);
  std::vector<double> log_mel(c.bands);
  const int outputs = features();

  for (int t = 0; t < frames(); ++t) {
    const size_t start = static_cast<size_t>(t) * c.hop;
    for (int i = 0; i < c.window; ++i) {
      const size_t at = start + i;
      in[i] = at < used ? samples[at] * impl.window[i] : 0.0f;
    }
    std::fill(in.get() + c.window, in.get() + c.fft_size, 0.0f);
    fftwf_execute_dft_r2c(impl.plan, in.get(), as_complex(spectrum.get()));

    for (int m = 0; m < c.bands; ++m) {
      const auto& filter = impl.filters[m];
      double energy = 0.0;
      for (size_t i = 0; i < filter.weights.size(); ++i) {
        const float real = spectrum[2 * (filter.first_bin + i)];
        const float imag = spectrum[2 * (filter.first_bin + i) + 1];
        energy += static_cast<double>(filter.weights[i]) * (real * real + imag * imag);
      }
      log_mel[m] = std::log(energy + kLogFloor);
    }

    float* row = out + static_cast<size_t>(t) * outputs;
    if (c.mfcc == 0) {
      for (int m = 0; m < c.bands; ++m) row[m] = static_cast<float>(log_mel[m]);
      continue;
    }
    for (int j = 0; j < c.mfcc; ++j) {
      const double* basis = impl.dct.data() + static_cast<size_t>(j) * c.bands;
      double sum = 0.0;
      for (int m = 0; m < c.bands; ++m) sum += basis[m] * log_mel[m];
      row[j] = static_cast<float>(sum);
    }
  }
}

std::vector<float> LogMel::compute(const std::vector<float>& samples) const {
  std::vector<float> out(static_cast<size_t>(frames()) * features());
  compute(samples.data(), samples.size(), out.data());
  return out;
}

}  // namespace mpgru::audio
