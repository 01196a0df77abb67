#include "audio/wav_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "fixtures/temp_dir.hpp"

namespace mpgru::audio {
namespace {

std::string error_of(const std::filesystem::path& path, int rate = 16000) {
  try {
    read_wav(path, rate);
  } catch (const WavError& e) {
    return e.what();
  }
  return "";
}

void put(std::vector<uint8_t>& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A canonical 44-byte-header PCM16 WAV of `frames` silent frames.
std::vector<uint8_t> pcm16_wav(uint32_t channels, uint32_t rate, uint32_t frames) {
  const uint32_t data = frames * channels * 2;
  std::vector<uint8_t> out = {'R', 'I', 'F', 'F'};
  put(out, 36 + data, 4);
  for (char c : std::string("WAVEfmt ")) out.push_back(static_cast<uint8_t>(c));
  put(out, 16, 4);
  put(out, 1, 2);
  put(out, channels, 2);
  put(out, rate, 4);
  put(out, rate * channels * 2, 4);
  put(out, channels * 2, 2);
  put(out, 16, 2);
  for (char c : std::string("data")) out.push_back(static_cast<uint8_t>(c));
  put(out, data, 4);
  out.resize(out.size() + data, 0);
  return out;
}

TEST(WavFile, RoundTripsPcm16) {
  testing::TempDir dir;
  std::vector<float> samples(1000);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i] = static_cast<float>(0.8 * std::sin(0.05 * static_cast<double>(i)));
  }
  write_wav_pcm16(dir / "a.wav", samples, 16000);
  const Clip clip = read_wav(dir / "a.wav", 16000);
  EXPECT_EQ(clip.sample_rate, 16000);
  ASSERT_EQ(clip.samples.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_NEAR(clip.samples[i], samples[i], 0.5 / 32768) << i;
  }
}

TEST(WavFile, SameSamplesSameBytes) {
  testing::TempDir dir;
  const std::vector<float> samples = {0.1f, -0.2f, 0.3f, 1.5f, -1.5f};
  write_wav_pcm16(dir / "a.wav", samples, 16000);
  write_wav_pcm16(dir / "b.wav", samples, 16000);
  std::ifstream a(dir / "a.wav", std::ios::binary), b(dir / "b.wav", std::ios::binary);
  const std::string sa((std::istreambuf_iterator<char>(a)), {});
  const std::string sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(sa, sb);
  EXPECT_EQ(sa.size(), 44u + 2 * samples.size());  // plain RIFF header, no extra chunks
}

TEST(WavFile, Pcm16RoundsHalfAwayAndClamps) {
  EXPECT_EQ(to_pcm16({1.0f, -1.0f, 2.0f, -2.0f, 0.0f}),
            (std::vector<int16_t>{32767, -32768, 32767, -32768, 0}));
  EXPECT_EQ(to_pcm16({static_cast<float>(0.5 / 32768), static_cast<float>(-0.5 / 32768),
                      static_cast<float>(0.49 / 32768)}),
            (std::vector<int16_t>{1, -1, 0}));
}

TEST(WavFile, BadFilesAreNamed) {
  testing::TempDir dir;
  write_wav_pcm16(dir / "rate.wav", std::vector<float>(100, 0.1f), 8000);
  EXPECT_NE(error_of(dir / "rate.wav").find("rate.wav: sample rate 8000 Hz, expected 16000"),
            std::string::npos);
  write_wav_pcm16(dir / "empty.wav", {}, 16000);
  EXPECT_NE(error_of(dir / "empty.wav").find("empty.wav: no audio frames"), std::string::npos);
  EXPECT_NE(error_of(dir / "missing.wav").find("missing.wav: cannot read audio"),
            std::string::npos);
  testing::write_bytes(dir / "junk.wav", {'R', 'I', 'F', 'F', 1, 2, 3});
  EXPECT_NE(error_of(dir / "junk.wav").find("junk.wav: cannot read audio"), std::string::npos);
  testing::write_bytes(dir / "stereo.wav", pcm16_wav(2, 16000, 200));
  EXPECT_NE(error_of(dir / "stereo.wav").find("stereo.wav: 2 channels, expected mono"),
            std::string::npos);
  std::vector<uint8_t> truncated = pcm16_wav(1, 16000, 200);
  truncated.resize(30);
  testing::write_bytes(dir / "truncated.wav", truncated);
  EXPECT_NE(error_of(dir / "truncated.wav").find("truncated.wav: "), std::string::npos);
  EXPECT_THROW(read_wav(dir / "stereo.wav", 0), WavError);
}

// A 32-bit float WAV (format 3) of the given samples.
std::vector<uint8_t> float_wav(const std::vector<float>& samples) {
  const auto data = static_cast<uint32_t>(samples.size() * 4);
  std::vector<uint8_t> out = {'R', 'I', 'F', 'F'};
  put(out, 36 + data, 4);
  for (char c : std::string("WAVEfmt ")) out.push_back(static_cast<uint8_t>(c));
  put(out, 16, 4);
  put(out, 3, 2);  // IEEE float
  put(out, 1, 2);
  put(out, 16000, 4);
  put(out, 16000 * 4, 4);
  put(out, 4, 2);
  put(out, 32, 2);
  for (char c : std::string("data")) out.push_back(static_cast<uint8_t>(c));
  put(out, data, 4);
  for (float f : samples) {
    uint32_t bits = 0;
    std::memcpy(&bits, &f, 4);
    put(out, bits, 4);
  }
  return out;
}

TEST(WavFile, NonFiniteSamplesAreRefusedNamingTheSample) {
  testing::TempDir dir;
  testing::write_bytes(dir / "nan.wav", float_wav({0.1f, 0.2f, std::nanf(""), 0.3f}));
  EXPECT_NE(error_of(dir / "nan.wav").find("nan.wav: sample 2 is not a finite number"),
            std::string::npos)
      << error_of(dir / "nan.wav");
  testing::write_bytes(dir / "inf.wav", float_wav({INFINITY}));
  EXPECT_NE(error_of(dir / "inf.wav").find("sample 0 is not a finite number"), std::string::npos);
  testing::write_bytes(dir / "fine.wav", float_wav({0.1f, -0.5f}));
  EXPECT_EQ(read_wav(dir / "fine.wav", 16000).samples.size(), 2u);
}

// More frames than any clip is refused before the samples are allocated (a sparse file).
TEST(WavFile, TooManyFramesAreRefusedBeforeReading) {
  testing::TempDir dir;
  const uint32_t frames = static_cast<uint32_t>(kMaxWavFrames) + 1;
  std::vector<uint8_t> header = pcm16_wav(1, 16000, 0);
  header[40] = static_cast<uint8_t>(frames * 2);
  header[41] = static_cast<uint8_t>((frames * 2) >> 8);
  header[42] = static_cast<uint8_t>((frames * 2) >> 16);
  header[43] = static_cast<uint8_t>((frames * 2) >> 24);
  testing::write_bytes(dir / "long.wav", header);
  std::filesystem::resize_file(dir / "long.wav", 44 + uint64_t{frames} * 2);
  EXPECT_NE(error_of(dir / "long.wav").find("long.wav: " + std::to_string(frames) + " frames"),
            std::string::npos)
      << error_of(dir / "long.wav");
}

}  // namespace
}  // namespace mpgru::audio
