// The audio front end: log-mel energies or MFCCs of a fixed-length clip, frame by frame, with
// FFTW. The features of one clip are a sequence the GRU reads one frame per step.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace mpgru::audio {

struct LogMelConfig {
  int sample_rate = 16000;
  int clip_samples = 16000;  // clips are zero-padded or trimmed to this length (1 s)
  int window = 480;          // samples per frame (30 ms), Hann window
  int hop = 320;             // samples between frames (20 ms)
  int fft_size = 512;        // >= window, a power of two
  int bands = 40;            // triangular mel filters (HTK mel scale)
  double low_hz = 20.0, high_hz = 7600.0;
  int mfcc = 0;  // 0: log-mel energies (bands features); > 0: that many DCT-II coefficients
  // Text for store keys and model files, e.g. "logmel;sr=16000;clip=16000;win=480;...".
  std::string canonical() const;
};

// Throws std::invalid_argument naming the bad field.
void validate(const LogMelConfig& config);

class LogMel {
 public:
  explicit LogMel(const LogMelConfig& config);  // validates; plans the FFT once
  ~LogMel();
  LogMel(const LogMel&) = delete;
  LogMel& operator=(const LogMel&) = delete;

  const LogMelConfig& config() const { return config_; }
  int frames() const;    // 1 + (clip_samples - window) / hop
  int features() const;  // bands, or mfcc
  // Features of `n` samples (padded/trimmed to clip_samples) into out[frames() * features()],
  // row-major by frame. log(energy + 1e-6) of each mel band of the power spectrum.
  // Frame t covers samples [t * hop, t * hop + window) under a periodic Hann window; the power
  // is |X_k|^2 of the unnormalised FFT; filters peak at 1 (no area normalisation).
  // Thread-safe: concurrent calls on one LogMel are allowed.
  void compute(const float* samples, size_t n, float* out) const;
  std::vector<float> compute(const std::vector<float>& samples) const;

 private:
  struct Impl;
  LogMelConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mpgru::audio
