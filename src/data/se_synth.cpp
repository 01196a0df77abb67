// The speech-enhancement generator: a plan fixed by the seed (sentences, speakers, noises,
// SNRs), babble pools rendered first, then every clip a pure function of its plan entry,
// rendered in parallel into OUT.partial.
#include "data/se_synth.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "audio/wav_file.hpp"
#include "core/text_file.hpp"
#include "data/espeak.hpp"
#include "data/kws_synth.hpp"
#include "data/noise_bed.hpp"
#include "data/synth_random.hpp"

namespace mpgru::data {
namespace fs = std::filesystem;

namespace {

constexpr int kRate = 16000;
constexpr int kGeneratorVersion = 1;
constexpr const char* kConfigFile = ".se-synth";
constexpr int kSpeedMin = 130, kSpeedMax = 200;
constexpr int kPitchMin = 20, kPitchMax = 80;
constexpr double kPeakMinDb = -20, kPeakMaxDb = -3;
constexpr int kWordsMin = 2, kWordsMax = 5;
constexpr int kBabblePool = 40;    // sentences per split
constexpr int kBabbleVoices = 4;   // summed per clip
constexpr double kNoiseRms = 0.1;  // before the SNR gain
constexpr double kMixPeak = 0.99;
const char* const kSplitNames[3] = {"train", "validation", "test"};
const char* const kNoiseNames[4] = {"white", "pink", "brown", "babble"};

struct Utterance {
  size_t speaker = 0;
  std::string text;
  int speed = 0, pitch = 0;
};

struct ClipJob {
  int split = 0;
  std::string id;
  Utterance speech;
  uint64_t seed = 0;  // onset, level, noise, SNR
};

struct Plan {
  std::vector<KwsSynthSpeaker> speakers;
  std::vector<ClipJob> clips;
  std::vector<Utterance> babble[3];
};

std::string sentence(Rng& rng, const std::vector<std::string>& words) {
  const auto n = rng.integer(kWordsMin, kWordsMax);
  std::string out;
  for (int64_t i = 0; i < n; ++i) {
    out += (i ? " " : "") +
           words[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(words.size()) - 1))];
  }
  return out;
}

Utterance draw_utterance(Rng& rng, size_t speaker, const std::vector<std::string>& words) {
  Utterance u;
  u.speaker = speaker;
  u.text = sentence(rng, words);
  u.speed = static_cast<int>(rng.integer(kSpeedMin, kSpeedMax));
  u.pitch = static_cast<int>(rng.integer(kPitchMin, kPitchMax));
  return u;
}

std::vector<size_t> speakers_of(const std::vector<KwsSynthSpeaker>& speakers, int split) {
  std::vector<size_t> out;
  for (size_t i = 0; i < speakers.size(); ++i) {
    if (static_cast<int>(speakers[i].split) == split) out.push_back(i);
  }
  return out;
}

Plan make_plan(const SeSynthConfig& c, const std::vector<std::string>& words) {
  KwsSynthConfig voices;
  voices.variants = c.variants;
  voices.dialects = c.dialects;
  voices.test_only_dialects = c.test_only_dialects;
  Plan plan;
  plan.speakers = kws_synth_speakers(voices);
  for (int s = 0; s < 3; ++s) {
    const std::vector<size_t> own = speakers_of(plan.speakers, s);
    if (own.empty()) {
      throw std::invalid_argument(std::string("se-synth: no ") + kSplitNames[s] +
                                  " speakers among the voice variants");
    }
    Rng rng(derive_seed(c.seed, std::string("plan/") + kSplitNames[s]));
    for (int k = 0; k < kBabblePool; ++k) {
      plan.babble[s].push_back(
          draw_utterance(rng, own[static_cast<size_t>(k) % own.size()], words));
    }
    for (int k = 0; k < c.clips[s]; ++k) {
      ClipJob job;
      job.split = s;
      const size_t speaker =
          own[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(own.size()) - 1))];
      job.speech = draw_utterance(rng, speaker, words);
      job.seed = rng.next();
      char id[32];
      std::snprintf(id, sizeof id, "%s_%05d", plan.speakers[speaker].id.c_str(), k);
      job.id = id;
      plan.clips.push_back(std::move(job));
    }
  }
  return plan;
}

std::vector<float> speak(const SeSynthConfig& c, const Plan& plan, const Utterance& u) {
  const KwsSynthSpeaker& s = plan.speakers[u.speaker];
  return espeak_speak(c.espeak, u.text, espeak_voice_name(s.dialect, s.variant), u.speed, u.pitch,
                      kRate, "sentence");
}

float peak_of(const std::vector<float>& x) {
  float peak = 0;
  for (float v : x) peak = std::max(peak, std::fabs(v));
  return peak;
}

// Four pool utterances at random offsets (wrapping), each at the same RMS, summed and normalised.
std::vector<float> babble(const std::vector<std::vector<float>>& pool, Rng& rng, size_t n) {
  std::vector<double> sum(n, 0.0);
  for (int v = 0; v < kBabbleVoices; ++v) {
    const std::vector<float>& u =
        pool[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(pool.size()) - 1))];
    const double gain = kNoiseRms / std::max(1e-9, rms(u.data(), u.size()));
    const auto offset = static_cast<size_t>(rng.integer(0, static_cast<int64_t>(u.size()) - 1));
    for (size_t i = 0; i < n; ++i) sum[i] += gain * u[(offset + i) % u.size()];
  }
  double power = 0;
  for (double v : sum) power += v * v;
  const double gain = kNoiseRms / std::max(1e-9, std::sqrt(power / static_cast<double>(n)));
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(sum[i] * gain);
  return out;
}

struct Rendered {
  std::vector<float> clean, noisy;
  int noise = 0;
  double snr_db = 0;
  bool truncated = false;
};

Rendered render(const SeSynthConfig& c, const Plan& plan, const ClipJob& job,
                const std::vector<std::vector<float>>& pool) {
  const auto n = static_cast<size_t>(c.clip_samples());
  std::vector<float> speech = speak(c, plan, job.speech);
  Rendered out;
  if (speech.size() > n) {  // a long sentence: cut with a 20 ms fade-out
    out.truncated = true;
    speech.resize(n);
    const size_t fade = kRate / 50;
    for (size_t i = 0; i < fade; ++i) speech[n - 1 - i] *= static_cast<float>(i) / fade;
  }
  Rng rng(job.seed);
  const double peak_db = rng.uniform(kPeakMinDb, kPeakMaxDb);
  out.snr_db = rng.uniform(c.snr_min_db, c.snr_max_db);
  out.noise = static_cast<int>(rng.integer(0, 3));
  const auto onset = static_cast<size_t>(rng.integer(0, static_cast<int64_t>(n - speech.size())));
  const double speech_gain = std::pow(10.0, peak_db / 20.0) / std::max(1e-9f, peak_of(speech));
  const std::vector<float> noise =
      out.noise == 3 ? babble(pool, rng, n)
                     : noise_bed(static_cast<NoiseColour>(out.noise), rng.next(), n, kNoiseRms);
  const double speech_rms = speech_gain * rms(speech.data(), speech.size());
  const double noise_rms = rms(noise.data() + onset, speech.size());
  const double noise_gain =
      speech_rms / (std::max(1e-9, noise_rms) * std::pow(10.0, out.snr_db / 20.0));
  out.clean.assign(n, 0.0f);
  out.noisy.resize(n);
  for (size_t i = 0; i < speech.size(); ++i)
    out.clean[onset + i] = static_cast<float>(speech_gain * speech[i]);
  for (size_t i = 0; i < n; ++i)
    out.noisy[i] = static_cast<float>(out.clean[i] + noise_gain * noise[i]);
  const float mix_peak = peak_of(out.noisy);
  if (mix_peak > kMixPeak) {
    const float scale = static_cast<float>(kMixPeak) / mix_peak;
    for (size_t i = 0; i < n; ++i) {
      out.clean[i] *= scale;
      out.noisy[i] *= scale;
    }
  }
  return out;
}

std::string csv_field(const std::string& text) {
  return text.find_first_of(",\"") == std::string::npos ? text : "\"" + text + "\"";
}

// Renders jobs [0, n) on `workers` threads: `work(i)` for each, progress on the calling thread.
void run_parallel(size_t n, int workers, const std::function<void(size_t)>& work,
                  const std::function<void(size_t)>& progress) {
  std::atomic<size_t> next{0}, done{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t i; (i = next++) < n;) {
        try {
          work(i);
        } catch (...) {
          const std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
          next = n;
        }
        ++done;
      }
    });
  }
  while (done < n) {
    {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (error) break;
    }
    if (progress) progress(done);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (std::thread& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  if (progress) progress(n);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_readme(const fs::path& dir, const SeSynthConfig& c, const SeSynthResult& r) {
  std::ostringstream t;
  t << "Synthetic speech enhancement set written by `mpgru data se-synth` (mpgru).\n\n"
    << "Clean speech: espeak-ng (" << r.espeak_version << ") sentences of " << kWordsMin << ".."
    << kWordsMax << " words drawn from " << c.words.string() << " (" << r.vocabulary
    << " words), speakers = voice variant x English dialect, disjoint across splits (speakers: "
    << r.speakers[0] << " train, " << r.speakers[1] << " validation, " << r.speakers[2]
    << " test).\nNoise: white, pink, brown (synthesized) or babble (4 other utterances of the "
       "split), one per clip, at an SNR uniform in ["
    << c.snr_min_db << ", " << c.snr_max_db << "] dB over the utterance.\n"
    << "Clips: " << c.clip_seconds << " s, 16 kHz mono 16-bit; train " << r.clips[0]
    << ", validation " << r.clips[1] << ", test " << r.clips[2] << "; " << r.truncated
    << " sentences cut to the clip length.\n\nLayout: <split>/clean/<id>.wav, "
       "<split>/noisy/<id>.wav, <split>/clips.csv (id,speaker,noise,snr_db,text).\n"
    << "Config (.se-synth):\n"
    << c.canonical();
  core::write_text_file(t.str(), dir / "README.txt");
}

}  // namespace

SeSynthConfig::SeSynthConfig() : variants(kws_synth_variants()), dialects(kws_synth_dialects()) {}

int SeSynthConfig::clip_samples() const {
  return static_cast<int>(std::lround(clip_seconds * kRate));
}

std::string SeSynthConfig::canonical() const {
  auto join = [](const std::vector<std::string>& v) {
    std::string text;
    for (const std::string& item : v) text += (text.empty() ? "" : ",") + item;
    return text;
  };
  char numbers[160];
  std::snprintf(numbers, sizeof numbers, "clip_seconds=%.17g\nsnr_min_db=%.17g\nsnr_max_db=%.17g\n",
                clip_seconds, snr_min_db, snr_max_db);
  return "generator=se-synth " + std::to_string(kGeneratorVersion) +
         "\nseed=" + std::to_string(seed) + "\nclips=" + std::to_string(clips[0]) + "," +
         std::to_string(clips[1]) + "," + std::to_string(clips[2]) + "\n" + numbers +
         "words=" + words.string() + "\nvariants=" + join(variants) +
         "\ndialects=" + join(dialects) + "\ntest_only_dialects=" + join(test_only_dialects) + "\n";
}

void validate(const SeSynthConfig& c) {
  if (c.out.empty()) throw std::invalid_argument("se-synth: --out is required");
  for (int s = 0; s < 3; ++s) {
    if (c.clips[s] < 1 || c.clips[s] > 1000000) {
      throw std::invalid_argument(std::string("se-synth: --") + kSplitNames[s] +
                                  " clips must be in 1..1000000, got " +
                                  std::to_string(c.clips[s]));
    }
  }
  if (!(c.clip_seconds >= 0.5 && c.clip_seconds <= 30.0)) {
    throw std::invalid_argument("se-synth: --clip-seconds must be in [0.5, 30]");
  }
  if (!(c.snr_min_db <= c.snr_max_db && c.snr_min_db >= -30 && c.snr_max_db <= 60)) {
    throw std::invalid_argument("se-synth: the SNR range must satisfy -30 <= min <= max <= 60 dB");
  }
  if (c.workers < 1 || c.workers > 256) {
    throw std::invalid_argument("se-synth: --workers must be in 1..256, got " +
                                std::to_string(c.workers));
  }
  if (c.variants.empty() || c.dialects.empty()) throw std::invalid_argument("se-synth: no voices");
}

std::vector<std::string> se_synth_words(const fs::path& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("se-synth: cannot read the word list " + path.string() +
                             " (Debian package wamerican; scripts/setup.sh installs it)");
  }
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.size() >= 3 && line.size() <= 9 &&
        std::all_of(line.begin(), line.end(), [](char ch) { return ch >= 'a' && ch <= 'z'; })) {
      out.push_back(line);
    }
  }
  if (out.size() < 100) {
    throw std::runtime_error("se-synth: " + path.string() + " holds " + std::to_string(out.size()) +
                             " usable words (lower-case a-z, 3..9 letters), fewer than 100");
  }
  return out;
}

SeSynthResult generate_se_synth(const SeSynthConfig& c,
                                const std::function<void(const SeSynthProgress&)>& progress) {
  validate(c);
  SeSynthResult result;
  if (fs::exists(c.out)) {
    if (fs::exists(c.out / kConfigFile) && read_text(c.out / kConfigFile) == c.canonical()) {
      result.existed = true;
      return result;
    }
    throw std::invalid_argument("se-synth: " + c.out.string() +
                                " exists and is not a se-synth set of this config; remove it or "
                                "choose another --out");
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> words = se_synth_words(c.words);
  const EspeakInfo espeak = probe_espeak(c.espeak);
  check_espeak_voices(c.espeak, espeak, c.dialects, c.variants);
  const Plan plan = make_plan(c, words);
  result.espeak_version = espeak.version;
  result.vocabulary = static_cast<int64_t>(words.size());
  for (const KwsSynthSpeaker& s : plan.speakers) ++result.speakers[static_cast<int>(s.split)];

  fs::path partial = c.out;
  partial += ".partial";
  fs::remove_all(partial);
  for (const char* split : kSplitNames) {
    fs::create_directories(partial / split / "clean");
    fs::create_directories(partial / split / "noisy");
  }
  const size_t pool_size = static_cast<size_t>(kBabblePool);
  const size_t total = 3 * pool_size + plan.clips.size();
  auto report = [&](size_t done) {
    if (!progress) return;
    progress({static_cast<int64_t>(done), static_cast<int64_t>(total),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()});
  };
  std::vector<std::vector<float>> pools[3];
  for (auto& p : pools) p.resize(pool_size);
  run_parallel(
      3 * pool_size, c.workers,
      [&](size_t i) {
        pools[i / pool_size][i % pool_size] =
            speak(c, plan, plan.babble[i / pool_size][i % pool_size]);
      },
      report);
  std::vector<std::string> rows(plan.clips.size());
  std::atomic<int64_t> truncated{0};
  run_parallel(
      plan.clips.size(), c.workers,
      [&](size_t i) {
        const ClipJob& job = plan.clips[i];
        const Rendered r = render(c, plan, job, pools[job.split]);
        const fs::path dir = partial / kSplitNames[job.split];
        audio::write_wav_pcm16(dir / "clean" / (job.id + ".wav"), r.clean, kRate);
        audio::write_wav_pcm16(dir / "noisy" / (job.id + ".wav"), r.noisy, kRate);
        char snr[32];
        std::snprintf(snr, sizeof snr, "%.3f", r.snr_db);
        rows[i] = job.id + "," + plan.speakers[job.speech.speaker].id + "," + kNoiseNames[r.noise] +
                  "," + snr + "," + csv_field(job.speech.text) + "\n";
        if (r.truncated) ++truncated;
      },
      [&](size_t done) { report(3 * pool_size + done); });
  for (int s = 0; s < 3; ++s) {
    std::string csv = "id,speaker,noise,snr_db,text\n";
    for (size_t i = 0; i < plan.clips.size(); ++i) {
      if (plan.clips[i].split == s) csv += rows[i];
    }
    core::write_text_file(csv, partial / kSplitNames[s] / "clips.csv");
    result.clips[s] = c.clips[s];
  }
  result.truncated = truncated;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_readme(partial, c, result);
  core::write_text_file(c.canonical(), partial / kConfigFile);
  fs::rename(partial, c.out);
  return result;
}

}  // namespace mpgru::data
