// espeak-ng through run_process: its version line, its voice list, its WAV output.
#include "data/espeak.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>

#include "audio/resample.hpp"
#include "data/subprocess.hpp"

namespace mpgru::data {

namespace fs = std::filesystem;

EspeakInfo probe_espeak(const std::string& espeak) {
  const std::vector<std::string> argv = {espeak, "--version"};
  const ProcessResult r = run_process(argv);
  if (!succeeded(r.status)) {
    throw std::runtime_error("'" + quote_command(argv) + "' failed: " + describe_status(r.status) +
                             ": " + first_line(r.err));
  }
  EspeakInfo info;
  const std::string line = first_line(r.out);
  const size_t data = line.find("Data at:");
  info.version = line.substr(0, data);
  while (!info.version.empty() && std::isspace(static_cast<unsigned char>(info.version.back()))) {
    info.version.pop_back();
  }
  if (data != std::string::npos) info.data_dir = line.substr(data + 8 + 1);
  return info;
}

void check_espeak_voices(const std::string& espeak, const EspeakInfo& info,
                         const std::vector<std::string>& dialects,
                         const std::vector<std::string>& variants) {
  const std::vector<std::string> argv = {espeak, "--voices"};
  const ProcessResult r = run_process(argv);
  if (!succeeded(r.status)) {
    throw std::runtime_error("'" + quote_command(argv) + "' failed: " + describe_status(r.status));
  }
  std::set<std::string> languages;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string priority, language;
    if (fields >> priority >> language) languages.insert(language);
  }
  for (const std::string& d : dialects) {
    if (languages.count(d) == 0) {
      throw std::runtime_error("espeak-ng has no language '" + d + "' (see espeak-ng --voices)");
    }
  }
  if (info.data_dir.empty()) return;
  for (const std::string& v : variants) {
    if (v != "default" && !fs::exists(info.data_dir / "voices" / "!v" / v)) {
      throw std::runtime_error("espeak-ng has no voice variant '" + v + "' (no " +
                               (info.data_dir / "voices" / "!v" / v).string() + ")");
    }
  }
}

std::string espeak_voice_name(const std::string& dialect, const std::string& variant) {
  return variant == "default" ? dialect : dialect + "+" + variant;
}

namespace {

uint32_t little_endian(const std::string& bytes, size_t at, int size) {
  uint32_t v = 0;
  for (int i = size - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<size_t>(i)]);
  }
  return v;
}

}  // namespace

audio::Clip parse_espeak_wav(const std::string& bytes) {
  if (bytes.size() < 12 || bytes.compare(0, 4, "RIFF") != 0 || bytes.compare(8, 4, "WAVE") != 0) {
    throw std::runtime_error("output is not a WAV file (" + std::to_string(bytes.size()) +
                             " bytes)");
  }
  audio::Clip clip;
  size_t at = 12;
  while (at + 8 <= bytes.size()) {
    const std::string id = bytes.substr(at, 4);
    const size_t size = little_endian(bytes, at + 4, 4);
    at += 8;
    if (id == "fmt ") {
      if (at + 16 > bytes.size()) break;
      const uint32_t format = little_endian(bytes, at, 2),
                     channels = little_endian(bytes, at + 2, 2),
                     bits = little_endian(bytes, at + 14, 2);
      if (format != 1 || channels != 1 || bits != 16) {
        throw std::runtime_error("WAV is not 16-bit PCM mono (format " + std::to_string(format) +
                                 ", " + std::to_string(channels) + " channels, " +
                                 std::to_string(bits) + " bits)");
      }
      clip.sample_rate = static_cast<int>(little_endian(bytes, at + 4, 4));
    } else if (id == "data") {
      if (clip.sample_rate <= 0) break;
      const size_t n = (std::min(size, bytes.size() - at)) / 2;
      clip.samples.resize(n);
      for (size_t i = 0; i < n; ++i) {
        const auto pcm = static_cast<int16_t>(little_endian(bytes, at + 2 * i, 2));
        clip.samples[i] = static_cast<float>(pcm) / 32768.0f;
      }
      return clip;
    }
    at += size + (size & 1);
  }
  throw std::runtime_error("WAV has no fmt and data chunks");
}

std::vector<float> trim_silence(const audio::Clip& clip) {
  float peak = 0;
  for (float v : clip.samples) peak = std::max(peak, std::fabs(v));
  if (peak < 1e-3f) return {};
  const float threshold = 0.02f * peak;
  size_t first = 0, last = clip.samples.size();
  while (std::fabs(clip.samples[first]) < threshold) ++first;
  while (std::fabs(clip.samples[last - 1]) < threshold) --last;
  const auto margin = static_cast<size_t>(clip.sample_rate / 100);
  first = first > margin ? first - margin : 0;
  last = std::min(clip.samples.size(), last + margin);
  return {clip.samples.begin() + static_cast<std::ptrdiff_t>(first),
          clip.samples.begin() + static_cast<std::ptrdiff_t>(last)};
}

std::vector<float> espeak_speak(const std::string& espeak, const std::string& text,
                                const std::string& voice, int speed, int pitch, int sample_rate,
                                const std::string& what) {
  const std::vector<std::string> argv = {
      espeak,     "-v", voice, "-s", std::to_string(speed), "-p", std::to_string(pitch),
      "--stdout", text};
  const auto fail = [&](const std::string& problem) {
    return std::runtime_error("espeak-ng failed on " + what + " '" + text + "', voice '" + voice +
                              "' (" + quote_command(argv) + "): " + problem);
  };
  const ProcessResult r = run_process(argv);
  if (!succeeded(r.status)) throw fail(describe_status(r.status) + ": " + first_line(r.err));
  std::vector<float> speech;
  try {
    const audio::Clip clip = parse_espeak_wav(r.out);
    speech = audio::resample(trim_silence(clip), clip.sample_rate, sample_rate);
  } catch (const std::exception& e) {
    throw fail(e.what());
  }
  if (speech.empty()) throw fail("no speech in the output");
  return speech;
}

}  // namespace mpgru::data
