// Listening examples on a tiny hand-made enhancement set (WAV pairs loaded by data::load_se): the
// first clips of the split as clean, noisy and each enhancer's WAV and spectrogram, examples.json
// listing them with SI-SDR and STOI (unit gains score as the noisy clip), clip counts out of range
// refused, and nothing left in the staging folder.
#include "search/enhancement_examples.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/si_sdr.hpp"
#include "audio/wav_file.hpp"
#include "core/json_file.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::search {
namespace {

namespace fs = std::filesystem;
using mpgru::testing::TempDir;
using nlohmann::json;

constexpr int kRate = 16000;
constexpr double kPi = 3.14159265358979323846;
// STOI needs one 30-frame (384 ms) segment of speech: shorter clips cannot be scored.
constexpr double kClipSeconds = 0.6;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A voiced-like clean clip (harmonics of a pitch that differs per clip, under a 4 Hz syllable
// envelope) and the same clip under seeded white noise.
void write_pair(const fs::path& split_dir, const std::string& name, int index, std::mt19937& rng) {
  const auto n = static_cast<size_t>(kClipSeconds * kRate);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> clean(n), noisy(n);
  const double pitch = 140.0 + 20.0 * index;
  for (size_t t = 0; t < n; ++t) {
    const double time = static_cast<double>(t) / kRate;
    const double envelope = 0.55 + 0.45 * std::sin(2 * kPi * 4.0 * time);
    double v = 0;
    for (int h = 1; h <= 6; ++h) v += std::sin(2 * kPi * pitch * h * time) / h;
    clean[t] = static_cast<float>(0.2 * envelope * v);
    noisy[t] = clean[t] + noise(rng);
  }
  fs::create_directories(split_dir / "clean");
  fs::create_directories(split_dir / "noisy");
  audio::write_wav_pcm16(split_dir / "clean" / name, clean, kRate);
  audio::write_wav_pcm16(split_dir / "noisy" / name, noisy, kRate);
}

// Gains of one everywhere (the noisy clip back) and of one half (the noisy clip at half scale).
Enhancer constant_gains(const std::string& key, const std::string& title, float gain,
                        const data::SeDataset& d, std::vector<int64_t>* calls) {
  const auto n = static_cast<size_t>(d.steps() * d.outputs());
  return {key, title, [n, gain, calls](int64_t clip, float* gains) {
            calls->push_back(clip);
            std::fill(gains, gains + n, gain);
          }};
}

class EnhancementExamples : public ::testing::Test {
 protected:
  // Three training pairs, two validation and two test pairs of 0.6 s.
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    std::mt19937 rng(7);
    const std::pair<const char*, int> splits[] = {{"train", 3}, {"validation", 2}, {"test", 2}};
    int index = 0;
    for (const auto& [split, count] : splits) {
      for (int i = 0; i < count; ++i) {
        write_pair(*dir_ / "se" / split, std::string(1, static_cast<char>('a' + i)) + ".wav",
                   index++, rng);
      }
    }
    data::SeOptions options;
    options.clip_seconds = kClipSeconds;
    options.threads = 1;
    dataset_ = new data::SeDataset(data::load_se(*dir_ / "se", options));
  }
  static void TearDownTestSuite() {
    delete dataset_;
    delete dir_;
  }
  static const data::SeDataset& dataset() { return *dataset_; }

  static inline TempDir* dir_ = nullptr;
  static inline data::SeDataset* dataset_ = nullptr;
};

TEST_F(EnhancementExamples, WritesEveryVersionOfTheFirstClips) {
  const data::SeDataset& d = dataset();
  ASSERT_EQ(d.clips(data::Split::test).clean.size(), 2u);
  TempDir out;
  const fs::path dir = out / "examples";
  std::vector<int64_t> ones_calls, half_calls;
  write_enhancement_examples(d, data::Split::test, 2,
                             {constant_gains("ones", "all gains 1", 1.0f, d, &ones_calls),
                              constant_gains("half", "all gains 0.5", 0.5f, d, &half_calls)},
                             dir);
  EXPECT_EQ(ones_calls, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(half_calls, (std::vector<int64_t>{0, 1}));

  // Every version of both clips, and nothing else.
  const std::vector<std::string> keys = {"clean", "noisy", "ones", "half"};
  size_t files = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_TRUE(e.is_regular_file()) << e.path();
  }
  EXPECT_EQ(files, 2 * keys.size() * 2 + 1);  // WAV and SVG per version, examples.json
  EXPECT_FALSE(fs::exists(dir / ".staging"));

  const json doc = core::read_json_file(dir / "examples.json");
  EXPECT_EQ(doc.at("split"), "test");
  ASSERT_EQ(doc.at("clips").size(), 2u);
  const data::SeClips& clips = d.clips(data::Split::test);
  const std::vector<std::string> titles = {"clean", "noisy (input)", "all gains 1",
                                           "all gains 0.5"};
  for (size_t c = 0; c < 2; ++c) {
    const std::string stem = "clip" + std::to_string(c);
    const json& clip = doc.at("clips")[c];
    EXPECT_EQ(clip.at("name"), clips.names[c]);
    const json& versions = clip.at("versions");
    ASSERT_EQ(versions.size(), keys.size());
    for (size_t v = 0; v < keys.size(); ++v) {
      const json& version = versions[v];
      const std::string wav = stem + "." + keys[v] + ".wav", svg = stem + "." + keys[v] + ".svg";
      EXPECT_EQ(version.at("key"), keys[v]);
      EXPECT_EQ(version.at("title"), titles[v]);
      EXPECT_EQ(version.at("wav"), wav);
      EXPECT_EQ(version.at("svg"), svg);
      const audio::Clip read_back = audio::read_wav(dir / wav, kRate);
      EXPECT_EQ(read_back.samples.size(), clips.clean[c].size()) << wav;
      const std::string figure = read(dir / svg);
      EXPECT_TRUE(contains(figure, "<svg")) << svg;
      EXPECT_TRUE(contains(figure, stem + ": " + titles[v])) << svg;
      // Scores against the clean clip for every version but the clean one.
      EXPECT_EQ(version.contains("si_sdr"), v > 0) << wav;
      EXPECT_EQ(version.contains("stoi"), v > 0) << wav;
    }
    // The clean and noisy WAVs are the split's clips (to 16-bit PCM).
    const audio::Clip clean = audio::read_wav(dir / (stem + ".clean.wav"), kRate);
    const audio::Clip noisy = audio::read_wav(dir / (stem + ".noisy.wav"), kRate);
    for (size_t t = 0; t < clean.samples.size(); ++t) {
      ASSERT_NEAR(clean.samples[t], clips.clean[c][t], 1.0 / 32768) << stem << " sample " << t;
      ASSERT_NEAR(noisy.samples[t], clips.noisy[c][t], 1.0 / 32768) << stem << " sample " << t;
    }
    // The noisy version scores what it is; unit gains give the noisy clip back (within 0.1 dB);
    // half gains are a scaled copy, which SI-SDR does not see.
    const double noisy_sdr = versions[1].at("si_sdr").get<double>();
    EXPECT_NEAR(noisy_sdr, audio::si_sdr(clips.noisy[c], clips.clean[c]), 1e-6);
    EXPECT_GT(noisy_sdr, 0.0);
    EXPECT_LT(noisy_sdr, 30.0);
    EXPECT_NEAR(versions[2].at("si_sdr").get<double>(), noisy_sdr, 0.1) << stem;
    EXPECT_NEAR(versions[3].at("si_sdr").get<double>(), noisy_sdr, 0.1) << stem;
    const double noisy_stoi = versions[1].at("stoi").get<double>();
    EXPECT_GT(noisy_stoi, 0.0);
    EXPECT_LE(noisy_stoi, 1.0);
    EXPECT_NEAR(versions[2].at("stoi").get<double>(), noisy_stoi, 0.01) << stem;
    const audio::Clip ones = audio::read_wav(dir / (stem + ".ones.wav"), kRate);
    const audio::Clip half = audio::read_wav(dir / (stem + ".half.wav"), kRate);
    double peak = 0, off = 0;
    for (size_t t = 0; t < ones.samples.size(); ++t) {
      peak = std::max(peak, std::fabs(static_cast<double>(ones.samples[t])));
      off = std::max(off, std::fabs(0.5 * ones.samples[t] - half.samples[t]));
    }
    EXPECT_GT(peak, 0.1);
    EXPECT_LT(off, 2.0 / 32768) << stem;
  }
}

TEST_F(EnhancementExamples, TakesTheFirstClipsOfTheGivenSplit) {
  const data::SeDataset& d = dataset();
  TempDir out;
  std::vector<int64_t> calls;
  write_enhancement_examples(d, data::Split::validation, 1,
                             {constant_gains("ones", "all gains 1", 1.0f, d, &calls)}, out.path());
  EXPECT_EQ(calls, std::vector<int64_t>{0});
  const json doc = core::read_json_file(out / "examples.json");
  EXPECT_EQ(doc.at("split"), "validation");
  ASSERT_EQ(doc.at("clips").size(), 1u);
  EXPECT_EQ(doc.at("clips")[0].at("name"), d.clips(data::Split::validation).names[0]);
  EXPECT_EQ(doc.at("clips")[0].at("versions").size(), 3u);  // clean, noisy, ones
  EXPECT_FALSE(fs::exists(out / "clip1.clean.wav"));
  EXPECT_FALSE(fs::exists(out / ".staging"));
}

TEST_F(EnhancementExamples, ClipCountsOutOfRangeAreRefused) {
  const data::SeDataset& d = dataset();
  TempDir out;
  std::vector<int64_t> calls;
  const std::vector<Enhancer> enhancers = {constant_gains("ones", "all gains 1", 1.0f, d, &calls)};
  for (const int clips : {0, -1, 3}) {
    try {
      write_enhancement_examples(d, data::Split::test, clips, enhancers, out / "examples");
      ADD_FAILURE() << clips << " clips accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_TRUE(contains(e.what(), std::to_string(clips) + " clips asked")) << e.what();
      EXPECT_TRUE(contains(e.what(), "test split holds 2")) << e.what();
    }
  }
  EXPECT_TRUE(calls.empty());
  EXPECT_FALSE(fs::exists(out / "examples"));
}

// The header promises DIR "replaced whole": a second, smaller set of examples leaves no file of
// the first (a stale clip1.iso.wav of an earlier search would otherwise sit beside the new ones).
TEST_F(EnhancementExamples, ReplacesTheFolderWhole) {
  const data::SeDataset& d = dataset();
  TempDir out;
  std::vector<int64_t> calls;
  write_enhancement_examples(d, data::Split::test, 2,
                             {constant_gains("ones", "all gains 1", 1.0f, d, &calls),
                              constant_gains("half", "all gains 0.5", 0.5f, d, &calls)},
                             out.path());
  write_enhancement_examples(d, data::Split::test, 1,
                             {constant_gains("ones", "all gains 1", 1.0f, d, &calls)}, out.path());
  EXPECT_EQ(core::read_json_file(out / "examples.json").at("clips").size(), 1u);
  std::vector<std::string> left;
  for (const fs::directory_entry& e : fs::directory_iterator(out.path())) {
    left.push_back(e.path().filename().string());
  }
  std::sort(left.begin(), left.end());
  const std::vector<std::string> expected = {
      "clip0.clean.svg", "clip0.clean.wav", "clip0.noisy.svg", "clip0.noisy.wav",
      "clip0.ones.svg",  "clip0.ones.wav",  "examples.json"};
  EXPECT_EQ(left, expected);
}

}  // namespace
}  // namespace mpgru::search
