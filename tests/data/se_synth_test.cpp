// The synthetic speech-enhancement set: deterministic whatever the workers, in its layout, at the
// SNRs it states, with speakers disjoint across splits; clear refusals.
#include "data/se_synth.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "audio/wav_file.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

namespace fs = std::filesystem;

SeSynthConfig tiny_config(const fs::path& out, int workers = 2, uint64_t seed = 7) {
  SeSynthConfig c;
  c.out = out;
  c.seed = seed;
  c.clips[0] = 8;
  c.clips[1] = 3;
  c.clips[2] = 3;
  c.workers = workers;
  return c;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every file of the set, relative path -> bytes.
std::map<std::string, std::string> files_of(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = slurp(e.path());
  }
  return out;
}

// clips.csv rows as fields.
std::vector<std::vector<std::string>> rows_of(const fs::path& csv) {
  std::vector<std::vector<std::string>> out;
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "id,speaker,noise,snr_db,text");
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream s(line);
    for (std::string f; std::getline(s, f, ',');) fields.push_back(f);
    out.push_back(fields);
  }
  return out;
}

class SeSynth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    result_ = generate_se_synth(tiny_config(*dir_ / "set"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path set() { return *dir_ / "set"; }
  static inline testing::TempDir* dir_ = nullptr;
  static inline SeSynthResult result_;
};

TEST_F(SeSynth, SameSeedSameBytesWhateverTheWorkersAnotherSeedOtherClips) {
  const fs::path one = *dir_ / "one-worker";
  generate_se_synth(tiny_config(one, 1));
  EXPECT_EQ(files_of(one), files_of(set()));
  const fs::path other = *dir_ / "seed-8";
  generate_se_synth(tiny_config(other, 2, 8));
  EXPECT_NE(slurp(other / "train" / "clips.csv"), slurp(set() / "train" / "clips.csv"));
}

TEST_F(SeSynth, LayoutAndClipFormat) {
  EXPECT_EQ(result_.clips[0], 8);
  EXPECT_TRUE(fs::exists(set() / "README.txt"));
  EXPECT_EQ(slurp(set() / ".se-synth"), tiny_config(set()).canonical());
  EXPECT_FALSE(fs::exists(*dir_ / "set.partial"));
  const int counts[3] = {8, 3, 3};
  int s = 0;
  for (const char* split : {"train", "validation", "test"}) {
    const auto rows = rows_of(set() / split / "clips.csv");
    ASSERT_EQ(rows.size(), static_cast<size_t>(counts[s++])) << split;
    for (const auto& row : rows) {
      ASSERT_EQ(row.size(), 5u);
      for (const char* kind : {"clean", "noisy"}) {
        const audio::Clip clip = audio::read_wav(set() / split / kind / (row[0] + ".wav"), 16000);
        EXPECT_EQ(clip.samples.size(), 40000u) << row[0];
      }
      EXPECT_TRUE(row[2] == "white" || row[2] == "pink" || row[2] == "brown" || row[2] == "babble");
      const double snr = std::stod(row[3]);
      EXPECT_GE(snr, -5.0);
      EXPECT_LE(snr, 15.0);
    }
  }
}

TEST_F(SeSynth, NoisyIsCleanPlusNoiseAtTheStatedSnr) {
  for (const auto& row : rows_of(set() / "train" / "clips.csv")) {
    const auto clean = audio::read_wav(set() / "train" / "clean" / (row[0] + ".wav")).samples;
    const auto noisy = audio::read_wav(set() / "train" / "noisy" / (row[0] + ".wav")).samples;
    size_t first = 0, last = clean.size();
    while (first < last && clean[first] == 0.0f) ++first;
    while (last > first && clean[last - 1] == 0.0f) --last;
    ASSERT_LT(first, last) << row[0] << ": no speech";
    double speech = 0, noise = 0;
    for (size_t i = first; i < last; ++i) {
      speech += double{clean[i]} * clean[i];
      noise += double{noisy[i] - clean[i]} * (noisy[i] - clean[i]);
    }
    EXPECT_NEAR(10 * std::log10(speech / noise), std::stod(row[3]), 1.0) << row[0];
  }
}

TEST_F(SeSynth, SpeakersAreDisjointAcrossSplits) {
  std::set<std::string> seen[3];
  int s = 0;
  for (const char* split : {"train", "validation", "test"}) {
    for (const auto& row : rows_of(set() / split / "clips.csv")) seen[s].insert(row[1]);
    ++s;
  }
  for (int a = 0; a < 3; ++a) {
    for (int b = a + 1; b < 3; ++b) {
      for (const std::string& id : seen[a]) EXPECT_EQ(seen[b].count(id), 0u) << id;
    }
  }
  EXPECT_GT(result_.speakers[2], 0);
}

TEST_F(SeSynth, ASecondRunOfTheSameConfigDoesNothingAnotherIsRefused) {
  EXPECT_TRUE(generate_se_synth(tiny_config(set())).existed);
  try {
    generate_se_synth(tiny_config(set(), 2, 9));
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("is not a se-synth set of this config"), std::string::npos)
        << e.what();
  }
}

TEST(SeSynthErrors, AMissingWordListNamesItsPackage) {
  testing::TempDir dir;
  SeSynthConfig c = tiny_config(dir / "set");
  c.words = dir / "no-words";
  try {
    generate_se_synth(c);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("wamerican"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "set"));
}

TEST(SeSynthErrors, BadValuesAreNamed) {
  SeSynthConfig c = tiny_config("x");
  c.clips[2] = 0;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c = tiny_config("x");
  c.snr_min_db = 20;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c = tiny_config("");
  EXPECT_THROW(validate(c), std::invalid_argument);
}

}  // namespace
}  // namespace mpgru::data
