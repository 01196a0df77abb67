// The Speech Commands reader on a tiny folder written by the test.
#include "data/speech_commands.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>

#include "audio/wav_file.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

namespace fs = std::filesystem;

std::vector<float> tone(double hz, size_t n) {
  std::vector<float> s(n);
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<float>(0.3 * std::sin(2 * M_PI * hz * static_cast<double>(i) / 16000));
  }
  return s;
}

void write_list(const fs::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& l : lines) out << l << "\n";
}

// yes: 4 clips (1 validation, 1 test), no: 3 clips (1 test), bed and cat (unknown): 3 each;
// one noise bed of 3 s.
void make_folder(const fs::path& dir) {
  const std::map<std::string, int> words = {{"yes", 4}, {"no", 3}, {"bed", 3}, {"cat", 3}};
  for (const auto& [word, n] : words) {
    fs::create_directories(dir / word);
    for (int k = 0; k < n; ++k) {
      audio::write_wav_pcm16(dir / word / ("spk" + std::to_string(k) + "_nohash_0.wav"),
                             tone(200.0 + 100 * k, 12000 + 2000 * static_cast<size_t>(k)), 16000);
    }
  }
  fs::create_directories(dir / "_background_noise_");
  audio::write_wav_pcm16(dir / "_background_noise_" / "hum.wav", tone(50, 48000), 16000);
  write_list(dir / "validation_list.txt", {"yes/spk1_nohash_0.wav", "bed/spk1_nohash_0.wav"});
  write_list(dir / "testing_list.txt",
             {"yes/spk2_nohash_0.wav", "no/spk2_nohash_0.wav", "cat/spk2_nohash_0.wav"});
}

std::map<int, int> label_counts(const std::vector<LabelledClip>& clips) {
  std::map<int, int> out;
  for (const auto& c : clips) ++out[c.label];
  return out;
}

std::string error_of(const fs::path& dir, const SpeechCommandsOptions& o = {}) {
  try {
    load_speech_commands(dir, o, 2);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(SpeechCommands, SplitsLabelsUnknownAndSilence) {
  testing::TempDir dir;
  make_folder(dir.path());
  SpeechCommandsOptions o;
  o.unknown_fraction = 0.5;  // of each split's keyword clips, rounded up
  o.silence_fraction = 1.0;
  const SpeechCommandsSplits s = load_speech_commands(dir.path(), o, 2);
  // train: yes 2, no 2 keywords; unknown ceil(0.5 * 4) = 2 of the 4 (bed 2, cat 2); silence 4.
  EXPECT_EQ(label_counts(s.splits[0]),
            (std::map<int, int>{{0, 2}, {1, 2}, {kUnknownLabel, 2}, {kSilenceLabel, 4}}));
  // validation: yes 1; unknown ceil(0.5) = 1 (bed/spk1); silence 1.
  EXPECT_EQ(label_counts(s.splits[1]),
            (std::map<int, int>{{0, 1}, {kUnknownLabel, 1}, {kSilenceLabel, 1}}));
  // test: yes 1, no 1; unknown ceil(1) = 1 (cat/spk2); silence 2.
  EXPECT_EQ(label_counts(s.splits[2]),
            (std::map<int, int>{{0, 1}, {1, 1}, {kUnknownLabel, 1}, {kSilenceLabel, 2}}));
  for (const auto& split : s.splits) {
    for (const auto& clip : split) EXPECT_EQ(clip.samples.size(), size_t{kClipSamples});
  }
  EXPECT_EQ(s.skipped, 0);
  // Short files are zero-padded: spk0 clips have 12000 samples.
  const auto& first = s.splits[0][0];
  EXPECT_EQ(first.samples[kClipSamples - 1], 0.0f);
  EXPECT_STREQ(speech_label_name(kSilenceLabel), "silence");
  EXPECT_STREQ(speech_label_name(3), "down");
}

TEST(SpeechCommands, SameResultWithAnyThreadCountAndSeedChangesSelection) {
  testing::TempDir dir;
  make_folder(dir.path());
  SpeechCommandsOptions o;
  o.unknown_fraction = 0.5;
  const auto a = load_speech_commands(dir.path(), o, 1);
  const auto b = load_speech_commands(dir.path(), o, 3);
  for (int s = 0; s < 3; ++s) {
    ASSERT_EQ(a.splits[s].size(), b.splits[s].size());
    for (size_t i = 0; i < a.splits[s].size(); ++i) {
      EXPECT_EQ(a.splits[s][i].label, b.splits[s][i].label);
      EXPECT_EQ(a.splits[s][i].samples, b.splits[s][i].samples);
    }
  }
}

TEST(SpeechCommands, BadWavsAreNamedOrSkippedAndCounted) {
  testing::TempDir dir;
  make_folder(dir.path());
  audio::write_wav_pcm16(dir / "yes" / "bad_rate_nohash_0.wav", tone(300, 16000), 8000);
  EXPECT_NE(error_of(dir.path()).find("bad_rate_nohash_0.wav: sample rate 8000 Hz"),
            std::string::npos);
  audio::write_wav_pcm16(dir / "no" / "empty_nohash_0.wav", {}, 16000);
  testing::write_bytes(dir / "no" / "junk_nohash_0.wav", {'R', 'I', 'F', 'F', 0, 0});
  SpeechCommandsOptions skip;
  skip.skip_bad = true;
  const SpeechCommandsSplits s = load_speech_commands(dir.path(), skip, 2);
  EXPECT_EQ(s.skipped, 3);
  ASSERT_EQ(s.skipped_files.size(), 3u);
  EXPECT_NE(s.skipped_files[0].find("empty_nohash_0.wav"), std::string::npos);
  EXPECT_EQ(label_counts(s.splits[0])[1], 2);  // the good "no" clips are all there
  fs::remove(dir / "yes" / "bad_rate_nohash_0.wav");
  EXPECT_NE(error_of(dir.path()).find("empty_nohash_0.wav: no audio frames"), std::string::npos);
}

TEST(SpeechCommands, MissingListsNoiseAndKeywordsAreNamed) {
  testing::TempDir dir;
  make_folder(dir.path());
  write_list(dir / "testing_list.txt", {"yes/ghost.wav"});
  EXPECT_NE(error_of(dir.path()).find("testing_list.txt:1: names yes/ghost.wav"),
            std::string::npos);
  fs::remove(dir / "testing_list.txt");
  EXPECT_NE(error_of(dir.path()).find("testing_list.txt: cannot open"), std::string::npos);
  make_folder(dir.path());
  fs::remove_all(dir / "_background_noise_");
  EXPECT_NE(error_of(dir.path()).find("_background_noise_: missing"), std::string::npos);
  SpeechCommandsOptions no_silence;
  no_silence.silence_fraction = 0;
  EXPECT_EQ(error_of(dir.path(), no_silence), "");
  fs::remove_all(dir / "no");
  write_list(dir / "testing_list.txt", {"yes/spk2_nohash_0.wav"});
  write_list(dir / "validation_list.txt", {"bed/spk1_nohash_0.wav"});
  EXPECT_NE(error_of(dir.path(), no_silence).find("no keyword clips in the validation split"),
            std::string::npos);
}

}  // namespace
}  // namespace mpgru::data
