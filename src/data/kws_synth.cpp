// The synthetic speech-commands generator: a plan of clips fixed by the seed, rendered in
// parallel (one espeak-ng process per clip), each clip a pure function of its plan entry.
#include "data/kws_synth.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "audio/resample.hpp"
#include "audio/wav_file.hpp"
#include "core/text_file.hpp"
#include "data/espeak.hpp"
#include "data/noise_bed.hpp"
#include "data/subprocess.hpp"
#include "data/synth_random.hpp"

extern char** environ;

namespace mpgru::data {
namespace fs = std::filesystem;

namespace {

constexpr int kRate = 16000;
constexpr int kClipSamples = 16000;  // exactly 1.000 s
// Bump when the rendering changes, so a rerun refuses to mix old and new clips in one folder.
constexpr int kGeneratorVersion = 1;
constexpr const char* kConfigFile = ".kws-synth";
constexpr const char* kCompleteFile = ".complete";
constexpr const char* kNoiseDir = "_background_noise_";
const char* const kNoiseNames[] = {"white", "pink", "brown"};

// Per-clip ranges (uniform).
constexpr int kSpeedMin = 120, kSpeedMax = 220;      // espeak-ng -s, words per minute
constexpr int kPitchMin = 20, kPitchMax = 80;        // espeak-ng -p, 0..99 around the voice's own
constexpr double kSnrMinDb = 5, kSnrMaxDb = 25;      // speech RMS over the word vs noise RMS
constexpr double kPeakMinDb = -20, kPeakMaxDb = -1;  // speech peak, dBFS
constexpr double kNoiseBedRms = 0.1;                 // -20 dBFS beds on disk
constexpr double kMixPeak = 0.99;                    // a louder mix is scaled down to this

// ---- The plan -------------------------------------------------------------------------------

struct ClipJob {
  size_t word = 0;     // into Context::words
  size_t speaker = 0;  // into Context::speakers
  Split split = Split::train;
  uint64_t seed = 0;
  std::string path;  // "<word>/<speaker>_nohash_<k>.wav"
};

struct ClipParams {
  int speed = 0, pitch = 0;
  double peak_db = 0, snr_db = 0;
  int noise = 0;
  int64_t noise_offset = 0;
  double onset_fraction = 0;  // of the room left around the word
};

ClipParams draw_params(uint64_t seed, int64_t noise_samples) {
  Rng rng(seed);
  ClipParams p;
  p.speed = static_cast<int>(rng.integer(kSpeedMin, kSpeedMax));
  p.pitch = static_cast<int>(rng.integer(kPitchMin, kPitchMax));
  p.peak_db = rng.uniform(kPeakMinDb, kPeakMaxDb);
  p.snr_db = rng.uniform(kSnrMinDb, kSnrMaxDb);
  p.noise = static_cast<int>(rng.integer(0, 2));
  p.noise_offset = rng.integer(0, noise_samples - kClipSamples);
  p.onset_fraction = rng.uniform();
  return p;
}

std::string speaker_id(const std::string& variant, const std::string& dialect) {
  char id[9];
  std::snprintf(id, sizeof id, "%08x", static_cast<unsigned>(fnv1a(variant + "|" + dialect) >> 32));
  return id;
}

// Clips per split of a word: 15 % validation, 15 % test (rounded), the rest train.
std::array<int, 3> split_counts(int n) {
  const int held_out = (n * 15 + 50) / 100;
  return {n - 2 * held_out, held_out, held_out};
}

// Each split's speakers take turns in a seeded order, so every speaker says each word about
// equally often; k counts a speaker's repetitions of the word, as in Speech Commands.
std::vector<ClipJob> make_plan(const KwsSynthConfig& config, const std::vector<std::string>& words,
                               const std::vector<KwsSynthSpeaker>& speakers) {
  std::vector<ClipJob> plan;
  for (size_t w = 0; w < words.size(); ++w) {
    const int n =
        w < config.keywords.size() ? config.clips_per_keyword : config.unknown_clips_per_word();
    const std::array<int, 3> counts = split_counts(n);
    uint64_t index = 0;
    for (int s = 0; s < 3; ++s) {
      const auto split = static_cast<Split>(s);
      std::vector<size_t> order;
      for (size_t i = 0; i < speakers.size(); ++i) {
        if (speakers[i].split == split) order.push_back(i);
      }
      Rng rng(derive_seed(config.seed, "order/" + words[w], static_cast<uint64_t>(s)));
      for (size_t i = order.size(); i > 1; --i) {
        std::swap(order[i - 1],
                  order[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(i) - 1))]);
      }
      for (int j = 0; j < counts[static_cast<size_t>(s)]; ++j) {
        ClipJob job;
        job.word = w;
        job.speaker = order[static_cast<size_t>(j) % order.size()];
        job.split = split;
        job.seed = derive_seed(config.seed, "clip/" + words[w], index++);
        job.path = words[w] + "/" + speakers[job.speaker].id + "_nohash_" +
                   std::to_string(static_cast<size_t>(j) / order.size()) + ".wav";
        plan.push_back(std::move(job));
      }
    }
  }
  return plan;
}

// ---- Rendering ------------------------------------------------------------------------------

struct Context {
  const KwsSynthConfig& config;
  std::vector<std::string> words;
  std::vector<KwsSynthSpeaker> speakers;
  std::vector<std::vector<float>> noise;
};

// The word at 16 kHz; throws naming the word, voice and command.
std::vector<float> speak(const Context& ctx, const ClipJob& job, const ClipParams& p) {
  const KwsSynthSpeaker& speaker = ctx.speakers[job.speaker];
  return espeak_speak(ctx.config.espeak, ctx.words[job.word],
                      espeak_voice_name(speaker.dialect, speaker.variant), p.speed, p.pitch, kRate,
                      "word");
}

struct RenderedClip {
  std::vector<float> samples;
  bool truncated = false;
};

RenderedClip render_clip(const Context& ctx, const ClipJob& job) {
  const ClipParams p = draw_params(job.seed, static_cast<int64_t>(ctx.noise[0].size()));
  std::vector<float> speech = speak(ctx, job, p);
  RenderedClip out;
  if (speech.size() > kClipSamples) {  // rare: a slow, long word; cut with a 20 ms fade-out
    out.truncated = true;
    speech.resize(kClipSamples);
    const size_t fade = kRate / 50;
    for (size_t i = 0; i < fade; ++i) {
      speech[kClipSamples - 1 - i] *= static_cast<float>(i) / static_cast<float>(fade);
    }
  }
  float peak = 0;
  for (float v : speech) peak = std::max(peak, std::fabs(v));
  const double speech_gain = std::pow(10.0, p.peak_db / 20.0) / peak;
  const double speech_rms = speech_gain * rms(speech.data(), speech.size());
  const float* noise = ctx.noise[static_cast<size_t>(p.noise)].data() + p.noise_offset;
  const double noise_gain =
      speech_rms / (rms(noise, kClipSamples) * std::pow(10.0, p.snr_db / 20.0));
  const auto onset = static_cast<size_t>(
      std::floor(p.onset_fraction * static_cast<double>(kClipSamples - speech.size() + 1)));
  out.samples.resize(kClipSamples);
  double mix_peak = 0;
  for (size_t i = 0; i < kClipSamples; ++i) {
    double v = noise_gain * noise[i];
    if (i >= onset && i - onset < speech.size()) v += speech_gain * speech[i - onset];
    out.samples[i] = static_cast<float>(v);
    mix_peak = std::max(mix_peak, std::fabs(v));
  }
  if (mix_peak > kMixPeak) {
    const auto scale = static_cast<float>(kMixPeak / mix_peak);
    for (float& v : out.samples) v *= scale;
  }
  return out;
}

// Writes to a temporary name and renames, so a file under its final name is always complete.
void write_atomically(const fs::path& path, const std::vector<float>& samples) {
  fs::path tmp = path;
  tmp += ".tmp";
  audio::write_wav_pcm16(tmp, samples, kRate);
  fs::rename(tmp, path);
}

bool clip_on_disk(const fs::path& path) {
  std::error_code ec;
  return fs::file_size(path, ec) == 44 + 2 * static_cast<uintmax_t>(kClipSamples) && !ec;
}

// ---- The folder ---------------------------------------------------------------------------

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// In place, for the config file only: it is also the run's lock (a rename would give a second run
// a new, unlocked file). The folder counts as complete only once kCompleteFile is written last.
void write_locked_config(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// Creates the folder (or reuses it, see check_kws_synth_folder) and takes an exclusive lock on
// its config file for the run, so two runs never write one folder. Returns the lock.
std::unique_ptr<Fd> prepare_folder(const KwsSynthConfig& config) {
  check_kws_synth_folder(config);
  fs::create_directories(config.out);
  auto lock = std::make_unique<Fd>();
  const fs::path config_file = config.out / kConfigFile;
  lock->fd = ::open(config_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock->fd < 0) {
    throw std::system_error(errno, std::generic_category(), "kws-synth: " + config_file.string());
  }
  if (::flock(lock->fd, LOCK_EX | LOCK_NB) != 0) {
    throw std::runtime_error("kws-synth: another kws-synth run is writing " + config.out.string());
  }
  check_kws_synth_folder(config);  // again under the lock: another run may have started it
  fs::remove(config.out / kCompleteFile);
  write_locked_config(config_file, config.canonical());
  return lock;
}

// Removes temporary files an interrupted run left behind.
void remove_temporaries(const fs::path& dir) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".tmp") fs::remove(entry.path());
  }
}

void write_lists(const fs::path& dir, const std::vector<ClipJob>& plan) {
  std::vector<std::string> lists[3];
  for (const ClipJob& job : plan) lists[static_cast<int>(job.split)].push_back(job.path);
  const std::pair<Split, const char*> files[] = {{Split::validation, "validation_list.txt"},
                                                 {Split::test, "testing_list.txt"}};
  for (const auto& [split, name] : files) {
    std::vector<std::string>& paths = lists[static_cast<int>(split)];
    std::sort(paths.begin(), paths.end());
    std::string text;
    for (const std::string& p : paths) text += p + "\n";
    core::write_text_file(text, dir / name);
  }
}

void write_speakers(const fs::path& dir, const std::vector<KwsSynthSpeaker>& speakers) {
  std::string text = "# speaker-id\tvariant\tdialect\tsplit (espeak-ng -v dialect+variant)\n";
  for (const KwsSynthSpeaker& s : speakers) {
    text += s.id + "\t" + s.variant + "\t" + s.dialect + "\t" + to_string(s.split) + "\n";
  }
  core::write_text_file(text, dir / "speakers.txt");
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : separator) + s;
  return out;
}

std::string counts_table(const KwsSynthResult& r) {
  std::string text;
  char line[128];
  std::snprintf(line, sizeof line, "  %-10s %7s %11s %7s %7s\n", "word", "train", "validation",
                "test", "total");
  text += line;
  int64_t totals[3] = {0, 0, 0};
  for (const auto& c : r.counts) {
    std::snprintf(line, sizeof line, "  %-10s %7lld %11lld %7lld %7lld\n", c.word.c_str(),
                  static_cast<long long>(c.split[0]), static_cast<long long>(c.split[1]),
                  static_cast<long long>(c.split[2]),
                  static_cast<long long>(c.split[0] + c.split[1] + c.split[2]));
    text += line;
    for (int s = 0; s < 3; ++s) totals[s] += c.split[s];
  }
  std::snprintf(line, sizeof line, "  %-10s %7lld %11lld %7lld %7lld\n", "all",
                static_cast<long long>(totals[0]), static_cast<long long>(totals[1]),
                static_cast<long long>(totals[2]),
                static_cast<long long>(totals[0] + totals[1] + totals[2]));
  return text + line;
}

void write_readme(const fs::path& dir, const KwsSynthConfig& config, const KwsSynthResult& r) {
  std::ostringstream t;
  t << "Synthetic Speech Commands, written by mpgru (src/data/kws_synth.cpp).\n\n"
    << "Command:   " << config.command() << "\n"
    << "Seed:      " << config.seed << "\n"
    << "espeak-ng: " << r.espeak_version << "\n"
    << "The same command, espeak-ng version and libraries give byte-identical files, whatever\n"
    << "--workers.\n\n"
    << "Layout as Google Speech Commands:\n"
    << "  <word>/<speaker>_nohash_<k>.wav  16 kHz mono 16-bit, exactly 16000 samples (1.000 s)\n"
    << "  validation_list.txt, testing_list.txt  the held-out clips; every other clip is train\n"
    << "  _background_noise_/{white,pink,brown}_noise.wav  " << config.noise_seconds
    << " s each; cut silence clips from these\n"
    << "  speakers.txt  speaker id, voice variant, dialect, split\n\n"
    << "Keywords: " << join(config.keywords, " ") << "\n"
    << "Unknown:  " << join(config.unknown_words, " ") << "\n\n"
    << "Speakers: " << config.variants.size() << " espeak-ng voice variants x "
    << config.dialects.size() << " dialects (" << join(config.dialects, " ") << ").\n"
    << "A variant's split is a fixed hash of its name, whatever the seed: " << r.speakers[0]
    << " train, " << r.speakers[1] << " validation,\n"
    << r.speakers[2] << " test speakers. Dialects " << join(config.test_only_dialects, " ")
    << " are spoken by test speakers only.\n\n"
    << "Per clip, drawn from the seed:\n"
    << "  espeak-ng speed -s " << kSpeedMin << ".." << kSpeedMax << " and pitch -p " << kPitchMin
    << ".." << kPitchMax << "\n"
    << "  the word, silence trimmed and resampled to 16 kHz (libsamplerate), peaking at "
    << kPeakMinDb << ".." << kPeakMaxDb << " dBFS\n"
    << "  its onset, uniform over the positions where it fits in the clip\n"
    << "  a white, pink or brown noise bed, a 1 s slice at a uniform offset, added at SNR "
    << kSnrMinDb << ".." << kSnrMaxDb << " dB\n"
    << "  (speech RMS over the word vs noise RMS); a mix peaking above " << kMixPeak
    << " is scaled down to it\n\n"
    << "Clips:\n"
    << counts_table(r);
  core::write_text_file(t.str(), dir / "README.txt");
}

// ---- Parallel rendering ---------------------------------------------------------------------

struct RunState {
  std::atomic<size_t> next{0};
  std::atomic<int64_t> done{0}, skipped{0}, truncated{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable finished;
  int running = 0;
  std::exception_ptr error;
};

void render_worker(const Context& ctx, const std::vector<ClipJob>& plan, RunState& state) {
  try {
    for (size_t i = state.next++; i < plan.size() && !state.stop; i = state.next++) {
      const fs::path path = ctx.config.out / plan[i].path;
      if (clip_on_disk(path)) {
        ++state.skipped;
      } else {
        const RenderedClip clip = render_clip(ctx, plan[i]);
        write_atomically(path, clip.samples);
        if (clip.truncated) ++state.truncated;
      }
      ++state.done;
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (!state.error) state.error = std::current_exception();
    state.stop = true;
  }
  std::lock_guard<std::mutex> lock(state.mutex);
  --state.running;
  state.finished.notify_all();
}

void render_all(const Context& ctx, const std::vector<ClipJob>& plan,
                const std::function<void(const KwsSynthProgress&)>& progress,
                KwsSynthResult& result) {
  const auto start = std::chrono::steady_clock::now();
  RunState state;
  const int workers =
      static_cast<int>(std::min<size_t>(static_cast<size_t>(ctx.config.workers), plan.size()));
  state.running = workers;
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back(render_worker, std::cref(ctx), std::cref(plan), std::ref(state));
  }
  const auto report = [&] {
    if (!progress) return;
    KwsSynthProgress p;
    p.done = state.done;
    p.skipped = state.skipped;
    p.total = static_cast<int64_t>(plan.size());
    p.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress(p);
  };
  {
    std::unique_lock<std::mutex> lock(state.mutex);
    while (state.running > 0) {
      state.finished.wait_for(lock, std::chrono::milliseconds(200));
      if (state.running == 0 || state.error) break;
      lock.unlock();
      report();  // outside the lock: the callback may be slow (terminal output)
      lock.lock();
    }
  }
  for (std::thread& t : threads) t.join();
  if (state.error) std::rethrow_exception(state.error);
  report();
  result.skipped = state.skipped;
  result.truncated = state.truncated;
}

bool valid_word(const std::string& word) {
  return !word.empty() &&
         std::all_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

void check_unique(const std::vector<std::string>& items, const std::string& what) {
  std::set<std::string> seen;
  for (const std::string& s : items) {
    if (!seen.insert(s).second) throw std::invalid_argument(what + " lists '" + s + "' twice");
  }
}

}  // namespace

// ---- Public ---------------------------------------------------------------------------------

const std::vector<std::string>& kws_keywords() {
  static const std::vector<std::string> words = {"yes",   "no", "up",  "down", "left",
                                                 "right", "on", "off", "stop", "go"};
  return words;
}

const std::vector<std::string>& kws_auxiliary_words() {
  static const std::vector<std::string> words = {
      "bed",  "bird", "cat",   "dog",    "eight", "five",  "four", "happy", "house", "marvin",
      "nine", "one",  "seven", "sheila", "six",   "three", "tree", "two",   "wow",   "zero"};
  return words;
}

// espeak-ng 1.51's 101 variant files, less `fast` (its output equals the plain voice, kept as
// "default") and `caleb`, `klatt6` (byte-identical output to `klatt`): 99 voices.
const std::vector<std::string>& kws_synth_variants() {
  static const std::vector<std::string> variants = {
      "default",      "Alex",       "Alicia",     "Andrea",    "Andy",        "Annie",
      "AnxiousAndy",  "Demonic",    "Denis",      "Diogo",     "Gene",        "Gene2",
      "Henrique",     "Hugo",       "Jacky",      "Lee",       "Marco",       "Mario",
      "Michael",      "Mike",       "Mr serious", "Nguyen",    "RicishayMax", "RicishayMax2",
      "RicishayMax3", "Storm",      "Tweaky",     "UniRobot",  "adam",        "anika",
      "anikaRobot",   "announcer",  "antonio",    "aunty",     "belinda",     "benjamin",
      "boris",        "croak",      "david",      "ed",        "edward",      "edward2",
      "f1",           "f2",         "f3",         "f4",        "f5",          "grandma",
      "grandpa",      "gustave",    "iven",       "iven2",     "iven3",       "iven4",
      "john",         "kaukovalta", "klatt",      "klatt2",    "klatt3",      "klatt4",
      "klatt5",       "linda",      "m1",         "m2",        "m3",          "m4",
      "m5",           "m6",         "m7",         "m8",        "marcelo",     "max",
      "michel",       "miguel",     "norbert",    "pablo",     "paul",        "pedro",
      "quincy",       "rob",        "robert",     "robosoft",  "robosoft2",   "robosoft3",
      "robosoft4",    "robosoft5",  "robosoft6",  "robosoft7", "robosoft8",   "sandro",
      "shelby",       "steph",      "steph2",     "steph3",    "travis",      "victor",
      "whisper",      "whisperf",   "zac"};
  return variants;
}

const std::vector<std::string>& kws_synth_dialects() {
  static const std::vector<std::string> dialects = {
      "en-us",          "en-gb",          "en-gb-scotland", "en-gb-x-rp",
      "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029",         "en-us-nyc"};
  return dialects;
}

int KwsSynthConfig::unknown_clips_per_word() const {
  if (clips_per_unknown > 0 || unknown_words.empty()) return clips_per_unknown;
  const auto n = static_cast<int64_t>(unknown_words.size());
  return static_cast<int>((3 * static_cast<int64_t>(clips_per_keyword) + 2 * n - 1) / (2 * n));
}

std::string KwsSynthConfig::canonical() const {
  char noise[32];
  std::snprintf(noise, sizeof noise, "%.17g", noise_seconds);
  return "generator=kws-synth " + std::to_string(kGeneratorVersion) +
         "\nseed=" + std::to_string(seed) +
         "\nclips_per_keyword=" + std::to_string(clips_per_keyword) +
         "\nclips_per_unknown=" + std::to_string(unknown_clips_per_word()) +
         "\nkeywords=" + join(keywords, ",") + "\nunknown_words=" + join(unknown_words, ",") +
         "\nvariants=" + join(variants, ",") + "\ndialects=" + join(dialects, ",") +
         "\ntest_only_dialects=" + join(test_only_dialects, ",") + "\nnoise_seconds=" + noise +
         "\n";
}

std::string KwsSynthConfig::command() const {
  const KwsSynthConfig defaults;
  std::string cmd = "mpgru data kws-synth --out DIR --seed " + std::to_string(seed) + " --clips " +
                    std::to_string(clips_per_keyword) + " --unknown-clips " +
                    std::to_string(unknown_clips_per_word());
  if (keywords != defaults.keywords || unknown_words != defaults.unknown_words ||
      variants != defaults.variants || dialects != defaults.dialects ||
      test_only_dialects != defaults.test_only_dialects ||
      noise_seconds != defaults.noise_seconds) {
    cmd += " (with other words, voices or noise lengths through the C++ API: see .kws-synth)";
  }
  return cmd;
}

void validate(const KwsSynthConfig& c) {
  if (c.out.empty()) throw std::invalid_argument("kws-synth: --out is required");
  if (c.clips_per_keyword < 1) {
    throw std::invalid_argument("kws-synth: --clips must be >= 1, got " +
                                std::to_string(c.clips_per_keyword));
  }
  if (c.clips_per_unknown < 0) {
    throw std::invalid_argument("kws-synth: --unknown-clips must be >= 0, got " +
                                std::to_string(c.clips_per_unknown));
  }
  if (c.workers < 1 || c.workers > 256) {
    throw std::invalid_argument("kws-synth: --workers must be in 1..256, got " +
                                std::to_string(c.workers));
  }
  if (c.keywords.empty()) throw std::invalid_argument("kws-synth: no keywords");
  std::vector<std::string> words = c.keywords;
  words.insert(words.end(), c.unknown_words.begin(), c.unknown_words.end());
  for (const std::string& w : words) {
    if (!valid_word(w)) {
      throw std::invalid_argument("kws-synth: word '" + w + "' is not lower-case letters a-z");
    }
  }
  check_unique(words, "kws-synth: the keywords and unknown words");
  if (c.variants.empty() || c.dialects.empty()) {
    throw std::invalid_argument("kws-synth: no voice variants or no dialects");
  }
  check_unique(c.variants, "kws-synth: the voice variants");
  check_unique(c.dialects, "kws-synth: the dialects");
  for (const std::string& d : c.test_only_dialects) {
    if (std::find(c.dialects.begin(), c.dialects.end(), d) == c.dialects.end()) {
      throw std::invalid_argument("kws-synth: test-only dialect '" + d + "' is not a dialect");
    }
  }
  if (c.test_only_dialects.size() >= c.dialects.size()) {
    throw std::invalid_argument("kws-synth: every dialect is test-only");
  }
  if (!(c.noise_seconds >= 1.0 && c.noise_seconds <= 3600.0)) {
    throw std::invalid_argument("kws-synth: noise_seconds must be in 1..3600");
  }
  const std::vector<KwsSynthSpeaker> speakers = kws_synth_speakers(c);
  for (int s = 0; s < 3; ++s) {
    const auto split = static_cast<Split>(s);
    if (std::none_of(speakers.begin(), speakers.end(),
                     [&](const KwsSynthSpeaker& k) { return k.split == split; })) {
      throw std::invalid_argument(std::string("kws-synth: no ") + to_string(split) +
                                  " speakers among the " + std::to_string(c.variants.size()) +
                                  " voice variants");
    }
  }
}

Split kws_synth_variant_split(const std::string& variant) {
  const uint64_t bucket = fnv1a(variant) % 100;
  return bucket < 70 ? Split::train : bucket < 85 ? Split::validation : Split::test;
}

std::vector<KwsSynthSpeaker> kws_synth_speakers(const KwsSynthConfig& config) {
  std::vector<KwsSynthSpeaker> speakers;
  std::set<std::string> ids;
  for (const std::string& variant : config.variants) {
    const Split split = kws_synth_variant_split(variant);
    for (const std::string& dialect : config.dialects) {
      const bool test_only =
          std::find(config.test_only_dialects.begin(), config.test_only_dialects.end(), dialect) !=
          config.test_only_dialects.end();
      if (test_only && split != Split::test) continue;
      KwsSynthSpeaker s{speaker_id(variant, dialect), variant, dialect, split};
      if (!ids.insert(s.id).second) {
        throw std::logic_error("kws-synth: speaker id " + s.id + " of " + variant + "/" + dialect +
                               " collides");
      }
      speakers.push_back(std::move(s));
    }
  }
  return speakers;
}

void check_kws_synth_folder(const KwsSynthConfig& config) {
  const fs::path& dir = config.out;
  if (fs::exists(dir) && !fs::is_directory(dir)) {
    throw std::invalid_argument("kws-synth: " + dir.string() + " exists and is not a folder");
  }
  if (!fs::exists(dir) || fs::is_empty(dir)) return;
  if (!fs::exists(dir / kConfigFile)) {
    throw std::invalid_argument("kws-synth: " + dir.string() +
                                " is not empty and holds no kws-synth output; choose a new or "
                                "empty folder");
  }
  const std::string previous = read_text(dir / kConfigFile);
  // Empty: a run stopped between creating and writing it.
  if (!previous.empty() && previous != config.canonical()) {
    throw std::invalid_argument("kws-synth: " + dir.string() +
                                " holds a kws-synth set made with another configuration (see " +
                                (dir / kConfigFile).string() +
                                "); choose another folder or delete it");
  }
}

KwsSynthResult generate_kws_synth(const KwsSynthConfig& config,
                                  const std::function<void(const KwsSynthProgress&)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  validate(config);
  const EspeakInfo espeak = probe_espeak(config.espeak);
  check_espeak_voices(config.espeak, espeak, config.dialects, config.variants);
  const std::unique_ptr<Fd> lock = prepare_folder(config);
  remove_temporaries(config.out);

  Context ctx{config, config.keywords, kws_synth_speakers(config), {}};
  ctx.words.insert(ctx.words.end(), config.unknown_words.begin(), config.unknown_words.end());
  const std::vector<ClipJob> plan = make_plan(config, ctx.words, ctx.speakers);

  KwsSynthResult result;
  result.espeak_version = espeak.version;
  result.clips = static_cast<int64_t>(plan.size());
  for (const std::string& w : ctx.words) result.counts.push_back({w, {0, 0, 0}});
  for (const ClipJob& job : plan) ++result.counts[job.word].split[static_cast<int>(job.split)];
  for (const KwsSynthSpeaker& s : ctx.speakers) ++result.speakers[static_cast<int>(s.split)];

  fs::create_directories(config.out / kNoiseDir);
  const auto noise_samples = static_cast<size_t>(std::lround(config.noise_seconds * kRate));
  for (int type = 0; type < 3; ++type) {
    const std::string name = kNoiseNames[type];
    ctx.noise.push_back(noise_bed(static_cast<NoiseColour>(type),
                                  derive_seed(config.seed, "noise/" + name), noise_samples,
                                  kNoiseBedRms));
    write_atomically(config.out / kNoiseDir / (name + "_noise.wav"), ctx.noise.back());
  }
  for (const std::string& w : ctx.words) fs::create_directories(config.out / w);

  render_all(ctx, plan, progress, result);
  write_lists(config.out, plan);
  write_speakers(config.out, ctx.speakers);
  write_readme(config.out, config, result);
  core::write_text_file("kws-synth complete: " + std::to_string(result.clips) + " clips\n",
                        config.out / kCompleteFile);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace mpgru::data
