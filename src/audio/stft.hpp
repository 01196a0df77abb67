// Short-time Fourier analysis and overlap-add synthesis with perfect reconstruction, and the
// band layout a speech enhancer works in (RNNoise's approach): band energies of a frame's
// spectrum as features, per-band gains interpolated back onto the FFT bins.
//
// Framing: the signal is padded with `hop` zeros in front and zeros behind; frame t covers padded
// samples [t * hop, t * hop + window) under a square-root periodic Hann window, and so does
// synthesis. At hop = window / 2 the squared windows sum to exactly 1, so synthesize(analyze(x))
// returns x (to float rounding) over its whole length.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <vector>

namespace mpgru::audio {

struct StftConfig {
  int sample_rate = 16000;
  int window = 320;  // 20 ms; also the FFT size (bins = window / 2 + 1)
  int hop = 160;     // 10 ms; must be window / 2
};

// Throws std::invalid_argument naming the bad field.
void validate(const StftConfig& config);

using Spectrum = std::vector<std::complex<float>>;  // frames x bins, row-major by frame

class Stft {
 public:
  explicit Stft(const StftConfig& config);  // validates; plans the FFTs once
  ~Stft();
  Stft(const Stft&) = delete;
  Stft& operator=(const Stft&) = delete;

  const StftConfig& config() const { return config_; }
  int bins() const { return config_.window / 2 + 1; }
  // Frames of an n-sample signal: ceil(n / hop) + 1.
  int frames(size_t samples) const;
  // The spectra of every frame (unnormalised FFT). Thread-safe.
  Spectrum analyze(const std::vector<float>& samples) const;
  // Overlap-add of the inverse FFTs (scaled by 1 / window), `samples` long. Thread-safe.
  std::vector<float> synthesize(const Spectrum& spectrum, size_t samples) const;

 private:
  struct Impl;
  StftConfig config_;
  std::unique_ptr<Impl> impl_;
};

// Triangular bands over the FFT bins, centres equally spaced on the mel scale from 0 Hz to the
// Nyquist frequency: every bin's weights over the bands sum to 1, so gains of 1 in every band
// are a gain of 1 in every bin.
class BandLayout {
 public:
  // Throws std::invalid_argument if bands < 2 or the bins cannot separate them.
  BandLayout(int bins, int sample_rate, int bands);

  int bands() const { return static_cast<int>(centre_bins_.size()); }
  int bins() const { return bins_; }
  // Weight of band b at bin k.
  float weight(int band, int bin) const;
  // Band energies sum_k weight(b, k) |X_k|^2 of each frame: frames x bands.
  std::vector<float> energies(const Spectrum& spectrum) const;
  // Multiplies each bin of each frame by sum_b weight(b, k) gains[frame][b] (frames x bands).
  void apply_gains(const std::vector<float>& gains, Spectrum& spectrum) const;

 private:
  struct Tap {
    int band;
    float weight;  // weight(band, bin) > 0
  };
  int bins_ = 0;
  std::vector<double> centre_bins_;  // fractional bin of each band's centre
  // The non-zero weights of every bin, bands in increasing order: taps_[tap_begin_[k] ..
  // tap_begin_[k + 1]) are bin k's (at most two: the filters are triangles).
  std::vector<Tap> taps_;
  std::vector<size_t> tap_begin_;
};

}  // namespace mpgru::audio
