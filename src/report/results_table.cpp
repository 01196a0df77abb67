// The results table: each task's run folders read into rows (the headline rule applied to every
// seed's run), then RESULTS.md and one gnuplot multiplot of the fronts.
#include "report/results_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/file_hash.hpp"
#include "core/json_file.hpp"
#include "core/text_file.hpp"
#include "report/front_file.hpp"
#include "report/gnuplot.hpp"
#include "report/headline.hpp"
#include "report/report_format.hpp"

namespace mpgru::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One seed's search: its file and the headline rule applied to it. Held by pointer: the
// Headline points into the file.
struct RunResult {
  unsigned seed = 0;
  fs::path dir;
  FrontFile file;
  Headline headline;
};

struct TaskResult {
  const ResultsTask* task = nullptr;
  double float_accuracy = 0, float_seconds = 0;
  double float_balanced = -1;  // -1: not recorded (runs from before balanced accuracy)
  // Per-step (enhancement) models: the float model's test SI-SDR and STOI improvements.
  double float_sisdri = 0, float_stoi_gain = 0;
  double float_r2 = 0;         // per-step models of a data file: the test target R^2
  bool float_quality = false;  // metrics.json has them
  std::vector<std::unique_ptr<RunResult>> runs;
  // Scored on an enhancement quality (report/metric.hpp), not accuracy: its own table.
  bool quality() const { return !runs.empty() && !runs.front()->file.metric.is_accuracy(); }
};

// ---- reading ------------------------------------------------------------------------------

// mpgru train writes metrics.json after every epoch with the test figures at zero.
bool training_finished(const json& metrics) {
  return metrics.value("test_accuracy", 0.0) > 0 || metrics.value("test_loss", 0.0) > 0;
}

json read_required(const fs::path& path, const std::string& hint) {
  if (!fs::exists(path)) throw std::runtime_error(path.string() + ": missing; " + hint);
  return core::read_json_file(path);  // names the file if it is not JSON
}

void read_float(const ResultsTask& task, TaskResult& r) {
  const fs::path path = task.float_dir / "metrics.json";
  const json metrics = read_required(
      path, "train the float model first (mpgru train --out " + task.float_dir.string() + ")");
  try {
    r.float_accuracy = metrics.at("test_accuracy").get<double>();
    r.float_seconds = metrics.value("total_seconds", 0.0);
    r.float_balanced = metrics.value("test_balanced_accuracy", -1.0);
    if (metrics.contains("quality")) {
      const json& q = metrics.at("quality").at("test");
      if (q.contains("r2")) {
        r.float_r2 = q.at("r2").get<double>();
      } else {
        r.float_sisdri = q.at("si_sdri").get<double>();
        r.float_stoi_gain = q.at("stoi_enhanced").get<double>() - q.at("stoi_noisy").get<double>();
      }
      r.float_quality = true;
    }
  } catch (const json::exception& e) {
    throw std::runtime_error(path.string() + ": not mpgru train metrics: " + e.what());
  }
  if (!training_finished(metrics)) {
    throw std::runtime_error(path.string() +
                             ": the training has not finished (no test accuracy yet); train again");
  }
}

void check_checkpoint(const ResultsTask& task, const fs::path& front_json, const std::string& hash,
                      const std::string& actual) {
  if (hash.empty() || actual.empty() || actual == hash) return;
  throw std::runtime_error(front_json.string() + ": the search ran on a float checkpoint with " +
                           "hash " + hash + ", but " + (task.float_dir / "checkpoint").string() +
                           " hashes to " + actual +
                           " (retrained after the search, or runs of different models)");
}

// The checkpoint's hash as the search keys it, or "" if it cannot be read.
std::string checkpoint_hash(const fs::path& checkpoint) {
  try {
    return fs::exists(checkpoint) ? core::file_hash(checkpoint) : std::string();
  } catch (const std::runtime_error&) {
    return "";
  }
}

std::unique_ptr<RunResult> read_run(const ResultsTask& task, const fs::path& dir, unsigned seed,
                                    const std::string& actual_hash) {
  const fs::path path = dir / "front.json";
  read_required(path, "the search has not finished (continue it with `mpgru search --resume " +
                          dir.string() + "`)");
  auto run = std::make_unique<RunResult>();
  run->seed = seed;
  run->dir = dir;
  run->file = read_front_file(path);
  check_checkpoint(task, path, run->file.checkpoint_hash, actual_hash);
  const unsigned searched = run->file.config.value("seed", 0u);
  if (searched != seed) {
    throw std::runtime_error(path.string() + ": the search ran with seed " +
                             std::to_string(searched) + ", listed as seed " + std::to_string(seed));
  }
  try {
    run->headline =
        headline(run->file.front, run->file.baseline, run->file.bops_objective(), run->file.metric);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
  return run;
}

TaskResult read_task(const ResultsTask& task) {
  TaskResult r;
  r.task = &task;
  read_float(task, r);
  const std::string actual = checkpoint_hash(task.float_dir / "checkpoint");
  for (size_t i = 0; i < task.search_dirs.size(); ++i) {
    r.runs.push_back(read_run(task, task.search_dirs[i], task.seeds[i], actual));
  }
  if (r.quality() && !r.float_quality) {
    throw std::runtime_error((task.float_dir / "metrics.json").string() +
                             ": no \"quality\" figures (SI-SDR, STOI) for a task searched on " +
                             r.runs.front()->file.metric.label() +
                             " (not the float model of an enhancement task?)");
  }
  return r;
}

// ---- figures over seeds -------------------------------------------------------------------

struct Spread {
  double mean = 0, sd = 0, worst = 0;
  size_t n = 0;
};

// Mean, sample standard deviation and the smallest value.
Spread spread(const std::vector<double>& values) {
  Spread s;
  s.n = values.size();
  if (values.empty()) return s;
  s.worst = *std::min_element(values.begin(), values.end());
  for (double v : values) s.mean += v;
  s.mean /= static_cast<double>(s.n);
  if (s.n > 1) {
    double ss = 0;
    for (double v : values) ss += (v - s.mean) * (v - s.mean);
    s.sd = std::sqrt(ss / static_cast<double>(s.n - 1));
  }
  return s;
}

// A seed without a genome within tolerance reduces nothing: it counts as 0.
double size_reduction(const RunResult& run) {
  return run.headline.size ? run.headline.size->size_reduction : 0.0;
}
double bops_reduction(const RunResult& run) {
  return run.headline.bops ? run.headline.bops->bops_reduction : 0.0;
}

template <typename Figure>
Spread over_runs(const TaskResult& r, Figure figure) {
  std::vector<double> values;
  for (const auto& run : r.runs) values.push_back(figure(*run));
  return spread(values);
}

// ---- formatting ---------------------------------------------------------------------------

// 64296 -> "64,296".
std::string thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

std::string size_bytes(int64_t size_bits) {
  return thousands(size_bits / 8);
}

std::string hms(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return buffer;
}

std::string cell_text(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// "63.2 %" for one run; "63.2 ± 1.4 % (worst 61.9 %)" over several.
std::string percent_spread(const Spread& s) {
  if (s.n <= 1) return fmt("%.1f %%", 100 * s.mean);
  return fmt("%.1f", 100 * s.mean) + " ± " + fmt("%.1f %%", 100 * s.sd) + " (worst " +
         fmt("%.1f %%", 100 * s.worst) + ")";
}

std::string number_spread(const Spread& s) {
  if (s.n <= 1) return fmt("%.4f", s.mean);
  return fmt("%.4f", s.mean) + " ± " + fmt("%.4f", s.sd) + " (worst " + fmt("%.4f", s.worst) + ")";
}

// The size reduction's ceiling (homogeneous 2-bit's), or "–" without a 2-bit baseline genome.
std::string bound_text(const Headline& h) {
  return h.size_reduction_bound ? fmt("%.1f %%", 100 * *h.size_reduction_bound) : "–";
}

std::string seeds_text(const ResultsTask& t) {
  std::string s;
  for (unsigned seed : t.seeds) s += (s.empty() ? "" : ", ") + std::to_string(seed);
  return s;
}

std::string interval_pct(const Interval& i) {
  return "[" + fmt("%.2f", 100 * i.low) + ", " + fmt("%.2f", 100 * i.high) + "]";
}

std::string markdown_row(const std::vector<std::string>& cells) {
  std::string s = "|";
  for (const std::string& c : cells) s += " " + c + " |";
  return s + "\n";
}

std::string markdown_header(const std::vector<std::string>& cells) {
  std::string s = markdown_row(cells) + "|---|";
  for (size_t c = 1; c < cells.size(); ++c) s += "---:|";
  return s + "\n";
}

std::string summary_table(const std::vector<TaskResult>& results) {
  std::string s = markdown_header(
      {"task", "seeds", "float (test)", "8-bit val / test (mean)", "8-bit size B", "size reduction",
       "at most (2-bit)", "BOPs reduction", "HV val mixed / homog.", "HV test mixed / homog."});
  for (const TaskResult& r : results) {
    const ScoredGenome& eight = *r.runs.front()->headline.eight;
    const Spread eight_val =
        over_runs(r, [](const RunResult& x) { return x.headline.eight->val_accuracy; });
    const Spread eight_test =
        over_runs(r, [](const RunResult& x) { return x.headline.eight->test_accuracy; });
    const Spread hv_val =
        over_runs(r, [](const RunResult& x) { return x.headline.validation.front; });
    const Spread hv_test = over_runs(r, [](const RunResult& x) { return x.headline.test.front; });
    const Spread hv_val_h =
        over_runs(r, [](const RunResult& x) { return x.headline.validation.baseline; });
    const Spread hv_test_h =
        over_runs(r, [](const RunResult& x) { return x.headline.test.baseline; });
    s += markdown_row(
        {cell_text(r.task->name), seeds_text(*r.task), pct(r.float_accuracy),
         pct(eight_val.mean) + " / " + pct(eight_test.mean), size_bytes(eight.size_bits),
         "**" + percent_spread(over_runs(r, size_reduction)) + "**",
         bound_text(r.runs.front()->headline), percent_spread(over_runs(r, bops_reduction)),
         number_spread(hv_val) + " / " + fmt("%.4f", hv_val_h.mean),
         number_spread(hv_test) + " / " + fmt("%.4f", hv_test_h.mean)});
  }
  return s;
}

std::vector<std::string> run_cells(const TaskResult& r, const RunResult& run) {
  const std::string none = "–";
  const Headline& h = run.headline;
  const ScoredGenome& eight = *h.eight;
  std::vector<std::string> cells = {cell_text(r.task->name), std::to_string(run.seed),
                                    pct(eight.val_accuracy), pct(eight.test_accuracy)};
  if (h.size) {
    const Pick& p = *h.size;
    const ScoredGenome& g = *p.genome;
    cells.push_back("`" + g.genome.to_compact() + "`");
    cells.push_back(size_bytes(g.size_bits));
    cells.push_back(pct(g.val_accuracy) +
                    (g.val_count > 0 ? " " + interval_pct(p.val_interval) : std::string()));
    cells.push_back(pct(g.test_accuracy) +
                    (g.test_count > 0 ? " " + interval_pct(p.test_interval) : std::string()));
    cells.push_back(fmt("%+.2f pp", 100 * p.test_difference) +
                    (p.paired ? " [" + fmt("%+.2f", 100 * p.test_difference_interval.low) + ", " +
                                    fmt("%+.2f", 100 * p.test_difference_interval.high) + "]"
                              : std::string()));
    cells.push_back(p.paired ? fmt("%.3g", p.mcnemar_p) : none);
    cells.push_back(fmt("%.1f %%", 100 * p.size_reduction));
    cells.push_back(fmt("%.1f %%", 100 * h.bops->bops_reduction));
  } else {
    cells.insert(cells.end(), {"none within " + fmt("%.1f", kIsoAccuracyPp) + " pp", none, none,
                               none, none, none, "0.0 %", "0.0 %"});
  }
  cells.push_back(fmt("%.4f", h.validation.front) + " / " + fmt("%.4f", h.validation.baseline));
  cells.push_back(fmt("%.4f", h.test.front) + " / " + fmt("%.4f", h.test.baseline));
  cells.push_back(run.file.evaluations >= 0 ? thousands(run.file.evaluations)
                                            : thousands(run.file.session_evaluations) + " †");
  cells.push_back(hms(run.file.seconds));
  return cells;
}

std::string runs_table(const std::vector<TaskResult>& results) {
  std::string s = markdown_header(
      {"task", "seed", "8-bit val", "8-bit test", "iso-accuracy genome (chosen on validation)",
       "size B", "val [95 %]", "test [95 %]", "test − 8-bit [paired 95 %]", "McNemar p",
       "size red.", "BOPs red.", "HV val", "HV test", "evaluations", "search time"});
  for (const TaskResult& r : results) {
    for (const auto& run : r.runs) s += markdown_row(run_cells(r, *run));
  }
  return s;
}

// Half-width of the 95 % Wilson interval at 8-bit's accuracy, for one split of one run.
std::string half_width(double accuracy, int64_t n) {
  if (n <= 0) return "–";
  const int64_t k = std::llround(accuracy * static_cast<double>(n));
  const Interval i = wilson(k, n);
  return fmt("±%.2f pp", 100 * (i.high - i.low) / 2);
}

std::string widths_section(const std::vector<TaskResult>& results) {
  std::string s =
      "Sequences per split and the 95 % interval of one accuracy there (Wilson, half-width at "
      "the first seed's 8-bit accuracy), against the 0.5 pp tolerance:\n\n" +
      markdown_header({"task", "validation n", "validation ±", "test n", "test ±"});
  for (const TaskResult& r : results) {
    const ScoredGenome& e = *r.runs.front()->headline.eight;
    s += markdown_row({cell_text(r.task->name), thousands(e.val_count),
                       half_width(e.val_accuracy, e.val_count), thousands(e.test_count),
                       half_width(e.test_accuracy, e.test_count)});
  }
  return s;
}

std::string notes(const std::vector<TaskResult>& results, const std::vector<SkippedTask>& skipped) {
  std::string s;
  bool dagger = false;
  for (const TaskResult& r : results) {
    for (const auto& run : r.runs) {
      dagger = dagger || run->file.evaluations < 0;
      const Headline& h = run->headline;
      if (h.size && h.bops && h.bops->genome != h.size->genome) {
        s += "- **" + r.task->name + "**, seed " + std::to_string(run->seed) +
             ": the BOPs reduction is that of `" + h.bops->genome->genome.to_compact() +
             "`, the front genome with the fewest BOPs within the tolerance on validation (test " +
             pct(h.bops->genome->test_accuracy) + ").\n";
      }
    }
  }
  if (dagger) {
    s += "- † the run's front.json predates the all-sessions count: the last session's only.\n";
  }
  for (const SkippedTask& t : skipped) s += "- **" + t.name + "**: skipped: " + t.reason + ".\n";
  return s;
}

// "1 generation", "16 generations".
std::string counted(int n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

std::string search_settings(const json& c) {
  std::string s = c.value("fitness", std::string("?")) + " fitness";
  if (c.value("fitness", std::string()) == "qat") {
    s += ", " + std::to_string(c.value("qat_steps", 0)) + " QAT steps per genome";
    if (c.value("final_steps", 0) > 0) {
      s += ", " + std::to_string(c.value("final_steps", 0)) + " for the final scores of " +
           counted(c.value("final_fronts", 1), "non-dominated rank");
    }
  }
  return s + ", objectives " + c.value("objectives", std::string("?")) + ", population " +
         std::to_string(c.value("population", 0)) + " × " +
         counted(c.value("generations", 0), "generation") + ", " +
         counted(c.value("workers", 0), "worker");
}

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d", std::gmtime(&now));
  return buffer;
}

std::string how_section(const std::vector<TaskResult>& results, const ResultsOptions& options) {
  std::string s =
      "## How these numbers were produced\n\n"
      "Generated " +
      (options.date.empty() ? today_utc() : options.date) + " by `mpgru results`" +
      (options.command.empty() ? std::string() : "; reproduce with `" + options.command + "`") +
      ". Every accuracy is the integer engine's. **Every choice is made on the validation "
      "split; the test split is only reported.** The homogeneous and the mixed genomes are "
      "scored after the same final fine-tune. *Iso-accuracy genome*: the smallest genome of "
      "the mixed-precision front whose validation accuracy is at most " +
      fmt("%.1f", kIsoAccuracyPp) +
      " pp below homogeneous 8-bit's validation accuracy (decided in whole sequences); *size "
      "reduction*: 1 − its size / 8-bit's (packed weights plus int32 biases); *at most "
      "(2-bit)*: homogeneous 2-bit's, the ceiling (every weight at 2 bits, the biases stay); "
      "*BOPs reduction*: "
      "the same rule with the fewest BOPs. A seed with no genome within the tolerance counts as "
      "0 % reduction. Beside the pick: its test accuracy with a 95 % Wilson interval, the test "
      "difference to 8-bit with Newcombe's paired 95 % interval over the same test sequences, "
      "and the exact McNemar p of that difference. *HV*: hypervolume of the front on (error, "
      "size / 8-bit size), reference (1, 1.05), higher is better, on validation (what was "
      "searched) and on test (reported); with a BOPs objective BOPs / 8-bit BOPs is a third "
      "axis. Over several seeds (search and QAT seeds; one float model per task): mean ± sample "
      "sd and the worst seed. *Evaluations*: distinct genome evaluations over every session of "
      "a search; *search time*: its wall time summed over its sessions, float training not "
      "included.\n\n";
  for (const TaskResult& r : results) {
    s += "- **" + r.task->name + "**: float model `" + r.task->float_dir.string() + "` (" +
         pct(r.float_accuracy) + " test" +
         (r.float_balanced >= 0 ? ", balanced " + pct(r.float_balanced) : std::string()) +
         ", trained in " + hms(r.float_seconds) + "), seeds " + seeds_text(*r.task) +
         ", searches " + search_settings(r.runs.front()->file.config) +
         (r.task->commands.empty() ? std::string() : "; " + r.task->commands) + ".\n";
  }
  return s;
}

// ---- enhancement tasks (a quality metric) ---------------------------------------------------

std::vector<std::string> quality_cells(const TaskResult& r, const RunResult& run) {
  const Headline& h = run.headline;
  const Metric& m = h.metric;
  const ScoredGenome& eight = *h.eight;
  const double float_test = m.kind == Metric::Kind::sisdr  ? r.float_sisdri
                            : m.kind == Metric::Kind::stoi ? r.float_stoi_gain
                                                           : r.float_r2;
  std::vector<std::string> cells = {
      cell_text(r.task->name),
      std::to_string(run.seed),
      m.label(),
      m.format(float_test),
      m.format(eight.val_accuracy) + " / " + m.format(eight.test_accuracy),
      size_bytes(eight.size_bits)};
  const auto interval = [&](const Interval& i) {
    return "[" + m.format(i.low) + ", " + m.format(i.high) + "]";
  };
  if (h.size) {
    const Pick& p = *h.size;
    const ScoredGenome& g = *p.genome;
    cells.push_back("`" + g.genome.to_compact() + "`");
    cells.push_back(size_bytes(g.size_bits));
    cells.push_back(m.format(g.val_accuracy) + " " + interval(p.val_interval));
    cells.push_back(m.format(g.test_accuracy) + " " + interval(p.test_interval));
    cells.push_back(m.format_difference(p.test_difference) +
                    (p.paired ? " [" + m.format_difference(p.test_difference_interval.low) + ", " +
                                    m.format_difference(p.test_difference_interval.high) + "]"
                              : std::string()));
    cells.push_back("**" + fmt("%.1f %%", 100 * p.size_reduction) + "**");
    cells.push_back(fmt("%.1f %%", 100 * h.bops->bops_reduction));
  } else {
    const std::string none = "–";
    cells.insert(cells.end(),
                 {"none within " + m.tolerance_text(), none, none, none, none, "0.0 %", "0.0 %"});
  }
  cells.push_back(bound_text(h));
  cells.push_back(fmt("%.4f", h.validation.front) + " / " + fmt("%.4f", h.validation.baseline));
  cells.push_back(fmt("%.4f", h.test.front) + " / " + fmt("%.4f", h.test.baseline));
  cells.push_back(thousands(std::max<int64_t>(run.file.evaluations, 0)));
  cells.push_back(hms(run.file.seconds));
  return cells;
}

std::string quality_section(const std::vector<const TaskResult*>& results) {
  std::string s =
      "## Speech enhancement (sequence to sequence)\n\n"
      "Scored by the enhancement quality of the integer model's output, a mean over the split's "
      "clips (SI-SDR improvement in dB, or STOI improvement), with 95 % intervals over clips "
      "(1.96 standard errors; paired per-clip differences for the difference to 8-bit). "
      "*Iso-quality genome*: the smallest front genome whose **validation** score is at most "
      "0.3 dB (STOI: 0.01) below homogeneous 8-bit's; test only reported. *HV*: hypervolume on "
      "(1 − score / the float model's validation score, size / 8-bit size), reference "
      "(1, 1.05).\n\n" +
      markdown_header({"task", "seed", "metric", "float (test)", "8-bit val / test", "8-bit size B",
                       "iso-quality genome (chosen on validation)", "size B", "val [95 %]",
                       "test [95 %]", "test − 8-bit [paired 95 %]", "size red.", "BOPs red.",
                       "size red. at most (2-bit)", "HV val mixed / homog.",
                       "HV test mixed / homog.", "evaluations", "search time"});
  for (const TaskResult* r : results) {
    for (const auto& run : r->runs) s += markdown_row(quality_cells(*r, *run));
  }
  s += "\n";
  for (const TaskResult* r : results) {
    const std::string float_quality = r->runs.front()->file.metric.kind == Metric::Kind::r2
                                          ? fmt("target R^2 %.4f", r->float_r2)
                                          : fmt("SI-SDR improvement %.2f dB", r->float_sisdri) +
                                                ", " +
                                                fmt("STOI improvement %+.3f", r->float_stoi_gain);
    s += "- **" + r->task->name + "**: float model `" + r->task->float_dir.string() + "` (test " +
         float_quality + ", trained in " + hms(r->float_seconds) + "), seeds " +
         seeds_text(*r->task) + ", searches " + search_settings(r->runs.front()->file.config) +
         (r->task->commands.empty() ? std::string() : "; " + r->task->commands) + ".\n";
  }
  return s;
}

// The changes since the previous table, as given (a final newline added if missing).
std::string changes_section(const ResultsOptions& options) {
  const size_t end = options.changes.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return {};
  return "\n## Changes since the previous table\n\n" + options.changes.substr(0, end + 1) + "\n";
}

std::string classification_markdown(const std::vector<TaskResult>& results,
                                    const ResultsOptions& options) {
  std::string names;
  for (const TaskResult& r : results) names += (names.empty() ? "" : ", ") + r.task->name;
  std::string s =
      "# Mixed-precision GRUs: " + names +
      "\n\nSize reduction of the smallest mixed-precision genome within " +
      fmt("%.1f", kIsoAccuracyPp) +
      " pp of homogeneous 8-bit, **chosen on validation**, per task (mean ± sd and worst over "
      "the seeds listed), and the hypervolumes.\n\n" +
      summary_table(results) + changes_section(options) +
      "\nEvery run, with the pick's test figures (reported, not used):\n\n" + runs_table(results) +
      "\n" + widths_section(results);
  const std::string n = notes(results, options.skipped);
  if (!n.empty()) s += "\n" + n;
  s += "\n![Mixed-precision fronts against the homogeneous baselines](fronts.svg)\n\n";
  return s + how_section(results, options);
}

// Classification tasks first (their table, figure and notes), then the enhancement tasks.
std::string markdown(const std::vector<TaskResult>& classification,
                     const std::vector<const TaskResult*>& quality, const ResultsOptions& options) {
  std::string s;
  if (!classification.empty()) {
    s = classification_markdown(classification, options);
  } else {
    s = "# Mixed-precision GRUs\n\nGenerated " +
        (options.date.empty() ? today_utc() : options.date) + " by `mpgru results`" +
        (options.command.empty() ? std::string() : "; reproduce with `" + options.command + "`") +
        ". Every score is the integer engine's.\n\n";
    for (const SkippedTask& t : options.skipped) {
      s += "- **" + t.name + "**: skipped: " + t.reason + ".\n";
    }
    s += changes_section(options);
  }
  if (!quality.empty()) s += "\n" + quality_section(quality);
  return s;
}

// ---- the figure ---------------------------------------------------------------------------

// size in % of 8-bit's, validation error %, first gene's bits (a homogeneous genome's label).
std::string points_data(const std::vector<const ScoredGenome*>& points, const ScoredGenome& eight) {
  std::ostringstream out;
  for (const ScoredGenome* p : points) {
    out << 100.0 * static_cast<double>(p->size_bits) / static_cast<double>(eight.size_bits) << ' '
        << error_pct(p->val_accuracy) << ' ' << p->genome.bits(0) << '\n';
  }
  return out.str();
}

std::vector<const ScoredGenome*> pointers(const std::vector<ScoredGenome>& points) {
  std::vector<const ScoredGenome*> out;
  for (const ScoredGenome& p : points) out.push_back(&p);
  return out;
}

std::string panel(const TaskResult& r, size_t i, bool key) {
  const RunResult& run = *r.runs.front();
  const Headline& h = run.headline;
  const std::string n = std::to_string(i);
  const std::string title =
      r.task->name + " (seed " + std::to_string(run.seed) + "): 8-bit " +
      pct(h.eight->val_accuracy) +
      (h.size ? ", mixed " + pct(h.size->genome->val_accuracy) + " at " +
                    fmt("%.1f %%", 100 * (1 - h.size->size_reduction)) + " of the size"
              : ", no mixed genome within 0.5 pp");
  std::ostringstream s;
  s << "set title " << gnuplot_quote(title) << "\n"
    << (key ? "set key top right font ',10'\n" : "unset key\n") << "plot 'baseline" << n
    << ".dat' using 1:2 with linespoints pt 5 ps 0.6 lw 1.5 lc rgb '#d62728' "
       "title 'homogeneous 8..2 bits', \\\n"
    << "     'baseline" << n
    << ".dat' using 1:2:3 with labels offset 0,0.8 tc rgb '#d62728' font ',9' notitle, \\\n"
    << "     " << error_pct(h.eight->val_accuracy) + kIsoAccuracyPp
    << " with lines dt 2 lc rgb '#7f7f7f' title '8-bit + 0.5 pp error', \\\n"
    << "     'front" << n
    << ".dat' using 1:2 with linespoints pt 7 ps 0.6 lw 1.5 lc rgb '#1f77b4' "
       "title 'mixed-precision front'";
  if (h.size) {
    s << ", \\\n     'iso" << n
      << ".dat' using 1:2 with points pt 3 ps 2.2 lw 2 lc rgb '#2ca02c' "
         "title 'smallest within 0.5 pp'";
  }
  s << "\n";
  return s.str();
}

std::string figure_script(const std::vector<TaskResult>& results) {
  const size_t cols = results.size() == 1 ? 1 : 2;
  const size_t rows = (results.size() + cols - 1) / cols;
  std::ostringstream s;
  s << "set terminal svg size " << 560 * cols << "," << 60 + 400 * rows
    << " dynamic noenhanced font 'Helvetica,12' background rgb 'white'\n"
    << "set output 'fronts.svg'\n"
    << "set multiplot layout " << rows << "," << cols
    << " title 'Mixed-precision fronts vs homogeneous bit widths (validation split, integer "
       "engine)'\n"
    << "set grid\nset logscale y\nset offsets graph 0.04, graph 0.04, graph 0.08, 0\n"
    << "set xlabel 'model size (% of homogeneous 8-bit)'\n"
    << "set ylabel 'validation error (%, log scale)'\n";
  for (size_t i = 0; i < results.size(); ++i) s << panel(results[i], i, i == 0);
  s << "unset multiplot\n";
  return s.str();
}

void write_figure(const std::vector<TaskResult>& results, const fs::path& out_dir) {
  const PlotFolder folder(out_dir / ".fronts");
  const fs::path& work = folder.path();
  for (size_t i = 0; i < results.size(); ++i) {
    const RunResult& run = *results[i].runs.front();
    const ScoredGenome& eight = *run.headline.eight;
    const std::string n = std::to_string(i);
    core::write_text_file(points_data(pointers(run.file.front), eight),
                          work / ("front" + n + ".dat"));
    core::write_text_file(points_data(pointers(run.file.baseline), eight),
                          work / ("baseline" + n + ".dat"));
    if (run.headline.size) {
      core::write_text_file(points_data({run.headline.size->genome}, eight),
                            work / ("iso" + n + ".dat"));
    }
  }
  run_gnuplot(figure_script(results), work / "fronts.gp", out_dir / "fronts.svg");
}

void check_tasks(const std::vector<ResultsTask>& tasks) {
  if (tasks.empty()) throw std::invalid_argument("the results table needs at least one task");
  std::set<std::string> names;
  for (const ResultsTask& t : tasks) {
    if (!names.insert(t.name).second) {
      throw std::invalid_argument("task '" + t.name + "' is listed twice");
    }
    if (t.search_dirs.empty() || t.search_dirs.size() != t.seeds.size()) {
      throw std::invalid_argument("task '" + t.name + "' needs one search folder per seed");
    }
  }
}

}  // namespace

bool float_run_finished(const fs::path& float_dir) {
  const fs::path path = float_dir / "metrics.json";
  if (!fs::exists(path) || !fs::exists(float_dir / "checkpoint")) return false;
  try {
    return training_finished(core::read_json_file(path));
  } catch (const std::exception&) {
    return false;
  }
}

bool search_run_finished(const fs::path& search_dir) {
  return fs::exists(search_dir / "front.json");
}

fs::path write_results_table(const std::vector<ResultsTask>& tasks, const fs::path& out_dir,
                             const ResultsOptions& options) {
  check_tasks(tasks);
  std::vector<TaskResult> all, classification;
  for (const ResultsTask& t : tasks) all.push_back(read_task(t));
  std::vector<const TaskResult*> quality;
  for (TaskResult& r : all) {
    if (!r.quality()) classification.push_back(std::move(r));
  }
  for (const TaskResult& r : all) {
    if (!r.runs.empty() && r.quality()) quality.push_back(&r);
  }
  fs::create_directories(out_dir);
  if (!classification.empty()) write_figure(classification, out_dir);
  const fs::path path = out_dir / "RESULTS.md";
  core::write_text_file(markdown(classification, quality, options), path);
  return path;
}

}  // namespace mpgru::report
