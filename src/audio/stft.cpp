// STFT and overlap-add with FFTW (r2c and c2r plans made once, executed on the caller's buffers).
#include "audio/stft.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include "audio/fftw_support.hpp"

namespace mpgru::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

double hz_to_mel(double hz) {
  return 2595.0 * std::log10(1.0 + hz / 700.0);
}
double mel_to_hz(double mel) {
  return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
}

}  // namespace

void validate(const StftConfig& c) {
  if (c.sample_rate <= 0) {
    throw std::invalid_argument("StftConfig.sample_rate = " + std::to_string(c.sample_rate) +
                                ": expected > 0");
  }
  if (c.window < 4 || c.window % 2 != 0) {
    throw std::invalid_argument("StftConfig.window = " + std::to_string(c.window) +
                                ": expected an even number >= 4");
  }
  if (c.hop * 2 != c.window) {
    throw std::invalid_argument("StftConfig.hop = " + std::to_string(c.hop) +
                                ": expected window / 2 (" + std::to_string(c.window / 2) + ")");
  }
}

struct Stft::Impl {
  std::vector<float> window;  // sqrt of the periodic Hann window
  fftwf_plan forward = nullptr;
  fftwf_plan inverse = nullptr;

  explicit Impl(const StftConfig& c) {
    const int n = c.window;
    window.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      window[static_cast<size_t>(i)] =
          static_cast<float>(std::sqrt(0.5 - 0.5 * std::cos(2.0 * kPi * i / n)));
    }
    AlignedFloats real = aligned_floats(static_cast<size_t>(n));
    AlignedFloats spectrum = aligned_floats(static_cast<size_t>(n + 2));
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    forward = fftwf_plan_dft_r2c_1d(n, real.get(), as_complex(spectrum.get()), FFTW_ESTIMATE);
    inverse = fftwf_plan_dft_c2r_1d(n, as_complex(spectrum.get()), real.get(), FFTW_ESTIMATE);
    if (forward == nullptr || inverse == nullptr) throw std::runtime_error("FFTW planning failed");
  }
  ~Impl() {
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    if (forward != nullptr) fftwf_destroy_plan(forward);
    if (inverse != nullptr) fftwf_destroy_plan(inverse);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
};

Stft::Stft(const StftConfig& config) : config_(config) {
  validate(config_);
  impl_ = std::make_unique<Impl>(config_);
}

Stft::~Stft() = default;

int Stft::frames(size_t samples) const {
  const size_t hop = static_cast<size_t>(config_.hop);
  return static_cast<int>((samples + hop - 1) / hop + 1);
}

Spectrum Stft::analyze(const std::vector<float>& samples) const {
  const int n = config_.window;
  const int hop = config_.hop;
  const int t_count = frames(samples.size());
  const int b = bins();
  Spectrum out(static_cast<size_t>(t_count) * static_cast<size_t>(b));
  AlignedFloats frame = aligned_floats(static_cast<size_t>(n));
  AlignedFloats spectrum = aligned_floats(static_cast<size_t>(n + 2));
  for (int t = 0; t < t_count; ++t) {
    for (int i = 0; i < n; ++i) {
      const int64_t at = int64_t{t} * hop + i - hop;  // the signal starts after `hop` zeros
      const bool inside = at >= 0 && at < static_cast<int64_t>(samples.size());
      frame[static_cast<size_t>(i)] =
          inside ? samples[static_cast<size_t>(at)] * impl_->window[static_cast<size_t>(i)] : 0.0f;
    }
    fftwf_execute_dft_r2c(impl_->forward, frame.get(), as_complex(spectrum.get()));
    for (int k = 0; k < b; ++k) {
      out[static_cast<size_t>(t) * static_cast<size_t>(b) + static_cast<size_t>(k)] = {
          spectrum[static_cast<size_t>(2 * k)], spectrum[static_cast<size_t>(2 * k + 1)]};
    }
  }
  return out;
}

std::vector<float> Stft::synthesize(const Spectrum& spectrum, size_t samples) const {
  const int n = config_.window;
  const int hop = config_.hop;
  const int b = bins();
  const int t_count = static_cast<int>(spectrum.size() / static_cast<size_t>(b));
  if (spectrum.size() % static_cast<size_t>(b) != 0 || t_count < frames(samples)) {
    throw std::invalid_argument("Stft::synthesize: " + std::to_string(spectrum.size()) +
                                " bins do not hold the " + std::to_string(frames(samples)) +
                                " frames of " + std::to_string(samples) + " samples");
  }
  std::vector<float> out(samples, 0.0f);
  AlignedFloats frame = aligned_floats(static_cast<size_t>(n));
  AlignedFloats buffer = aligned_floats(static_cast<size_t>(n + 2));
  const float scale = 1.0f / static_cast<float>(n);
  for (int t = 0; t < t_count; ++t) {
    for (int k = 0; k < b; ++k) {
      const std::complex<float> v =
          spectrum[static_cast<size_t>(t) * static_cast<size_t>(b) + static_cast<size_t>(k)];
      buffer[static_cast<size_t>(2 * k)] = v.real();
      buffer[static_cast<size_t>(2 * k + 1)] = v.imag();
    }
    fftwf_execute_dft_c2r(impl_->inverse, as_complex(buffer.get()), frame.get());
    for (int i = 0; i < n; ++i) {
      const int64_t at = int64_t{t} * hop + i - hop;
      if (at < 0 || at >= static_cast<int64_t>(samples)) continue;
      out[static_cast<size_t>(at)] +=
          frame[static_cast<size_t>(i)] * impl_->window[static_cast<size_t>(i)] * scale;
    }
  }
  return out;
}

BandLayout::BandLayout(int bins, int sample_rate, int bands) : bins_(bins) {
  if (bands < 2 || bins < bands) {
    throw std::invalid_argument("BandLayout: " + std::to_string(bands) + " bands over " +
                                std::to_string(bins) + " bins: expected 2 <= bands <= bins");
  }
  const double nyquist = sample_rate / 2.0;
  const double top = hz_to_mel(nyquist);
  for (int b = 0; b < bands; ++b) {
    const double hz = mel_to_hz(top * b / (bands - 1));
    centre_bins_.push_back(hz / nyquist * (bins - 1));
  }
  for (int b = 1; b < bands; ++b) {
    if (centre_bins_[static_cast<size_t>(b)] - centre_bins_[static_cast<size_t>(b - 1)] < 1.0) {
      throw std::invalid_argument("BandLayout: " + std::to_string(bands) + " bands over " +
                                  std::to_string(bins) +
                                  " bins: the lowest bands are less than a bin apart");
    }
  }
  tap_begin_.reserve(static_cast<size_t>(bins) + 1);
  for (int k = 0; k < bins; ++k) {
    tap_begin_.push_back(taps_.size());
    for (int b = 0; b < bands; ++b) {
      const float w = weight(b, k);
      if (w > 0.0f) taps_.push_back({b, w});
    }
  }
  tap_begin_.push_back(taps_.size());
}

float BandLayout::weight(int band, int bin) const {
  const double k = bin;
  const double c = centre_bins_[static_cast<size_t>(band)];
  if (k < c) {
    if (band == 0) return 1.0f;
    const double lo = centre_bins_[static_cast<size_t>(band - 1)];
    return k <= lo ? 0.0f : static_cast<float>((k - lo) / (c - lo));
  }
  if (band == bands() - 1) return 1.0f;
  const double hi = centre_bins_[static_cast<size_t>(band + 1)];
  return k >= hi ? 0.0f : static_cast<float>((hi - k) / (hi - c));
}

std::vector<float> BandLayout::energies(const Spectrum& spectrum) const {
  const size_t frames = spectrum.size() / static_cast<size_t>(bins_);
  const auto nb = static_cast<size_t>(bands());
  std::vector<float> out(frames * nb, 0.0f);
  for (size_t t = 0; t < frames; ++t) {
    float* row = &out[t * nb];
    for (int k = 0; k < bins_; ++k) {
      const float power =
          std::norm(spectrum[t * static_cast<size_t>(bins_) + static_cast<size_t>(k)]);
      for (size_t i = tap_begin_[static_cast<size_t>(k)];
           i < tap_begin_[static_cast<size_t>(k) + 1]; ++i)
        row[taps_[i].band] += taps_[i].weight * power;
    }
  }
  return out;
}

void BandLayout::apply_gains(const std::vector<float>& gains, Spectrum& spectrum) const {
  const size_t frames = spectrum.size() / static_cast<size_t>(bins_);
  const int nb = bands();
  if (gains.size() != frames * static_cast<size_t>(nb)) {
    throw std::invalid_argument("BandLayout::apply_gains: " + std::to_string(gains.size()) +
                                " gains for " + std::to_string(frames) + " frames of " +
                                std::to_string(nb) + " bands");
  }
  for (size_t t = 0; t < frames; ++t) {
    const float* row = &gains[t * static_cast<size_t>(nb)];
    for (int k = 0; k < bins_; ++k) {
      float g = 0.0f;
      for (size_t i = tap_begin_[static_cast<size_t>(k)];
           i < tap_begin_[static_cast<size_t>(k) + 1]; ++i)
        g += taps_[i].weight * row[taps_[i].band];
      spectrum[t * static_cast<size_t>(bins_) + static_cast<size_t>(k)] *= g;
    }
  }
}

}  // namespace mpgru::audio
