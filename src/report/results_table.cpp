// The results table: each task's run folders read into one row, then RESULTS.md and one gnuplot
// multiplot of the fronts.
#include "search/results_table.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/json_file.hpp"
#include "search/evaluation_store.hpp"
#include "search/gnuplot.hpp"
#include "search/report_format.hpp"
#include "search/search_run.hpp"

namespace mpgru::search {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// search_run's tolerance on the test split, in percentage points.
constexpr double kIsoAccuracyPp = 100 * kIsoAccuracyTolerance;

struct Point {
  std::string compact;
  double test_accuracy = 0;
  int64_t size_bits = 0, bops = 0;
};

struct TaskResult {
  const ResultsTask* task = nullptr;
  double float_accuracy = 0, float_seconds = 0;
  double float_balanced = -1;          // -1: not recorded (runs from before balanced accuracy)
  std::vector<Point> front, baseline;  // by size, smallest first
  Point eight;                         // homogeneous 8-bit: the baseline's largest
  std::optional<Point> iso;            // smallest front genome within 0.5 pp of 8-bit
  std::optional<Point> iso_bops;       // the one with the fewest BOPs
  double size_reduction = 0, bops_reduction = 0;
  double hypervolume_front = 0, hypervolume_baseline = 0;
  int64_t evaluations = 0;
  bool evaluations_last_session = false;  // front.json's count of a resumed run's last session
  double seconds = 0;                     // the search's wall time over all its sessions
  json config;                            // the search's settings (front.json)
};

// ---- reading ------------------------------------------------------------------------------

Point parse_point(const json& j) {
  Point p;
  p.compact = j.at("compact").get<std::string>();
  p.test_accuracy = j.at("test_accuracy").get<double>();
  p.size_bits = j.at("size_bits").get<int64_t>();
  p.bops = j.at("bops").get<int64_t>();
  if (p.compact.empty() || p.size_bits <= 0 || p.bops < 0 ||
      !(p.test_accuracy >= 0 && p.test_accuracy <= 1)) {
    throw std::runtime_error("implausible genome entry " + j.dump());
  }
  return p;
}

std::vector<Point> parse_points(const json& list) {
  std::vector<Point> out;
  for (const json& j : list) out.push_back(parse_point(j));
  std::stable_sort(out.begin(), out.end(),
                   [](const Point& a, const Point& b) { return a.size_bits < b.size_bits; });
  return out;
}

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
  } catch (const json::exception& e) {
    throw std::runtime_error(path.string() + ": not mpgru train metrics: " + e.what());
  }
  if (!training_finished(metrics)) {
    throw std::runtime_error(path.string() +
                             ": the training has not finished (no test accuracy yet); train again");
  }
}

// Distinct genome evaluations over every session of the run: its store's rows under the search's
// fitness and, if the final scores used a longer QAT, under theirs. front.json's count is the last
// session's only (a resumed run's earlier evaluations are cache hits there). A store written by an
// older mpgru keys its rows by other fitness settings (the numerics version) and counts 0 here.
std::optional<int64_t> stored_evaluations(const fs::path& dir, const std::string& task,
                                          const std::string& checkpoint_hash) {
  if (checkpoint_hash.empty() || !fs::exists(dir / "evaluations.sqlite") ||
      !fs::exists(dir / "config.json")) {
    return std::nullopt;
  }
  const SearchConfig config = load_search_config(dir);
  const FitnessSettings search = search_fitness_settings(config);
  const EvaluationStore store(dir / "evaluations.sqlite");
  auto n = static_cast<int64_t>(store.all(task, checkpoint_hash, search.canonical()).size());
  if (config.fitness.mode == FitnessMode::qat && config.final_steps > 0) {
    FitnessSettings final_scores = search;
    final_scores.qat.steps = config.final_steps;
    if (final_scores.canonical() != search.canonical()) {
      n += static_cast<int64_t>(store.all(task, checkpoint_hash, final_scores.canonical()).size());
    }
  }
  return n;
}

// Sessions of a run in its search.log: one per "session" line, plus one for generation lines
// before the first (logs older than the session lines).
int sessions(const fs::path& log_path) {
  std::ifstream in(log_path);
  int n = 0;
  bool before_first = false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("session", 0) == 0) {
      ++n;
    } else if (n == 0 && line.rfind("generation", 0) == 0) {
      before_first = true;
    }
  }
  return n + (before_first ? 1 : 0);
}

void check_checkpoint(const ResultsTask& task, const fs::path& front_json,
                      const std::string& hash) {
  const fs::path checkpoint = task.float_dir / "checkpoint";
  if (hash.empty() || !fs::exists(checkpoint)) return;
  const std::string actual = file_hash(checkpoint);
  if (actual != hash) {
    throw std::runtime_error(front_json.string() + ": the search ran on a float checkpoint with " +
                             "hash " + hash + ", but " + checkpoint.string() + " hashes to " +
                             actual + " (retrained after the search, or runs of different models)");
  }
}

void read_search(const ResultsTask& task, TaskResult& r) {
  const fs::path path = task.search_dir / "front.json";
  const std::string resume = "mpgru search --resume " + task.search_dir.string();
  const json doc =
      read_required(path, "the search has not finished (continue it with `" + resume + "`)");
  std::string searched_task, hash;
  try {
    searched_task = doc.at("task").get<std::string>();
    hash = doc.value("checkpoint_hash", std::string());
    r.front = parse_points(doc.at("front"));
    r.baseline = parse_points(doc.at("baseline"));
    if (r.baseline.empty()) throw std::runtime_error("no homogeneous baseline");
    r.eight = r.baseline.back();
    if (doc.contains("iso_accuracy_genome")) {
      r.iso = parse_point(doc["iso_accuracy_genome"]);
      r.iso_bops = parse_point(doc.at("iso_accuracy_bops_genome"));
    }
    r.size_reduction = doc.at("size_reduction").get<double>();
    r.bops_reduction = doc.at("bops_reduction").get<double>();
    r.hypervolume_front = doc.at("hypervolume_front").get<double>();
    r.hypervolume_baseline = doc.at("hypervolume_baseline").get<double>();
    r.evaluations = doc.at("evaluations").get<int64_t>();
    r.seconds = doc.at("seconds").get<double>();
    r.config = doc.at("config");
    if (!r.config.is_object()) throw std::runtime_error("'config' is not an object");
  } catch (const std::exception& e) {
    throw std::runtime_error(path.string() + ": not a search result: " + e.what());
  }
  check_checkpoint(task, path, hash);
  const std::optional<int64_t> stored = stored_evaluations(task.search_dir, searched_task, hash);
  if (stored && *stored > 0) {
    r.evaluations = *stored;
  } else {
    r.evaluations_last_session = sessions(task.search_dir / "search.log") > 1;
  }
}

TaskResult read_task(const ResultsTask& task) {
  TaskResult r;
  r.task = &task;
  read_float(task, r);
  read_search(task, r);
  return r;
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

double relative_size(const Point& p, const Point& eight) {
  return static_cast<double>(p.size_bits) / static_cast<double>(eight.size_bits);
}

std::string cell_text(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

constexpr size_t kColumns = 13;
using Row = std::array<std::string, kColumns>;

const Row kHeader = {"task",           "float",    "8-bit",          "8-bit size B",
                     "mixed genome",   "mixed",    "mixed size B",   "size reduction",
                     "BOPs reduction", "HV mixed", "HV homogeneous", "evaluations",
                     "search time"};

Row table_row(const TaskResult& r) {
  const std::string none = "–";
  return {cell_text(r.task->name),
          pct(r.float_accuracy),
          pct(r.eight.test_accuracy),
          size_bytes(r.eight.size_bits),
          r.iso ? "`" + r.iso->compact + "`" : none,
          r.iso ? pct(r.iso->test_accuracy) : none,
          r.iso ? size_bytes(r.iso->size_bits) : none,
          r.iso ? fmt("%.1f %%", 100 * r.size_reduction) : none,
          r.iso ? fmt("%.1f %%", 100 * r.bops_reduction) : none,
          fmt("%.4f", r.hypervolume_front),
          fmt("%.4f", r.hypervolume_baseline),
          thousands(r.evaluations) + (r.evaluations_last_session ? " †" : ""),
          hms(r.seconds)};
}

std::string markdown_row(const Row& cells) {
  std::string s = "|";
  for (const std::string& c : cells) s += " " + c + " |";
  return s + "\n";
}

std::string table(const std::vector<TaskResult>& results) {
  std::string s = markdown_row(kHeader) + "|---|";
  for (size_t c = 1; c < kColumns; ++c) s += c == 4 ? "---|" : "---:|";
  s += "\n";
  for (const TaskResult& r : results) s += markdown_row(table_row(r));
  return s;
}

std::string notes(const std::vector<TaskResult>& results, const std::vector<SkippedTask>& skipped) {
  std::string s;
  for (const TaskResult& r : results) {
    const std::string name = "**" + r.task->name + "**: ";
    if (!r.iso) {
      s += "- " + name + "no front genome is within " + fmt("%.1f", kIsoAccuracyPp) +
           " pp of homogeneous 8-bit (" + pct(r.eight.test_accuracy) + " test)";
      const auto best = std::max_element(
          r.front.begin(), r.front.end(),
          [](const Point& a, const Point& b) { return a.test_accuracy < b.test_accuracy; });
      if (best != r.front.end()) {
        s += "; the front's most accurate genome, `" + best->compact + "`, reaches " +
             pct(best->test_accuracy) + " at " + size_bytes(best->size_bits) + " B (" +
             fmt("%.1f %%", 100 * relative_size(*best, r.eight)) + " of 8-bit's size)";
      }
      s += ".\n";
    } else if (r.iso_bops && r.iso_bops->compact != r.iso->compact) {
      s += "- " + name + "the BOPs reduction is that of `" + r.iso_bops->compact + "` (" +
           pct(r.iso_bops->test_accuracy) + ", " + size_bytes(r.iso_bops->size_bits) +
           " B), the front genome with the fewest BOPs within " + fmt("%.1f", kIsoAccuracyPp) +
           " pp; the smallest one's BOPs reduction is " +
           fmt("%.1f %%",
               100 * (1 - static_cast<double>(r.iso->bops) / static_cast<double>(r.eight.bops))) +
           ".\n";
    }
  }
  for (const TaskResult& r : results) {
    if (!r.evaluations_last_session) continue;
    s +=
        "- **" + r.task->name + "**: † *evaluations* is front.json's count, of the search's " +
        "last session only: the run was resumed and its evaluations.sqlite is absent or holds no " +
        "rows under this mpgru's fitness settings.\n";
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
      s += ", " + std::to_string(c.value("final_steps", 0)) + " for the final scores";
    }
  }
  return s + ", objectives " + c.value("objectives", std::string("?")) + ", population " +
         std::to_string(c.value("population", 0)) + " × " +
         counted(c.value("generations", 0), "generation") + ", seed " +
         std::to_string(c.value("seed", 0)) + ", " + counted(c.value("workers", 0), "worker");
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
      ". Every accuracy is the integer engine's on the **test split** (the searches select on the "
      "validation split only); the homogeneous and the mixed genomes are scored after the same "
      "fitness (the same QAT fine-tune when the search used QAT). Sizes are packed weights plus "
      "int32 biases. *Mixed genome*: the smallest genome of the mixed-precision front whose test "
      "accuracy is at most " +
      fmt("%.1f", kIsoAccuracyPp) +
      " pp below homogeneous 8-bit's; *size reduction* and *BOPs reduction* are its reductions "
      "against 8-bit (BOPs: "
      "of the front genome with the fewest BOPs within the same tolerance). *HV*: hypervolume of "
      "the front on (test error, size / 8-bit size), reference point (1, 1.05), higher is better; "
      "with a BOPs objective, BOPs / 8-bit BOPs is a third axis (reference 1.05). *Evaluations*: "
      "distinct genome evaluations over every session of the search; *search time*: its wall "
      "time (h:mm:ss) summed over its sessions, float training not included.\n\n";
  for (const TaskResult& r : results) {
    s += "- **" + r.task->name + "**: float model `" + r.task->float_dir.string() + "` (" +
         pct(r.float_accuracy) + " test" +
         (r.float_balanced >= 0 ? ", balanced " + pct(r.float_balanced) : std::string()) +
         ", trained in " + hms(r.float_seconds) + "), search `" + r.task->search_dir.string() +
         "` (" + search_settings(r.config) + ")" +
         (r.task->commands.empty() ? std::string() : "; " + r.task->commands) + ".\n";
  }
  return s;
}

std::string markdown(const std::vector<TaskResult>& results, const ResultsOptions& options) {
  std::string names;
  for (const TaskResult& r : results) names += (names.empty() ? "" : ", ") + r.task->name;
  std::string s = "# Mixed-precision GRUs: " + names +
                  "\n\nFloat, homogeneous 8-bit and the smallest mixed-precision genome within " +
                  fmt("%.1f", kIsoAccuracyPp) +
                  " pp of 8-bit, test accuracy and size in bytes, per task.\n\n" + table(results);
  const std::string n = notes(results, options.skipped);
  if (!n.empty()) s += "\n" + n;
  s += "\n![Mixed-precision fronts against the homogeneous baselines](fronts.svg)\n\n";
  return s + how_section(results, options);
}

// ---- the figure ---------------------------------------------------------------------------

// size in % of 8-bit's, error %, first gene's bits (a homogeneous genome's label).
void write_points(const std::vector<Point>& points, const Point& eight, const fs::path& path) {
  std::ofstream out(path);
  for (const Point& p : points) {
    out << 100 * relative_size(p, eight) << ' ' << error_pct(p.test_accuracy) << ' ' << p.compact[0]
        << '\n';
  }
  if (!out) throw std::runtime_error(path.string() + ": cannot write");
}

std::string panel(const TaskResult& r, size_t i, bool key) {
  const std::string n = std::to_string(i);
  const std::string title =
      r.task->name + ": 8-bit " + pct(r.eight.test_accuracy) +
      (r.iso ? ", mixed " + pct(r.iso->test_accuracy) + " at " +
                   fmt("%.1f %%", 100 * (1 - r.size_reduction)) + " of the size"
             : ", no mixed genome within 0.5 pp");
  std::ostringstream s;
  s << "set title " << gnuplot_quote(title) << "\n"
    << (key ? "set key top right font ',10'\n" : "unset key\n") << "plot 'baseline" << n
    << ".dat' using 1:2 with linespoints pt 5 ps 0.6 lw 1.5 lc rgb '#d62728' "
       "title 'homogeneous 8..2 bits', \\\n"
    << "     'baseline" << n
    << ".dat' using 1:2:3 with labels offset 0,0.8 "
       "tc rgb '#d62728' font ',9' notitle, \\\n"
    << "     'eight" << n
    << ".dat' using 1:2 with points pt 6 ps 2.2 lw 2 lc rgb '#d62728' title 'homogeneous 8-bit', "
       "\\\n"
    << "     " << error_pct(r.eight.test_accuracy) + kIsoAccuracyPp
    << " with lines dt 2 lc rgb '#7f7f7f' title '8-bit + 0.5 pp error', \\\n"
    << "     'front" << n
    << ".dat' using 1:2 with linespoints pt 7 ps 0.6 lw 1.5 lc rgb '#1f77b4' "
       "title 'mixed-precision front'";
  if (r.iso) {
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
    << "set output '../fronts.svg'\n"
    << "set multiplot layout " << rows << "," << cols
    << " title 'Mixed-precision fronts vs homogeneous bit widths (test split, integer engine)'\n"
    << "set grid\nset logscale y\nset offsets graph 0.04, graph 0.04, graph 0.08, 0\n"
    << "set xlabel 'model size (% of homogeneous 8-bit)'\n"
    << "set ylabel 'test error (%, log scale)'\n";
  for (size_t i = 0; i < results.size(); ++i) s << panel(results[i], i, i == 0);
  s << "unset multiplot\n";
  return s.str();
}

void write_figure(const std::vector<TaskResult>& results, const fs::path& out_dir) {
  const fs::path work = out_dir / ".fronts";
  fs::create_directories(work);
  for (size_t i = 0; i < results.size(); ++i) {
    const TaskResult& r = results[i];
    const std::string n = std::to_string(i);
    write_points(r.front, r.eight, work / ("front" + n + ".dat"));
    write_points(r.baseline, r.eight, work / ("baseline" + n + ".dat"));
    write_points({r.eight}, r.eight, work / ("eight" + n + ".dat"));
    if (r.iso) write_points({*r.iso}, r.eight, work / ("iso" + n + ".dat"));
  }
  run_gnuplot(figure_script(results), work / "fronts.gp");
  fs::remove_all(work);
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
  if (tasks.empty()) throw std::invalid_argument("the results table needs at least one task");
  std::set<std::string> names;
  for (const ResultsTask& t : tasks) {
    if (!names.insert(t.name).second) {
      throw std::invalid_argument("task '" + t.name + "' is listed twice");
    }
  }
  std::vector<TaskResult> results;
  for (const ResultsTask& t : tasks) results.push_back(read_task(t));
  fs::create_directories(out_dir);
  write_figure(results, out_dir);
  const fs::path path = out_dir / "RESULTS.md";
  const fs::path temp = out_dir / "RESULTS.md.tmp";
  {
    std::ofstream out(temp);
    out << markdown(results, options);
    if (!out) throw std::runtime_error(temp.string() + ": cannot write");
  }
  fs::rename(temp, path);
  return path;
}

}  // namespace mpgru::search
