// The synthetic speech-commands generator: determinism, layout, speaker-disjoint splits, errors.
#include "data/kws_synth.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "audio/wav_file.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

namespace fs = std::filesystem;

// Two keywords and one unknown word, 6 + 3 clips each: a few seconds of espeak-ng.
KwsSynthConfig tiny_config(const fs::path& out, int workers = 2, uint64_t seed = 7) {
  KwsSynthConfig c;
  c.out = out;
  c.seed = seed;
  c.clips_per_keyword = 6;
  c.clips_per_unknown = 3;
  c.workers = workers;
  c.keywords = {"yes", "no"};
  c.unknown_words = {"cat"};
  c.noise_seconds = 2.0;
  return c;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every file below `dir`, by relative path.
std::map<std::string, std::string> files_of(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).generic_string()] = read_file(e);
  }
  return out;
}

std::set<std::string> lines_of(const fs::path& path) {
  std::set<std::string> out;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') out.insert(line);
  }
  return out;
}

struct SpeakerRow {
  std::string variant, dialect, split;
};
std::map<std::string, SpeakerRow> speakers_txt(const fs::path& dir) {
  std::map<std::string, SpeakerRow> out;
  for (const std::string& line : lines_of(dir / "speakers.txt")) {
    std::istringstream in(line);
    std::string id;
    SpeakerRow row;
    std::getline(in, id, '\t');
    std::getline(in, row.variant, '\t');
    std::getline(in, row.dialect, '\t');
    std::getline(in, row.split, '\t');
    out[id] = row;
  }
  return out;
}

// Clip path -> split name, from the folders and the two list files.
std::map<std::string, std::string> clip_splits(const fs::path& dir) {
  const std::set<std::string> validation = lines_of(dir / "validation_list.txt");
  const std::set<std::string> test = lines_of(dir / "testing_list.txt");
  std::map<std::string, std::string> out;
  for (const auto& [path, bytes] : files_of(dir)) {
    if (path.find('/') == std::string::npos || path.rfind("_background_noise_/", 0) == 0) continue;
    out[path] = validation.count(path) ? "validation" : test.count(path) ? "test" : "train";
  }
  return out;
}

std::string speaker_of(const std::string& clip_path) {
  const std::string name = clip_path.substr(clip_path.find('/') + 1);
  return name.substr(0, name.find("_nohash_"));
}

class KwsSynth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new mpgru::testing::TempDir();
    result_ = new KwsSynthResult(generate_kws_synth(tiny_config(dir_->path() / "set")));
  }
  static void TearDownTestSuite() {
    delete result_;
    delete dir_;
  }
  static fs::path set() { return dir_->path() / "set"; }

  static mpgru::testing::TempDir* dir_;
  static KwsSynthResult* result_;
};
mpgru::testing::TempDir* KwsSynth::dir_ = nullptr;
KwsSynthResult* KwsSynth::result_ = nullptr;

TEST_F(KwsSynth, SameSeedSameBytesWhateverTheWorkers) {
  mpgru::testing::TempDir other;
  int64_t progress_calls = 0;
  generate_kws_synth(tiny_config(other / "set", 1), [&](const KwsSynthProgress& p) {
    ++progress_calls;
    EXPECT_EQ(p.total, 15);
  });
  EXPECT_GE(progress_calls, 1);
  const auto a = files_of(set()), b = files_of(other / "set");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [path, bytes] : a) {
    ASSERT_TRUE(b.count(path)) << path;
    EXPECT_TRUE(b.at(path) == bytes) << path << " differs";
  }
}

TEST_F(KwsSynth, AnotherSeedOtherClips) {
  mpgru::testing::TempDir other;
  generate_kws_synth(tiny_config(other / "set", 2, 8));
  const auto a = files_of(set()), b = files_of(other / "set");
  EXPECT_NE(a.at("_background_noise_/pink_noise.wav"), b.at("_background_noise_/pink_noise.wav"));
  EXPECT_NE(a.at("README.txt"), b.at("README.txt"));  // names the seed
}

TEST_F(KwsSynth, LayoutAndClipFormat) {
  EXPECT_EQ(result_->clips, 15);
  EXPECT_TRUE(fs::exists(set() / ".complete"));
  EXPECT_TRUE(fs::exists(set() / "README.txt"));
  for (const char* noise : {"white", "pink", "brown"}) {
    const audio::Clip bed =
        audio::read_wav(set() / "_background_noise_" / (std::string(noise) + "_noise.wav"), 16000);
    EXPECT_EQ(bed.samples.size(), 32000u) << noise;
  }
  const auto splits = clip_splits(set());
  ASSERT_EQ(splits.size(), 15u);
  std::map<std::string, std::map<std::string, int>> counts;  // word -> split -> clips
  for (const auto& [path, split] : splits) {
    const audio::Clip clip = audio::read_wav(set() / path, 16000);
    EXPECT_EQ(clip.samples.size(), 16000u) << path;
    EXPECT_NE(path.find("_nohash_"), std::string::npos) << path;
    ++counts[path.substr(0, path.find('/'))][split];
  }
  // 6 clips: round(15 %) = 1 validation, 1 test; 3 clips: 0 held out.
  using Splits = std::map<std::string, int>;
  EXPECT_EQ(counts["yes"], (Splits{{"train", 4}, {"validation", 1}, {"test", 1}}));
  EXPECT_EQ(counts["no"], (Splits{{"train", 4}, {"validation", 1}, {"test", 1}}));
  EXPECT_EQ(counts["cat"], (Splits{{"train", 3}}));
  EXPECT_EQ(result_->counts.size(), 3u);
  EXPECT_EQ(result_->counts[0].word, "yes");
  EXPECT_EQ(result_->counts[0].split[static_cast<int>(Split::validation)], 1);
  // Every listed file exists, and no folder named after a class holds silence.
  for (const char* list : {"validation_list.txt", "testing_list.txt"}) {
    for (const std::string& path : lines_of(set() / list)) {
      EXPECT_TRUE(fs::exists(set() / path)) << list << ": " << path;
    }
  }
  EXPECT_FALSE(fs::exists(set() / "silence"));
  EXPECT_FALSE(fs::exists(set() / "_silence_"));
}

TEST_F(KwsSynth, ClipsHoldSpeechOverNoise) {
  for (const auto& [path, split] : clip_splits(set())) {
    const audio::Clip clip = audio::read_wav(set() / path, 16000);
    float peak = 0;
    for (float v : clip.samples) peak = std::max(peak, std::fabs(v));
    EXPECT_GT(peak, 0.05f) << path;  // speech peaks at -20..-1 dBFS
    EXPECT_LE(peak, 0.99f + 1e-4f) << path;
  }
}

TEST_F(KwsSynth, SplitsAreSpeakerDisjoint) {
  std::map<std::string, std::set<std::string>> speakers;  // split -> speaker ids
  const auto table = speakers_txt(set());
  for (const auto& [path, split] : clip_splits(set())) {
    const std::string id = speaker_of(path);
    speakers[split].insert(id);
    ASSERT_TRUE(table.count(id)) << path;
    EXPECT_EQ(table.at(id).split, split) << path;
  }
  for (const auto& [a, ids_a] : speakers) {
    for (const auto& [b, ids_b] : speakers) {
      if (a >= b) continue;
      for (const std::string& id : ids_a)
        EXPECT_EQ(ids_b.count(id), 0u) << id << " in " << a << "+" << b;
    }
  }
  // Disjoint by voice variant, not only by speaker id.
  std::map<std::string, std::string> variant_split;
  for (const auto& [id, row] : table) {
    const auto [it, fresh] = variant_split.emplace(row.variant, row.split);
    EXPECT_EQ(it->second, row.split) << row.variant;
  }
}

TEST_F(KwsSynth, TestOnlyDialectsOnlyInTest) {
  const KwsSynthConfig config = tiny_config(set());
  const std::set<std::string> test_only(config.test_only_dialects.begin(),
                                        config.test_only_dialects.end());
  const auto table = speakers_txt(set());
  std::set<std::string> test_dialects;
  for (const auto& [id, row] : table) {
    if (test_only.count(row.dialect)) {
      EXPECT_EQ(row.split, "test") << id;
    }
    if (row.split == "test") test_dialects.insert(row.dialect);
  }
  EXPECT_EQ(test_dialects.size(), config.dialects.size());  // test speakers use every dialect
  for (const auto& [path, split] : clip_splits(set())) {
    if (split != "test") {
      EXPECT_EQ(test_only.count(table.at(speaker_of(path)).dialect), 0u) << path;
    }
  }
}

TEST(KwsSynthSpeakers, DefaultVoicesSplitAbout70_15_15) {
  const KwsSynthConfig config;
  EXPECT_EQ(kws_synth_variants().size(), 99u);
  std::map<Split, std::set<std::string>> variants;
  for (const KwsSynthSpeaker& s : kws_synth_speakers(config)) variants[s.split].insert(s.variant);
  EXPECT_EQ(variants[Split::train].size(), 70u);  // fixed by the hash of the names
  EXPECT_EQ(variants[Split::validation].size(), 16u);
  EXPECT_EQ(variants[Split::test].size(), 13u);
  EXPECT_EQ(kws_synth_speakers(config).size(), 70u * 6 + 16u * 6 + 13u * 8);
  EXPECT_EQ(config.unknown_clips_per_word(), 150);  // 1.5 x 2000 over 20 words
}

TEST(KwsSynthFolder, RefusesAFolderThatIsNotKwsSynth) {
  mpgru::testing::TempDir dir;
  std::ofstream(dir / "notes.txt") << "mine\n";
  try {
    generate_kws_synth(tiny_config(dir.path()));
    FAIL() << "wrote into a foreign folder";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not empty"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "yes"));
}

// An interrupted run (no .complete, a clip missing, a half-written temporary) is continued to
// the same bytes; another configuration is refused.
TEST(KwsSynthFolder, ContinuesAnInterruptedRunAndRefusesAnotherConfig) {
  mpgru::testing::TempDir dir;
  generate_kws_synth(tiny_config(dir / "set"));
  const auto before = files_of(dir / "set");
  const std::string victim = *lines_of(dir / "set" / "testing_list.txt").begin();
  fs::remove(dir / "set" / ".complete");
  fs::remove(dir / "set" / victim);
  std::ofstream(dir / "set" / (victim + ".tmp")) << "partial";
  const KwsSynthResult again = generate_kws_synth(tiny_config(dir / "set", 1));
  EXPECT_EQ(again.skipped, 14);
  EXPECT_TRUE(files_of(dir / "set") == before);

  KwsSynthConfig other = tiny_config(dir / "set");
  other.seed = 99;
  EXPECT_THROW(generate_kws_synth(other), std::invalid_argument);
}

TEST(KwsSynthConfig, RejectsBadValues) {
  const struct {
    const char* what;
    void (*change)(KwsSynthConfig&);
  } cases[] = {
      {"no out", [](KwsSynthConfig& c) { c.out.clear(); }},
      {"zero clips", [](KwsSynthConfig& c) { c.clips_per_keyword = 0; }},
      {"negative unknown clips", [](KwsSynthConfig& c) { c.clips_per_unknown = -1; }},
      {"zero workers", [](KwsSynthConfig& c) { c.workers = 0; }},
      {"no keywords", [](KwsSynthConfig& c) { c.keywords.clear(); }},
      {"word with a space", [](KwsSynthConfig& c) { c.keywords = {"go on"}; }},
      {"word in both lists", [](KwsSynthConfig& c) { c.unknown_words = {"yes"}; }},
      {"duplicate variant",
       [](KwsSynthConfig& c) {
         c.variants = {"Alex", "Alex"};
       }},
      {"unknown test-only dialect", [](KwsSynthConfig& c) { c.test_only_dialects = {"en-xx"}; }},
      {"all dialects test-only", [](KwsSynthConfig& c) { c.test_only_dialects = c.dialects; }},
      {"short noise beds", [](KwsSynthConfig& c) { c.noise_seconds = 0.5; }},
      {"no validation voice", [](KwsSynthConfig& c) { c.variants = {"Alex"}; }},
  };
  for (const auto& t : cases) {
    KwsSynthConfig c = tiny_config("/tmp/unused");
    t.change(c);
    EXPECT_THROW(validate(c), std::invalid_argument) << t.what;
  }
  EXPECT_NO_THROW(validate(tiny_config("/tmp/unused")));
}

TEST(KwsSynthErrors, MissingEspeakIsNamed) {
  mpgru::testing::TempDir dir;
  KwsSynthConfig c = tiny_config(dir / "set");
  c.espeak = "/nonexistent/espeak-ng";
  try {
    generate_kws_synth(c);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/espeak-ng"), std::string::npos) << e.what();
  }
}

// A stand-in espeak-ng that answers the probes but fails to speak.
TEST(KwsSynthErrors, FailedSynthesisNamesWordVoiceAndCommand) {
  mpgru::testing::TempDir dir;
  const fs::path fake = dir / "espeak-ng";
  std::ofstream(fake)
      << "#!/bin/sh\ncase \"$1\" in --version|--voices) exec espeak-ng \"$1\";; esac\n"
         "echo 'no audio device' >&2\nexit 3\n";
  fs::permissions(fake, fs::perms::owner_all);
  KwsSynthConfig c = tiny_config(dir / "set");
  c.espeak = fake.string();
  try {
    generate_kws_synth(c);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    for (const char* part :
         {"on word '", "voice 'en-", " --stdout ", "exit status 3", "no audio device"}) {
      EXPECT_NE(what.find(part), std::string::npos) << part << " not in: " << what;
    }
  }
  EXPECT_FALSE(fs::exists(dir / "set" / ".complete"));
}

TEST(KwsSynthErrors, UnknownDialectIsNamed) {
  mpgru::testing::TempDir dir;
  KwsSynthConfig c = tiny_config(dir / "set");
  c.dialects.push_back("en-xx");
  try {
    generate_kws_synth(c);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'en-xx'"), std::string::npos) << e.what();
  }
}

// The command-line tests need the mpgru tool, which the sanitizer build (MPGRU_SANITIZE) does not
// build.
#ifdef MPGRU_BINARY
struct CommandResult {
  int code;
  std::string output;  // stdout and stderr
};
CommandResult run_mpgru(const std::string& args) {
  FILE* pipe = popen((std::string(MPGRU_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(KwsSynthCli, WritesACompleteSet) {
  mpgru::testing::TempDir dir;
  const CommandResult r = run_mpgru("data kws-synth --clips 2 --out " + (dir / "set").string());
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote 40 clips (10 keywords x 2, 20 unknown words x 1;"),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(fs::exists(dir / "set" / ".complete"));
}

TEST(KwsSynthCli, RefusesAForeignFolderInOneLine) {
  mpgru::testing::TempDir dir;
  std::ofstream(dir / "notes.txt") << "mine\n";
  const CommandResult r = run_mpgru("data kws-synth --clips 2 --out " + dir.path().string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("error: kws-synth: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("not empty"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

#endif  // MPGRU_BINARY

}  // namespace
}  // namespace mpgru::data
