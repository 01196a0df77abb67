// The results table from run folders written by the search's own writer (write_front_files): per
// task the mean ± sd and worst over its seeds of what headline() returns for each seed (a seed
// without a pick counting as 0 %), a row per run with the pick's intervals, the interval widths,
// the pick made on validation where test would pick another, front.json of older runs, notes and
// skipped tasks, and errors naming the missing or malformed file.
#include "report/results_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/file_hash.hpp"
#include "core/json_file.hpp"
#include "fixtures/quality_rows.hpp"
#include "fixtures/scored_rows.hpp"
#include "fixtures/temp_dir.hpp"
#include "report/front_file.hpp"
#include "report/headline.hpp"
#include "report/report_format.hpp"

namespace mpgru::report {
namespace {

using mpgru::testing::TempDir;

namespace fs = std::filesystem;
using nlohmann::json;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

using mpgru::testing::kEightTest;
using mpgru::testing::kEightVal;
using mpgru::testing::kTest;
using mpgru::testing::kVal;
using mpgru::testing::Row;
using mpgru::testing::scored;

std::vector<ScoredGenome> baseline() {
  return mpgru::testing::scored_baseline();
}

const std::string kA = "8222222228456577886457726";
const std::string kB = "8222222228476577776457886";
const std::string kC = "7876333523777777777775536";
const std::string kD = "8383435558556547788687687";

// Fronts of three seeds, each with a different smallest genome within 0.5 pp (24.75 of 5000
// validation sequences) of 8-bit, and one with none.
const std::vector<Row> kSeed1 = {{kA, 4930, 9880, 147264, 21100000, 40},
                                 {kD, 4960, 9895, 281920, 60000000, 20}};
const std::vector<Row> kSeed2 = {{kB, 4926, 9870, 154944, 24800000, 45},
                                 {kD, 4960, 9895, 281920, 60000000, 20}};
const std::vector<Row> kSeed3 = {{kC, 4940, 9885, 198720, 30000000, 35},
                                 {kD, 4960, 9895, 281920, 60000000, 20}};
const std::vector<Row> kNoPick = {{kC, 4900, 9850, 198720, 30000000, 30},
                                  {kD, 4910, 9880, 281920, 60000000, 20}};
// The smallest genome is out on validation (0.7 pp below) but beats 8-bit on test.
const std::vector<Row> kTestWouldPickA = {{kA, 4915, 9905, 147264, 21100000, 50},
                                          {kB, 4930, 9860, 154944, 24800000, 40},
                                          {kD, 4960, 9895, 281920, 60000000, 20}};
// With a BOPs objective: the fewest-BOPs pick (C) is not the smallest (A).
const std::vector<Row> kBopsFront = {{kA, 4930, 9880, 147264, 21100000, 40},
                                     {kC, 4945, 9885, 198720, 15000000, 35}};

struct SeedRun {
  unsigned seed;
  const std::vector<Row>* front;
};

struct TaskOptions {
  std::string objectives = "error,size";
  double float_accuracy = 0.9869;
  double float_balanced = -1;  // written to metrics.json only if >= 0
};

constexpr int64_t kEvaluations = 1559;
constexpr double kSeconds = 2656.4;  // 0:44:16

// A task as mpgru train and mpgru search leave it: the float folder (checkpoint, metrics.json)
// and one search folder per seed (config.json, front.json). `files` are the rows written.
struct Made {
  ResultsTask task;
  double float_accuracy = 0;
  std::vector<FrontFile> files;
};

json search_config(const fs::path& float_dir, const std::string& objectives, unsigned seed) {
  return {{"checkpoint", float_dir.string()},
          {"task", "smnist"},
          {"fitness", "qat"},
          {"qat_steps", 60},
          {"objectives", objectives},
          {"population", 32},
          {"generations", 16},
          {"seed", seed},
          {"workers", 2},
          {"final_steps", 430}};
}

Made make_task(const fs::path& root, const std::string& name, const std::vector<SeedRun>& seeds,
               const TaskOptions& o = {}) {
  Made m;
  m.task.name = name;
  m.float_accuracy = o.float_accuracy;
  m.task.float_dir = root / (name + "-float");
  m.task.commands = "made by hand";
  fs::create_directories(m.task.float_dir);
  std::ofstream(m.task.float_dir / "checkpoint") << "weights of " << name;
  json metrics = {
      {"test_accuracy", o.float_accuracy}, {"test_loss", 0.05}, {"total_seconds", 123.0}};
  if (o.float_balanced >= 0) metrics["test_balanced_accuracy"] = o.float_balanced;
  core::write_json_file(metrics, m.task.float_dir / "metrics.json");
  for (const SeedRun& s : seeds) {
    const fs::path dir = root / (name + "-search-" + std::to_string(s.seed));
    fs::create_directories(dir);
    FrontFile f;
    f.task = "smnist";
    f.checkpoint_hash = core::file_hash(m.task.float_dir / "checkpoint");
    f.config = search_config(m.task.float_dir, o.objectives, s.seed);
    for (const Row& r : *s.front) f.front.push_back(scored(r));
    f.baseline = baseline();
    f.evaluations = kEvaluations;
    f.session_evaluations = 40;
    f.session_cache_hits = 2;
    f.seconds = kSeconds;
    core::write_json_file({{"search", f.config}}, dir / "config.json");
    write_front_files(f, dir);
    m.task.search_dirs.push_back(dir);
    m.task.seeds.push_back(s.seed);
    m.files.push_back(f);
  }
  return m;
}

std::vector<Headline> headlines(const Made& m) {
  std::vector<Headline> out;
  for (const FrontFile& f : m.files) {
    out.push_back(
        headline(f.front, f.baseline, f.config.value("objectives", "") == "error,size,bops"));
  }
  return out;
}

// ---- reading the markdown -----------------------------------------------------------------

// The markdown tables: runs of consecutive lines starting with '|'.
std::vector<std::vector<std::string>> tables(const std::string& markdown) {
  std::vector<std::vector<std::string>> out;
  std::stringstream s(markdown);
  std::string line;
  bool in_table = false;
  while (std::getline(s, line)) {
    const bool row = !line.empty() && line[0] == '|';
    if (row && !in_table) out.emplace_back();
    if (row) out.back().push_back(line);
    in_table = row;
  }
  return out;
}

// The cells of "| a | b |", trimmed; an escaped "\|" stays inside its cell.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|' && line[i - 1] != '\\') {
      const size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
      out.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return out;
}

const std::vector<std::string> kSummaryHeader = {"task",
                                                 "seeds",
                                                 "float (test)",
                                                 "8-bit val / test (mean)",
                                                 "8-bit size B",
                                                 "size reduction",
                                                 "at most (2-bit)",
                                                 "BOPs reduction",
                                                 "HV val mixed / homog.",
                                                 "HV test mixed / homog."};
const std::vector<std::string> kRunsHeader = {"task",
                                              "seed",
                                              "8-bit val",
                                              "8-bit test",
                                              "iso-accuracy genome (chosen on validation)",
                                              "size B",
                                              "val [95 %]",
                                              "test [95 %]",
                                              "test − 8-bit [paired 95 %]",
                                              "McNemar p",
                                              "size red.",
                                              "BOPs red.",
                                              "HV val",
                                              "HV test",
                                              "evaluations",
                                              "search time"};
const std::vector<std::string> kWidthsHeader = {"task", "validation n", "validation ±", "test n",
                                                "test ±"};

// RESULTS.md's three tables (summary, runs, interval widths), each checked well formed: the
// expected header, a separator, `rows` rows of the header's cell count. Returns their rows' cells.
struct Tables {
  std::vector<std::vector<std::string>> summary, runs, widths;
};

std::vector<std::vector<std::string>> checked(const std::vector<std::string>& lines,
                                              const std::vector<std::string>& header, size_t rows) {
  EXPECT_EQ(lines.size(), rows + 2);
  if (lines.size() < 2) return {};
  EXPECT_EQ(cells(lines[0]), header);
  for (const std::string& c : cells(lines[1])) EXPECT_TRUE(c == "---" || c == "---:") << c;
  std::vector<std::vector<std::string>> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(cells(lines[i]).size(), header.size()) << lines[i];
    EXPECT_EQ(lines[i].back(), '|') << lines[i];
    if (i >= 2) out.push_back(cells(lines[i]));
  }
  return out;
}

Tables read_tables(const std::string& md, size_t tasks, size_t runs) {
  const auto t = tables(md);
  EXPECT_EQ(t.size(), 3u) << md;
  if (t.size() != 3) return {};
  return {checked(t[0], kSummaryHeader, tasks), checked(t[1], kRunsHeader, runs),
          checked(t[2], kWidthsHeader, tasks)};
}

// ---- the expected figures, formatted as RESULTS.md formats them --------------------------

// 64296 -> "64,296".
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string interval(const Interval& i) {
  return "[" + fmt("%.2f", 100 * i.low) + ", " + fmt("%.2f", 100 * i.high) + "]";
}

std::vector<std::string> expected_run_cells(const std::string& task, unsigned seed,
                                            const Headline& h, const std::string& evaluations) {
  std::vector<std::string> c = {task, std::to_string(seed), pct(h.eight->val_accuracy),
                                pct(h.eight->test_accuracy)};
  if (h.size) {
    const Pick& p = *h.size;
    const ScoredGenome& g = *p.genome;
    c.push_back("`" + g.genome.to_compact() + "`");
    c.push_back(grouped(g.size_bits / 8));
    c.push_back(pct(g.val_accuracy) + (g.val_count > 0 ? " " + interval(p.val_interval) : ""));
    c.push_back(pct(g.test_accuracy) + (g.test_count > 0 ? " " + interval(p.test_interval) : ""));
    c.push_back(fmt("%+.2f pp", 100 * p.test_difference) +
                (p.paired ? " [" + fmt("%+.2f", 100 * p.test_difference_interval.low) + ", " +
                                fmt("%+.2f", 100 * p.test_difference_interval.high) + "]"
                          : ""));
    c.push_back(p.paired ? fmt("%.3g", p.mcnemar_p) : "–");
    c.push_back(fmt("%.1f %%", 100 * p.size_reduction));
    c.push_back(fmt("%.1f %%", 100 * h.bops->bops_reduction));
  } else {
    c.insert(c.end(), {"none within 0.5 pp", "–", "–", "–", "–", "–", "0.0 %", "0.0 %"});
  }
  c.push_back(fmt("%.4f", h.validation.front) + " / " + fmt("%.4f", h.validation.baseline));
  c.push_back(fmt("%.4f", h.test.front) + " / " + fmt("%.4f", h.test.baseline));
  c.push_back(evaluations);
  c.push_back("0:44:16");  // kSeconds
  return c;
}

struct Spread {
  double mean = 0, sd = 0, worst = 0;
};

// Mean, sample standard deviation (n - 1) and the smallest value.
Spread spread(const std::vector<double>& v) {
  Spread s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  if (v.size() > 1) s.sd = std::sqrt(ss / static_cast<double>(v.size() - 1));
  s.worst = *std::min_element(v.begin(), v.end());
  return s;
}

// "63.2 %" for one seed; "63.2 ± 1.4 % (worst 61.9 %)" over several.
std::string percent_spread(const std::vector<double>& v) {
  const Spread s = spread(v);
  if (v.size() == 1) return fmt("%.1f %%", 100 * s.mean);
  return fmt("%.1f", 100 * s.mean) + " ± " + fmt("%.1f %%", 100 * s.sd) + " (worst " +
         fmt("%.1f %%", 100 * s.worst) + ")";
}

std::string number_spread(const std::vector<double>& v) {
  const Spread s = spread(v);
  if (v.size() == 1) return fmt("%.4f", s.mean);
  return fmt("%.4f", s.mean) + " ± " + fmt("%.4f", s.sd) + " (worst " + fmt("%.4f", s.worst) + ")";
}

template <typename Figure>
std::vector<double> over(const std::vector<Headline>& hs, Figure figure) {
  std::vector<double> v;
  for (const Headline& h : hs) v.push_back(figure(h));
  return v;
}

std::vector<std::string> expected_summary(const Made& m, const std::vector<Headline>& hs) {
  std::string seeds;
  for (unsigned s : m.task.seeds) seeds += (seeds.empty() ? "" : ", ") + std::to_string(s);
  // 8-bit's accuracies: the mean over the seeds.
  const auto eight_val = over(hs, [](const Headline& h) { return h.eight->val_accuracy; });
  const auto eight_test = over(hs, [](const Headline& h) { return h.eight->test_accuracy; });
  // A seed without a pick reduces nothing: 0.
  const auto size = over(hs, [](const Headline& h) { return h.size ? h.size->size_reduction : 0; });
  const auto bops = over(hs, [](const Headline& h) { return h.bops ? h.bops->bops_reduction : 0; });
  const auto mean = [](const std::vector<double>& v) { return fmt("%.4f", spread(v).mean); };
  return {m.task.name,
          seeds,
          pct(m.float_accuracy),
          pct(spread(eight_val).mean) + " / " + pct(spread(eight_test).mean),
          "64,296",
          "**" + percent_spread(size) + "**",
          "71.4 %",  // 1 - 18,408 / 64,296 B: the fixture's 2-bit and 8-bit sizes
          percent_spread(bops),
          number_spread(over(hs, [](const Headline& h) { return h.validation.front; })) + " / " +
              mean(over(hs, [](const Headline& h) { return h.validation.baseline; })),
          number_spread(over(hs, [](const Headline& h) { return h.test.front; })) + " / " +
              mean(over(hs, [](const Headline& h) { return h.test.baseline; }))};
}

// Half-width of the 95 % Wilson interval of `correct` of `n`.
std::string half_width(int64_t correct, int64_t n) {
  const Interval i = wilson(correct, n);
  return fmt("±%.2f pp", 100 * (i.high - i.low) / 2);
}

// ---- the tests ----------------------------------------------------------------------------

struct SeedsCase {
  const char* name;
  std::vector<SeedRun> seeds;
};

void PrintTo(const SeedsCase& c, std::ostream* os) {
  *os << c.name;
}

class ResultsTableSeeds : public ::testing::TestWithParam<SeedsCase> {};

TEST_P(ResultsTableSeeds, PrintWhatHeadlineReturnsForEverySeed) {
  TempDir dir;
  const Made m = make_task(dir.path(), "smnist", GetParam().seeds);
  const std::vector<Headline> hs = headlines(m);
  const fs::path out = dir / "results";
  EXPECT_EQ(write_results_table({m.task}, out), out / "RESULTS.md");
  EXPECT_TRUE(contains(read(out / "fronts.svg"), "<svg"));
  EXPECT_FALSE(fs::exists(out / ".fronts"));
  const std::string md = read(out / "RESULTS.md");
  const Tables t = read_tables(md, 1, hs.size());
  ASSERT_EQ(t.summary.size(), 1u);
  EXPECT_EQ(t.summary[0], expected_summary(m, hs));
  ASSERT_EQ(t.runs.size(), hs.size());
  for (size_t i = 0; i < hs.size(); ++i) {
    EXPECT_EQ(t.runs[i], expected_run_cells("smnist", m.task.seeds[i], hs[i], "1,559")) << i;
  }
  ASSERT_EQ(t.widths.size(), 1u);
  const std::vector<std::string> widths = {"smnist", "5,000", half_width(kEightVal, kVal), "10,000",
                                           half_width(kEightTest, kTest)};
  EXPECT_EQ(t.widths[0], widths);
  EXPECT_TRUE(contains(
      md, "(" + pct(m.float_accuracy) + " test, trained in 0:02:03), seeds " + t.summary[0][1]))
      << md;
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, ResultsTableSeeds,
    ::testing::Values(SeedsCase{"OneSeed", {{1, &kSeed1}}},
                      SeedsCase{"ThreeSeeds", {{1, &kSeed1}, {2, &kSeed2}, {3, &kSeed3}}},
                      SeedsCase{"SeedWithoutPick", {{1, &kSeed1}, {2, &kSeed2}, {7, &kNoPick}}}),
    [](const auto& p) { return std::string(p.param.name); });

// The figures the seeds test compares against are what they should be, by hand: three
// different reductions, and a seed without a pick pulling the worst to 0 %.
TEST(ResultsTable, SeedsSpreadByHand) {
  TempDir dir;
  const Made three = make_task(dir.path(), "three", {{1, &kSeed1}, {2, &kSeed2}, {3, &kSeed3}});
  const Made none = make_task(dir.path(), "none", {{1, &kSeed1}, {2, &kSeed2}, {7, &kNoPick}});
  const std::vector<Headline> h3 = headlines(three), hn = headlines(none);
  ASSERT_TRUE(h3[0].size && h3[1].size && h3[2].size);
  EXPECT_DOUBLE_EQ(h3[0].size->size_reduction, 1 - 147264.0 / 514368.0);  // 71.4 %
  EXPECT_DOUBLE_EQ(h3[1].size->size_reduction, 1 - 154944.0 / 514368.0);  // 69.9 %
  EXPECT_DOUBLE_EQ(h3[2].size->size_reduction, 1 - 198720.0 / 514368.0);  // 61.4 %
  EXPECT_FALSE(hn[2].size.has_value());
  write_results_table({three.task, none.task}, dir / "out");
  const Tables t = read_tables(read(dir / "out/RESULTS.md"), 2, 6);
  ASSERT_EQ(t.summary.size(), 2u);
  EXPECT_EQ(t.summary[0][5], "**67.5 ± 5.4 % (worst 61.4 %)**");
  EXPECT_EQ(t.summary[1][5], "**47.1 ± 40.8 % (worst 0.0 %)**");
  EXPECT_EQ(t.summary[1][1], "1, 2, 7");
  EXPECT_EQ(t.runs[5][4], "none within 0.5 pp");
}

TEST(ResultsTable, PicksOnValidationWhereTestWouldPickAnother) {
  TempDir dir;
  const Made m = make_task(dir.path(), "smnist", {{1, &kTestWouldPickA}});
  const FrontFile& f = m.files[0];
  const ScoredGenome &a = f.front[0], &b = f.front[1], &eight = f.baseline.back();
  ASSERT_GT(a.test_accuracy, eight.test_accuracy);
  ASSERT_GT(a.test_accuracy, b.test_accuracy);
  ASSERT_FALSE(within_tolerance(a, eight));
  const Headline h = headline(f.front, f.baseline, false);
  ASSERT_TRUE(h.size.has_value());
  ASSERT_EQ(h.size->genome->genome.to_compact(), kB);
  write_results_table({m.task}, dir / "out");
  const std::string md = read(dir / "out/RESULTS.md");
  const Tables t = read_tables(md, 1, 1);
  ASSERT_EQ(t.runs.size(), 1u);
  EXPECT_EQ(t.runs[0][4], "`" + kB + "`");
  EXPECT_EQ(t.runs[0], expected_run_cells("smnist", 1, h, "1,559"));
  EXPECT_FALSE(contains(md, kA));
}

// front.json as written before sequence counts, a layout, all-session counts and the checkpoint
// hash existed, with the figures it then stored: recomputed, no intervals, the count marked †.
TEST(ResultsTable, ReadsAnOlderRunsFrontJson) {
  TempDir dir;
  const Made m = make_task(dir.path(), "smnist", {{1, &kSeed1}});
  std::vector<ScoredGenome> front = m.files[0].front, base = m.files[0].baseline;
  const auto old_point = [](ScoredGenome& g) {
    g.val_count = g.test_count = 0;
    g.test_only_this = g.test_only_eight = -1;
    return json{{"genome", g.genome.to_pairs()},
                {"compact", g.genome.to_compact()},
                {"val_accuracy", g.val_accuracy},
                {"test_accuracy", g.test_accuracy},
                {"size_bits", g.size_bits},
                {"footprint_bytes", g.footprint_bytes},
                {"bops", g.bops}};
  };
  json doc = {
      {"task", "smnist"},        {"config", m.files[0].config}, {"hypervolume_front", 0.75},
      {"size_reduction", 0.123}, {"evaluations", 40},           {"cache_hits", 2},
      {"seconds", kSeconds},     {"front", json::array()},      {"baseline", json::array()}};
  for (ScoredGenome& g : front) doc["front"].push_back(old_point(g));
  for (ScoredGenome& g : base) doc["baseline"].push_back(old_point(g));
  core::write_json_file(doc, m.task.search_dirs[0] / "front.json");

  write_results_table({m.task}, dir / "out");
  const std::string md = read(dir / "out/RESULTS.md");
  const Headline h = headline(front, base, false);
  ASSERT_TRUE(h.size.has_value());
  const Tables t = read_tables(md, 1, 1);
  ASSERT_EQ(t.runs.size(), 1u);
  EXPECT_EQ(t.runs[0], expected_run_cells("smnist", 1, h, "40 †"));
  EXPECT_EQ(t.runs[0][9], "–");  // no McNemar without the paired counts
  EXPECT_EQ(t.summary[0][5], "**" + fmt("%.1f %%", 100 * h.size->size_reduction) + "**");
  EXPECT_FALSE(contains(md, "12.3 %"));  // the stored figure is not the table's
  const std::vector<std::string> widths = {"smnist", "0", "–", "0", "–"};
  EXPECT_EQ(t.widths[0], widths);
  EXPECT_TRUE(contains(md, "† the run's front.json predates the all-sessions count"));
}

TEST(ResultsTable, NotesSkippedTasksTheCommandAndTheDate) {
  TempDir dir;
  TaskOptions bops;
  bops.objectives = "error,size,bops";
  TaskOptions hard;
  hard.float_accuracy = 0.9060;
  hard.float_balanced = 0.8875;
  const Made smnist = make_task(dir.path(), "smnist", {{1, &kBopsFront}}, bops);
  const Made poor = make_task(dir.path(), "hard", {{4, &kNoPick}}, hard);
  ResultsOptions options;
  options.skipped = {{"spam", "configs/spam.toml not found"}};
  options.command = "scripts/reproduce.sh --tasks smnist";
  options.date = "2025-01-02";
  write_results_table({smnist.task, poor.task}, dir / "out", options);
  const std::string md = read(dir / "out/RESULTS.md");
  const Tables t = read_tables(md, 2, 2);
  ASSERT_EQ(t.runs.size(), 2u);
  const Headline h = headline(smnist.files[0].front, smnist.files[0].baseline, true);
  ASSERT_TRUE(h.size && h.bops);
  ASSERT_NE(h.size->genome, h.bops->genome);
  EXPECT_EQ(t.runs[0], expected_run_cells("smnist", 1, h, "1,559"));
  EXPECT_EQ(t.runs[1][4], "none within 0.5 pp");
  EXPECT_TRUE(contains(md, "- **smnist**, seed 1: the BOPs reduction is that of `" + kC +
                               "`, the front genome with the fewest BOPs within the tolerance on "
                               "validation (test " +
                               pct(h.bops->genome->test_accuracy) + ")."))
      << md;
  EXPECT_TRUE(contains(md, "- **spam**: skipped: configs/spam.toml not found.")) << md;
  EXPECT_TRUE(contains(md, "Generated 2025-01-02"));
  EXPECT_TRUE(contains(md, "`scripts/reproduce.sh --tasks smnist`"));
  EXPECT_TRUE(contains(md, "(90.60 % test, balanced 88.75 %, trained in")) << md;
  EXPECT_FALSE(contains(md, "(98.69 % test, balanced"));
  EXPECT_TRUE(contains(md, "made by hand"));
  EXPECT_TRUE(contains(md,
                       "**Every choice is made on the validation split; the test split is "
                       "only reported.**"));
  EXPECT_TRUE(contains(md, "![Mixed-precision fronts"));
  EXPECT_FALSE(contains(md, "†"));
  EXPECT_FALSE(contains(md, "Changes since the previous table")) << md;
}

// The changes are quoted after the summary, before the runs' table; blank ones write nothing.
TEST(ResultsTable, QuotesTheChangesSinceThePreviousTable) {
  TempDir dir;
  const Made smnist = make_task(dir.path(), "smnist", {{1, &kBopsFront}});
  ResultsOptions options;
  options.changes = "- **kws**: QAT learning rate 1e-2 (was 1e-3), chosen on validation.\n\n\n";
  write_results_table({smnist.task}, dir / "out", options);
  const std::string md = read(dir / "out/RESULTS.md");
  const size_t at = md.find(
      "\n## Changes since the previous table\n\n- **kws**: QAT learning "
      "rate 1e-2 (was 1e-3), chosen on validation.\n\nEvery run,");
  ASSERT_NE(at, std::string::npos) << md;
  EXPECT_LT(md.find("| smnist | 1 |"), at) << md;
  options.changes = " \n\t\n";
  write_results_table({smnist.task}, dir / "out", options);
  EXPECT_FALSE(contains(read(dir / "out/RESULTS.md"), "Changes since"));
}

struct Spoiled {
  const char* name;
  std::function<void(const ResultsTask&)> spoil;
  const char* file;  // relative to the temporary folder
  std::string says;
};

void rewrite_front(const ResultsTask& t, const std::function<void(json&)>& change) {
  json doc = core::read_json_file(t.search_dirs[0] / "front.json");
  change(doc);
  core::write_json_file(doc, t.search_dirs[0] / "front.json");
}

void PrintTo(const Spoiled& s, std::ostream* os) {
  *os << s.name;
}

class ResultsTableSpoiled : public ::testing::TestWithParam<Spoiled> {};

TEST_P(ResultsTableSpoiled, IsRefusedNamingTheFile) {
  TempDir dir;
  const Made m = make_task(dir.path(), "smnist", {{1, &kSeed1}, {2, &kSeed2}});
  GetParam().spoil(m.task);
  try {
    write_results_table({m.task}, dir / "out");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_TRUE(contains(what, (dir / GetParam().file).string() + ": ")) << what;
    EXPECT_TRUE(contains(what, GetParam().says)) << what;
  }
  EXPECT_FALSE(fs::exists(dir / "out/RESULTS.md"));
}

INSTANTIATE_TEST_SUITE_P(
    Files, ResultsTableSpoiled,
    ::testing::Values(
        Spoiled{"NoMetricsJson",
                [](const ResultsTask& task) { fs::remove(task.float_dir / "metrics.json"); },
                "smnist-float/metrics.json", "missing; train the float model first"},
        Spoiled{"UnfinishedTraining",
                [](const ResultsTask& task) {
                  core::write_json_file({{"test_accuracy", 0.0}, {"test_loss", 0.0}},
                                        task.float_dir / "metrics.json");
                },
                "smnist-float/metrics.json", "has not finished"},
        Spoiled{"SecondSeedHasNoFrontJson",
                [](const ResultsTask& task) { fs::remove(task.search_dirs[1] / "front.json"); },
                "smnist-search-2/front.json", "mpgru search --resume"},
        Spoiled{"FrontJsonNotJson",
                [](const ResultsTask& task) {
                  std::ofstream(task.search_dirs[0] / "front.json") << "{\"front\": [";
                },
                "smnist-search-1/front.json", "invalid JSON"},
        Spoiled{"NoBaselineKey",
                [](const ResultsTask& task) {
                  rewrite_front(task, [](json& d) { d.erase("baseline"); });
                },
                "smnist-search-1/front.json", "not a search result"},
        Spoiled{"EmptyBaseline",
                [](const ResultsTask& task) {
                  rewrite_front(task, [](json& d) { d["baseline"] = json::array(); });
                },
                "smnist-search-1/front.json", "no homogeneous baseline"},
        Spoiled{"AccuracyAboveOne",
                [](const ResultsTask& task) {
                  rewrite_front(task, [](json& d) { d["front"][0]["test_accuracy"] = 98.7; });
                },
                "smnist-search-1/front.json", "implausible"},
        Spoiled{"EightBitWithoutBops",
                [](const ResultsTask& task) {
                  rewrite_front(task, [](json& d) { d["baseline"].back()["bops"] = 0; });
                },
                "smnist-search-1/front.json", "8888888888888888888888888"},
        Spoiled{"RetrainedFloatModel",
                [](const ResultsTask& task) {
                  std::ofstream(task.float_dir / "checkpoint") << "other weights";
                },
                "smnist-search-1/front.json", "hashes to"}),
    [](const auto& p) { return std::string(p.param.name); });

struct Rejected {
  const char* name;
  std::function<std::vector<ResultsTask>(ResultsTask)> tasks;
};

void PrintTo(const Rejected& r, std::ostream* os) {
  *os << r.name;
}

class ResultsTableRejected : public ::testing::TestWithParam<Rejected> {};

TEST_P(ResultsTableRejected, ThrowsInvalidArgument) {
  TempDir dir;
  const Made m = make_task(dir.path(), "smnist", {{1, &kSeed1}, {2, &kSeed2}});
  EXPECT_THROW(write_results_table(GetParam().tasks(m.task), dir / "out"), std::invalid_argument);
  EXPECT_FALSE(fs::exists(dir / "out/RESULTS.md"));
}

INSTANTIATE_TEST_SUITE_P(
    Tasks, ResultsTableRejected,
    ::testing::Values(Rejected{"NoTasks", [](ResultsTask) { return std::vector<ResultsTask>{}; }},
                      Rejected{"SameTaskTwice",
                               [](ResultsTask task) {
                                 return std::vector<ResultsTask>{task, task};
                               }},
                      Rejected{"FewerSeedsThanFolders",
                               [](ResultsTask task) {
                                 task.seeds.pop_back();
                                 return std::vector<ResultsTask>{task};
                               }},
                      Rejected{"MoreSeedsThanFolders",
                               [](ResultsTask task) {
                                 task.seeds.push_back(3);
                                 return std::vector<ResultsTask>{task};
                               }},
                      Rejected{"NoSeeds",
                               [](ResultsTask task) {
                                 task.seeds.clear();
                                 task.search_dirs.clear();
                                 return std::vector<ResultsTask>{task};
                               }}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(ResultsTable, FinishedRunsAreRecognised) {
  TempDir dir;
  const Made m = make_task(dir.path(), "smnist", {{1, &kSeed1}});
  EXPECT_TRUE(float_run_finished(m.task.float_dir));
  EXPECT_TRUE(search_run_finished(m.task.search_dirs[0]));
  EXPECT_FALSE(float_run_finished(dir / "nowhere"));
  EXPECT_FALSE(search_run_finished(dir / "nowhere"));
  core::write_json_file({{"test_accuracy", 0.0}, {"test_loss", 0.0}},
                        m.task.float_dir / "metrics.json");  // as after an epoch of a training
  EXPECT_FALSE(float_run_finished(m.task.float_dir));
}

// ---- a speech-enhancement task: scored on SI-SDR improvement, its own section ----------------

using testing::kSeA;
using testing::kSeB;
using testing::kSeC;
using testing::kSeFront;
using testing::kSeNoPick;
using testing::kSeReference;
using testing::quality_baseline;
using testing::quality_scored;
using testing::QualityRow;

struct QualitySeedRun {
  unsigned seed;
  const std::vector<QualityRow>* front;
};

// A speech-enhancement task as mpgru train and mpgru search leave it: metrics.json with the float
// model's test quality (SI-SDR improvement 8.15 dB, STOI 0.839 -> 0.868) and front.json scored
// in dB with the metric {"name": "sisdr", "reference": 8.0}.
Made make_quality_task(const fs::path& root, const std::string& name,
                       const std::vector<QualitySeedRun>& seeds) {
  Made m;
  m.task.name = name;
  m.task.float_dir = root / (name + "-float");
  m.task.commands = "made by hand";
  fs::create_directories(m.task.float_dir);
  std::ofstream(m.task.float_dir / "checkpoint") << "weights of " << name;
  const json test = {{"clips", 50},
                     {"si_sdr_noisy", 5.1},
                     {"si_sdr_enhanced", 13.25},
                     {"si_sdri", 8.15},
                     {"si_sdri_ci95", 0.45},
                     {"stoi_noisy", 0.839},
                     {"stoi_enhanced", 0.868},
                     {"stoi_enhanced_ci95", 0.01}};
  json validation = test;
  validation["si_sdri"] = kSeReference;
  core::write_json_file({{"test_accuracy", 0.0},
                         {"test_loss", 0.0123},
                         {"total_seconds", 123.0},
                         {"quality", {{"validation", validation}, {"test", test}}}},
                        m.task.float_dir / "metrics.json");
  for (const QualitySeedRun& s : seeds) {
    const fs::path dir = root / (name + "-search-" + std::to_string(s.seed));
    fs::create_directories(dir);
    FrontFile f;
    f.task = "se";
    f.checkpoint_hash = core::file_hash(m.task.float_dir / "checkpoint");
    f.config = search_config(m.task.float_dir, "error,size", s.seed);
    f.config["task"] = "se";
    f.metric = make_metric("sisdr", kSeReference);
    for (const QualityRow& r : *s.front) f.front.push_back(quality_scored(r));
    f.baseline = quality_baseline();
    f.evaluations = kEvaluations;
    f.session_evaluations = 40;
    f.session_cache_hits = 2;
    f.seconds = kSeconds;
    core::write_json_file({{"search", f.config}}, dir / "config.json");
    write_front_files(f, dir);
    m.task.search_dirs.push_back(dir);
    m.task.seeds.push_back(s.seed);
    m.files.push_back(f);
  }
  return m;
}

const std::vector<std::string> kQualityHeader = {"task",
                                                 "seed",
                                                 "metric",
                                                 "float (test)",
                                                 "8-bit val / test",
                                                 "8-bit size B",
                                                 "iso-quality genome (chosen on validation)",
                                                 "size B",
                                                 "val [95 %]",
                                                 "test [95 %]",
                                                 "test − 8-bit [paired 95 %]",
                                                 "size red.",
                                                 "BOPs red.",
                                                 "size red. at most (2-bit)",
                                                 "HV val mixed / homog.",
                                                 "HV test mixed / homog.",
                                                 "evaluations",
                                                 "search time"};

const std::string kQualityHeading = "## Speech enhancement (sequence to sequence)";

// The quality row of one seed, written out by hand but for the hypervolumes (from headline()).
std::vector<std::string> expected_quality_row(const std::string& task, unsigned seed,
                                              const FrontFile& f,
                                              const std::vector<std::string>& pick) {
  const Headline h = headline(f.front, f.baseline, false, f.metric);
  std::vector<std::string> c = {task,      std::to_string(seed), "SI-SDR improvement",
                                "8.15 dB", "7.90 dB / 8.04 dB",  "70,000"};
  c.insert(c.end(), pick.begin(), pick.end());
  c.push_back("75.0 %");  // 1 - 2-bit's 17,500 / 8-bit's 70,000 bits (the fixture's baseline)
  c.push_back(fmt("%.4f", h.validation.front) + " / " + fmt("%.4f", h.validation.baseline));
  c.push_back(fmt("%.4f", h.test.front) + " / " + fmt("%.4f", h.test.baseline));
  c.push_back("1,559");
  c.push_back("0:44:16");  // kSeconds
  return c;
}

// B, picked within 0.3 dB on validation, with its intervals in dB.
const std::vector<std::string> kSePickCells = {"`" + kSeB + "`",
                                               "28,000",
                                               "7.65 dB [7.20 dB, 8.10 dB]",
                                               "7.95 dB [7.51 dB, 8.39 dB]",
                                               "-0.09 dB [-0.17 dB, -0.01 dB]",
                                               "**60.0 %**",
                                               "55.0 %"};
const std::vector<std::string> kSeNoPickCells = {
    "none within 0.3 dB", "–", "–", "–", "–", "0.0 %", "0.0 %"};

TEST(ResultsTableQuality, EnhancementTaskHasItsOwnSectionAndRows) {
  TempDir dir;
  const Made smnist = make_task(dir.path(), "smnist", {{1, &kSeed1}});
  const Made se = make_quality_task(dir.path(), "se", {{1, &kSeFront}, {2, &kSeNoPick}});
  // The fixture is what it claims: A beats 8-bit on test but is out on validation.
  const FrontFile& f = se.files[0];
  ASSERT_GT(f.front[0].test_accuracy, f.baseline.back().test_accuracy);
  ASSERT_FALSE(within_tolerance(f.front[0], f.baseline.back(), f.metric));
  ASSERT_TRUE(within_tolerance(f.front[1], f.baseline.back(), f.metric));

  write_results_table({smnist.task, se.task}, dir / "out");
  const std::string md = read(dir / "out/RESULTS.md");
  const auto t = tables(md);
  ASSERT_EQ(t.size(), 4u) << md;  // summary, runs, widths; then the enhancement table
  // The classification tables hold smnist only.
  EXPECT_EQ(checked(t[0], kSummaryHeader, 1)[0][0], "smnist");
  EXPECT_EQ(checked(t[1], kRunsHeader, 1)[0][0], "smnist");
  EXPECT_EQ(checked(t[2], kWidthsHeader, 1)[0][0], "smnist");
  EXPECT_TRUE(contains(md, "# Mixed-precision GRUs: smnist\n")) << md;

  const auto rows = checked(t[3], kQualityHeader, 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], expected_quality_row("se", 1, se.files[0], kSePickCells));
  EXPECT_EQ(rows[1], expected_quality_row("se", 2, se.files[1], kSeNoPickCells));
  EXPECT_FALSE(contains(md, kSeA));  // test would have picked it: never shown

  // The section comes after the classification tasks' and before its own table.
  const size_t heading = md.find(kQualityHeading + "\n");
  ASSERT_NE(heading, std::string::npos) << md;
  EXPECT_GT(heading, md.find("## How these numbers were produced"));
  EXPECT_LT(heading, md.find("| task | seed | metric |"));
  EXPECT_TRUE(contains(md, "- **se**: float model `" + se.task.float_dir.string() +
                               "` (test SI-SDR improvement 8.15 dB, STOI improvement +0.029, "
                               "trained in 0:02:03), seeds 1, 2, searches "))
      << md;
  EXPECT_EQ(md.find("- **se**"), md.rfind("- **se**"));  // not among the classification notes
}

TEST(ResultsTableQuality, OnlyAnEnhancementTaskWritesItsSectionAlone) {
  TempDir dir;
  const Made se = make_quality_task(dir.path(), "se", {{1, &kSeFront}});
  ResultsOptions options;
  options.skipped = {{"spam", "configs/spam.toml not found"}};
  const fs::path out = dir / "out";
  EXPECT_EQ(write_results_table({se.task}, out, options), out / "RESULTS.md");
  const std::string md = read(out / "RESULTS.md");
  const auto t = tables(md);
  ASSERT_EQ(t.size(), 1u) << md;
  const auto rows = checked(t[0], kQualityHeader, 1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], expected_quality_row("se", 1, se.files[0], kSePickCells));
  EXPECT_TRUE(contains(md, kQualityHeading + "\n")) << md;
  EXPECT_TRUE(contains(md, "- **spam**: skipped: configs/spam.toml not found.")) << md;
  // No classification table, figure or notes.
  EXPECT_FALSE(contains(md, "size reduction |")) << md;
  EXPECT_FALSE(contains(md, "iso-accuracy")) << md;
  EXPECT_FALSE(contains(md, "fronts.svg")) << md;
  EXPECT_FALSE(fs::exists(out / "fronts.svg"));
  EXPECT_FALSE(fs::exists(out / ".fronts"));
}

// Adding an enhancement task changes nothing of the classification tasks: their tables are the
// same lines, and the figure has their panels only (the same file as without it).
TEST(ResultsTableQuality, MixedWithClassificationKeepsTheirTablesAndFigure) {
  TempDir dir;
  const Made smnist = make_task(dir.path(), "smnist", {{1, &kSeed1}, {2, &kSeed2}});
  const Made spam = make_task(dir.path(), "spam", {{4, &kNoPick}});
  const Made se = make_quality_task(dir.path(), "enhance", {{1, &kSeFront}});
  ResultsOptions options;
  options.date = "2025-01-02";
  write_results_table({smnist.task, spam.task}, dir / "alone", options);
  write_results_table({smnist.task, se.task, spam.task}, dir / "mixed", options);
  const std::string alone = read(dir / "alone/RESULTS.md");
  const std::string mixed = read(dir / "mixed/RESULTS.md");

  const auto ta = tables(alone), tm = tables(mixed);
  ASSERT_EQ(ta.size(), 3u) << alone;
  ASSERT_EQ(tm.size(), 4u) << mixed;
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(tm[i], ta[i]) << i;
  const Tables t = read_tables(alone, 2, 3);
  ASSERT_EQ(t.summary.size(), 2u);
  EXPECT_EQ(t.summary[0], expected_summary(smnist, headlines(smnist)));
  EXPECT_EQ(t.summary[1], expected_summary(spam, headlines(spam)));
  // Everything before the enhancement section is the classification-only file.
  const size_t heading = mixed.find(kQualityHeading);
  ASSERT_NE(heading, std::string::npos);
  EXPECT_EQ(mixed.substr(0, heading), alone + "\n");
  const auto rows = checked(tm[3], kQualityHeader, 1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], expected_quality_row("enhance", 1, se.files[0], kSePickCells));

  const std::string figure = read(dir / "mixed/fronts.svg");
  EXPECT_TRUE(contains(figure, "smnist (seed 1)")) << figure.substr(0, 2000);
  EXPECT_TRUE(contains(figure, "spam (seed 4)"));
  EXPECT_FALSE(contains(figure, "enhance"));
  EXPECT_EQ(figure, read(dir / "alone/fronts.svg"));
}

}  // namespace
}  // namespace mpgru::report
