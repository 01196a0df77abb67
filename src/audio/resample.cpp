// libsamplerate's one-shot converter, with the output length fixed by the ratio.
#include "audio/resample.hpp"

#include <samplerate.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace mpgru::audio {
namespace {

int converter_type(ResampleQuality quality) {
  switch (quality) {
    case ResampleQuality::best:
      return SRC_SINC_BEST_QUALITY;
    case ResampleQuality::medium:
      return SRC_SINC_MEDIUM_QUALITY;
    case ResampleQuality::fastest:
      return SRC_SINC_FASTEST;
  }
  throw std::invalid_argument("resample: unknown quality");
}

}  // namespace

std::vector<float> resample(const std::vector<float>& samples, int from_rate, int to_rate,
                            ResampleQuality quality) {
  if (from_rate <= 0 || to_rate <= 0) {
    throw std::invalid_argument("resample: rates must be positive, got " +
                                std::to_string(from_rate) + " -> " + std::to_string(to_rate) +
                                " Hz");
  }
  const double ratio = static_cast<double>(to_rate) / from_rate;
  if (src_is_valid_ratio(ratio) == 0) {
    throw std::invalid_argument("resample: ratio " + std::to_string(from_rate) + " -> " +
                                std::to_string(to_rate) + " Hz is outside 1/256..256");
  }
  const auto length =
      static_cast<size_t>(std::llround(static_cast<double>(samples.size()) * ratio));
  if (samples.empty() || from_rate == to_rate) return samples;
  // Room for the converter's rounding; the result is cut (or zero-padded) to `length`.
  std::vector<float> out(length + 16, 0.0f);
  SRC_DATA data{};
  data.data_in = samples.data();
  data.input_frames = static_cast<long>(samples.size());
  data.data_out = out.data();
  data.output_frames = static_cast<long>(out.size());
  data.src_ratio = ratio;
  data.end_of_input = 1;
  const int error = src_simple(&data, converter_type(quality), 1);
  if (error != 0) {
    throw std::runtime_error(std::string("resample: libsamplerate failed: ") + src_strerror(error));
  }
  out.resize(length);  // zero-fills if the converter produced fewer frames than `length`
  return out;
}

}  // namespace mpgru::audio
