// `mpgru data`: data-set tools; `mpgru data kws-synth` writes the synthetic speech-commands set,
// `mpgru data se-synth` the synthetic speech-enhancement set.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/data_describe.hpp"
#include "cli/data_to_npz.hpp"
#include "cli/progress_bar.hpp"
#include "data/kws_synth.hpp"
#include "data/se_synth.hpp"
#include "data/task.hpp"

namespace mpgru::cli {
namespace {

struct KwsSynthArgs {
  data::KwsSynthConfig config;
  std::string out;  // empty: <data folder>/kws, where `--task kws` looks
};

std::string summary(const data::KwsSynthConfig& c, const data::KwsSynthResult& r) {
  int64_t split[3] = {0, 0, 0};
  for (const auto& w : r.counts) {
    for (int s = 0; s < 3; ++s) split[s] += w.split[s];
  }
  char line[512];
  std::snprintf(line, sizeof line,
                "wrote %lld clips (%zu keywords x %d, %zu unknown words x %d; train %lld / "
                "validation %lld / test %lld) and 3 noise beds to %s in %s",
                static_cast<long long>(r.clips), c.keywords.size(), c.clips_per_keyword,
                c.unknown_words.size(), c.unknown_clips_per_word(),
                static_cast<long long>(split[0]), static_cast<long long>(split[1]),
                static_cast<long long>(split[2]), c.out.string().c_str(),
                format_duration(r.seconds).c_str());
  std::string text = line;
  if (r.skipped > 0) text += "; " + std::to_string(r.skipped) + " clips were already on disk";
  if (r.truncated > 0) {
    text += "; " + std::to_string(r.truncated) + " words longer than 1 s were cut";
  }
  return text + "\nspeakers: " + std::to_string(r.speakers[0]) + " train, " +
         std::to_string(r.speakers[1]) + " validation, " + std::to_string(r.speakers[2]) +
         " test; see " + (c.out / "README.txt").string();
}

int run_kws_synth(KwsSynthArgs args) {
  data::KwsSynthConfig& c = args.config;
  c.out = args.out.empty() ? data::default_data_dir() / "kws" : std::filesystem::path(args.out);
  data::validate(c);
  data::check_kws_synth_folder(c);
  ProgressBar bar(std::cout, stdout_is_terminal());
  bar.log("mpgru data kws-synth: " + c.out.string() + ", seed " + std::to_string(c.seed) + ", " +
          std::to_string(c.clips_per_keyword) + " clips per keyword, " +
          std::to_string(c.unknown_clips_per_word()) + " per unknown word, " +
          std::to_string(c.workers) + " workers");
  int64_t next_log = 0;  // without a terminal: a line every 10 %
  const data::KwsSynthResult result =
      data::generate_kws_synth(c, [&](const data::KwsSynthProgress& p) {
        const int64_t rendered = p.done - p.skipped;
        const double eta = rendered > 0 ? p.elapsed_seconds / static_cast<double>(rendered) *
                                              static_cast<double>(p.total - p.done)
                                        : 0.0;
        const std::string detail = std::to_string(p.done) + "/" + std::to_string(p.total) +
                                   " clips, " + format_duration(p.elapsed_seconds);
        bar.update("kws-synth", static_cast<double>(p.done) / static_cast<double>(p.total), detail,
                   eta);
        if (!stdout_is_terminal() && p.done >= next_log) {
          bar.log(detail + ", ETA " + format_duration(eta));
          next_log = p.done + std::max<int64_t>(1, p.total / 10);
        }
      });
  bar.clear();
  std::cout << summary(c, result) << '\n';
  return kExitOk;
}

struct SeSynthArgs {
  data::SeSynthConfig config;
  std::string out;  // empty: <data folder>/se
};

int run_se_synth(SeSynthArgs args) {
  data::SeSynthConfig& c = args.config;
  c.out = args.out.empty() ? data::default_data_dir() / "se" : std::filesystem::path(args.out);
  data::validate(c);
  ProgressBar bar(std::cout, stdout_is_terminal());
  bar.log("mpgru data se-synth: " + c.out.string() + ", seed " + std::to_string(c.seed) + ", " +
          std::to_string(c.clips[0]) + " / " + std::to_string(c.clips[1]) + " / " +
          std::to_string(c.clips[2]) + " clips of " + std::to_string(c.clip_seconds).substr(0, 4) +
          " s, " + std::to_string(c.workers) + " workers");
  int64_t next_log = 0;
  const data::SeSynthResult r = data::generate_se_synth(c, [&](const data::SeSynthProgress& p) {
    const double eta = p.done > 0 ? p.elapsed_seconds / static_cast<double>(p.done) *
                                        static_cast<double>(p.total - p.done)
                                  : 0.0;
    const std::string detail = std::to_string(p.done) + "/" + std::to_string(p.total) +
                               " utterances, " + format_duration(p.elapsed_seconds);
    bar.update("se-synth", static_cast<double>(p.done) / static_cast<double>(p.total), detail, eta);
    if (!stdout_is_terminal() && p.done >= next_log) {
      bar.log(detail + ", ETA " + format_duration(eta));
      next_log = p.done + std::max<int64_t>(1, p.total / 10);
    }
  });
  bar.clear();
  if (r.existed) {
    std::cout << c.out.string() << " already holds this se-synth set; nothing to do\n";
    return kExitOk;
  }
  std::cout << "wrote " << r.clips[0] + r.clips[1] + r.clips[2] << " clean/noisy pairs (train "
            << r.clips[0] << " / validation " << r.clips[1] << " / test " << r.clips[2] << ") to "
            << c.out.string() << " in " << format_duration(r.seconds) << "; speakers "
            << r.speakers[0] << " / " << r.speakers[1] << " / " << r.speakers[2] << ", "
            << r.truncated << " sentences cut to the clip; see " << (c.out / "README.txt").string()
            << "\n";
  return kExitOk;
}

void add_se_synth(CLI::App* app, SeSynthArgs& args) {
  data::SeSynthConfig& c = args.config;
  app->add_option("--out,-o", args.out,
                  "Output folder (default: <data folder>/se; must not exist, or hold this very "
                  "set)");
  app->add_option("--seed", c.seed, "Seed (same seed: byte-identical files)")
      ->capture_default_str();
  app->add_option("--train", c.clips[0], "Training clips")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app->add_option("--validation", c.clips[1], "Validation clips")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app->add_option("--test", c.clips[2], "Test clips")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app->add_option("--clip-seconds", c.clip_seconds, "Clip length")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 30.0));
  app->add_option("--snr-min", c.snr_min_db, "Lowest SNR, dB")->capture_default_str();
  app->add_option("--snr-max", c.snr_max_db, "Highest SNR, dB")->capture_default_str();
  app->add_option("--words", c.words, "Word list the sentences are drawn from (Debian wamerican)")
      ->capture_default_str();
  app->add_option("--workers", c.workers, "Parallel espeak-ng processes (output is the same)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
}

}  // namespace

Command add_data_command(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "data",
      "Data-set tools (kws-synth: synthetic speech commands; se-synth: noisy speech; describe: "
      "what a data file holds; to-npz: a task as a data file)");
  app->require_subcommand(1);

  auto synth = std::make_shared<KwsSynthArgs>();
  data::KwsSynthConfig& c = synth->config;
  CLI::App* kws = app->add_subcommand(
      "kws-synth",
      "Write a synthetic Speech Commands set (espeak-ng voices x dialects, noise, 1 s clips)");
  kws->add_option(
      "--out,-o", synth->out,
      "Output folder (default: <data folder>/kws, read by --task kws; must be new, empty or an "
      "interrupted kws-synth run, which is continued)");
  kws->add_option("--seed", c.seed, "Seed (same seed: byte-identical files)")
      ->capture_default_str();
  kws->add_option("--clips", c.clips_per_keyword, "Clips per keyword, all splits (~70/15/15)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  kws->add_option("--unknown-clips", c.clips_per_unknown,
                  "Clips per unknown word (0: 1.5 x --clips over all unknown words together)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  kws->add_option("--workers", c.workers, "Parallel espeak-ng processes (output is the same)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  auto se_args = std::make_shared<SeSynthArgs>();
  CLI::App* se = app->add_subcommand(
      "se-synth",
      "Write a synthetic speech-enhancement set (espeak-ng sentences + noise at -5..15 dB SNR, "
      "clean/noisy pairs)");
  add_se_synth(se, *se_args);
  auto describe_args = std::make_shared<DescribeArgs>();
  CLI::App* describe = add_data_describe(app, *describe_args);
  auto to_npz_args = std::make_shared<ToNpzArgs>();
  CLI::App* to_npz = add_data_to_npz(app, *to_npz_args);
  return {app, [synth, se_args, se, describe_args, describe, to_npz_args, to_npz] {
            if (describe->parsed()) return run_data_describe(*describe_args);
            if (to_npz->parsed()) return run_data_to_npz(*to_npz_args);
            return se->parsed() ? run_se_synth(*se_args) : run_kws_synth(*synth);
          }};
}

}  // namespace mpgru::cli
