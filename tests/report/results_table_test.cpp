// The results table from hand-made run folders: one well-formed markdown row per task with the
// run's figures, notes for tasks without an iso-accuracy genome or skipped, the evaluation count
// over every session, and errors that name the missing or malformed file.
#include "search/results_table.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/json_file.hpp"
#include "fixtures/temp_dir.hpp"
#include "search/evaluation_store.hpp"
#include "search/search_run.hpp"

namespace mpgru::search {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* kGenes[] = {"x",       "w_i.r",   "w_i.z",   "w_i.n",   "w_h.r",   "w_h.z",   "w_h.n",
                        "lin_i.r", "lin_i.z", "lin_i.n", "lin_h.r", "lin_h.z", "lin_h.n", "sum.r",
                        "sum.z",   "sum.n",   "act.r",   "act.z",   "act.n",   "mul.rn",  "mul.un",
                        "mul.zh",  "h",       "w_o",     "out"};

json point(const std::string& compact, double test, int64_t size_bits, int64_t bops) {
  std::string pairs;
  for (size_t g = 0; g < compact.size(); ++g) {
    pairs += (g ? "," : "") + std::string(kGenes[g]) + "=" + compact[g];
  }
  return {{"genome", pairs},       {"compact", compact},     {"val_accuracy", test + 0.001},
          {"test_accuracy", test}, {"size_bits", size_bits}, {"footprint_bytes", size_bits / 7},
          {"bops", bops}};
}

json search_config() {
  return {{"checkpoint", "/nonexistent/ckpt"},
          {"task", "smnist"},
          {"data_dir", ""},
          {"fitness", "qat"},
          {"qat_steps", 60},
          {"qat_epochs", 1.0},
          {"qat_batch", 128},
          {"qat_lr", 1e-3},
          {"qat_scale_lr", 1e-3},
          {"qat_seed", 1},
          {"objectives", "error,size"},
          {"calibration", "mse"},
          {"calib_sequences", 1000},
          {"population", 32},
          {"generations", 16},
          {"seed", 1},
          {"workers", 2},
          {"final_steps", 430},
          {"crossover", 0.95},
          {"eta_c", 10.0},
          {"mutation", 0.1},
          {"eta_m", 20.0}};
}

// The figures of a made-up task, written as mpgru train and mpgru search would.
struct Made {
  double float_accuracy = 0.9869;
  double float_balanced = -1;  // written to metrics.json only if >= 0
  double eight_accuracy = 0.9891;
  bool iso = true;  // the front has a genome within 0.5 pp of 8-bit
  int64_t evaluations = 559;
  double seconds = 2656.4;  // 0:44:16
};

ResultsTask make_task(const fs::path& root, const std::string& name, const Made& m = {}) {
  ResultsTask t{name, root / (name + "-float"), root / (name + "-search"), "made by hand"};
  fs::create_directories(t.float_dir);
  fs::create_directories(t.search_dir);
  std::ofstream(t.float_dir / "checkpoint") << "weights of " << name;
  json metrics = {{"task", "smnist"},
                  {"test_accuracy", m.float_accuracy},
                  {"test_loss", 0.05},
                  {"total_seconds", 123.0}};
  if (m.float_balanced >= 0) metrics["test_balanced_accuracy"] = m.float_balanced;
  core::write_json_file(metrics, t.float_dir / "metrics.json");
  core::write_json_file({{"search", search_config()}}, t.search_dir / "config.json");
  const double iso_accuracy = m.iso ? m.eight_accuracy - 0.0014 : m.eight_accuracy - 0.02;
  json doc = {{"task", "smnist"},
              {"checkpoint_hash", file_hash(t.float_dir / "checkpoint")},
              {"config", search_config()},
              {"hypervolume_front", 0.7557},
              {"hypervolume_baseline", 0.7085},
              {"size_reduction", m.iso ? 0.714 : 0.0},
              {"bops_reduction", m.iso ? 0.805 : 0.0},
              {"evaluations", m.evaluations},
              {"cache_hits", 4},
              {"seconds", m.seconds},
              {"front",
               {point("7222222785566666655575626", iso_accuracy, 147264, 21100000),
                point("6635232577566655555575577", iso_accuracy + 0.0007, 198720, 24800000)}},
              {"baseline", json::array()}};
  for (int bits = 2; bits <= 8; ++bits) {
    doc["baseline"].push_back(point(std::string(25, static_cast<char>('0' + bits)),
                                    m.eight_accuracy - 0.01 * (8 - bits),
                                    147264 + (bits - 2) * 61184, 6800000 + (bits - 2) * 16900000));
  }
  if (m.iso) {
    doc["iso_accuracy_genome"] = doc["front"][0];
    doc["iso_accuracy_bops_genome"] = doc["front"][0];
  }
  core::write_json_file(doc, t.search_dir / "front.json");
  return t;
}

// The markdown table's lines (those starting with '|').
std::vector<std::string> table_lines(const std::string& markdown) {
  std::vector<std::string> lines;
  std::stringstream s(markdown);
  std::string line;
  while (std::getline(s, line)) {
    if (!line.empty() && line[0] == '|') lines.push_back(line);
  }
  return lines;
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

// Every line of the table has the header's cell count; the second line is the separator.
void expect_well_formed(const std::vector<std::string>& lines, size_t rows) {
  ASSERT_EQ(lines.size(), rows + 2);
  const size_t columns = cells(lines[0]).size();
  EXPECT_EQ(columns, 13u);
  for (const std::string& line : lines) {
    EXPECT_EQ(cells(line).size(), columns) << line;
    EXPECT_EQ(line.back(), '|') << line;
  }
  for (const std::string& c : cells(lines[1])) {
    EXPECT_TRUE(c == "---" || c == "---:") << c;
  }
}

TEST(ResultsTable, OneWellFormedRowPerTaskWithTheRunsFigures) {
  testing::TempDir dir;
  Made poor;
  poor.iso = false;
  poor.float_accuracy = 0.9060;
  poor.float_balanced = 0.8875;
  poor.eight_accuracy = 0.9039;
  poor.seconds = 3725;
  const std::vector<ResultsTask> tasks = {make_task(dir.path(), "smnist"),
                                          make_task(dir.path(), "hard", poor)};
  const fs::path out = dir / "results";
  EXPECT_EQ(write_results_table(tasks, out), out / "RESULTS.md");
  EXPECT_NE(read(out / "fronts.svg").find("<svg"), std::string::npos);
  EXPECT_FALSE(fs::exists(out / ".fronts"));
  const std::string md = read(out / "RESULTS.md");
  const std::vector<std::string> lines = table_lines(md);
  expect_well_formed(lines, 2);
  const std::vector<std::string> smnist = cells(lines[2]);
  const std::vector<std::string> expected = {
      "smnist",  "98.69 %", "98.91 %", "64,296", "`7222222785566666655575626`",
      "98.77 %", "18,408",  "71.4 %",  "80.5 %", "0.7557",
      "0.7085",  "559",     "0:44:16"};
  EXPECT_EQ(smnist, expected);
  const std::vector<std::string> hard = cells(lines[3]);
  EXPECT_EQ(hard[0], "hard");
  EXPECT_EQ(hard[1], "90.60 %");
  EXPECT_EQ(hard[2], "90.39 %");
  for (size_t c = 4; c <= 8; ++c) EXPECT_EQ(hard[c], "–") << c;
  EXPECT_EQ(hard[12], "1:02:05");
  EXPECT_NE(md.find("**hard**: no front genome is within 0.5 pp of homogeneous 8-bit (90.39 %"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("**smnist**: no front genome"), std::string::npos);
  EXPECT_NE(md.find("(90.60 % test, balanced 88.75 %, trained in"), std::string::npos) << md;
  EXPECT_EQ(md.find("(98.69 % test, balanced"), std::string::npos);
  EXPECT_NE(md.find("![Mixed-precision fronts"), std::string::npos);
  EXPECT_NE(md.find("made by hand"), std::string::npos);
  EXPECT_NE(md.find("test split"), std::string::npos);
  EXPECT_NE(md.find("integer engine"), std::string::npos);
}

TEST(ResultsTable, SkippedTasksTheCommandAndTheDateAreWritten) {
  testing::TempDir dir;
  ResultsOptions options;
  options.skipped = {{"spam", "configs/spam.toml not found"}};
  options.command = "scripts/reproduce.sh --tasks smnist";
  options.date = "2025-01-02";
  write_results_table({make_task(dir.path(), "smnist")}, dir / "out", options);
  const std::string md = read(dir / "out/RESULTS.md");
  expect_well_formed(table_lines(md), 1);
  EXPECT_NE(md.find("**spam**: skipped: configs/spam.toml not found."), std::string::npos) << md;
  EXPECT_NE(md.find("Generated 2025-01-02"), std::string::npos);
  EXPECT_NE(md.find("`scripts/reproduce.sh --tasks smnist`"), std::string::npos);
}

TEST(ResultsTable, EvaluationsCountEverySessionFromTheStore) {
  testing::TempDir dir;
  Made replayed;
  replayed.evaluations = 0;  // a resumed session that found everything in the store
  const ResultsTask t = make_task(dir.path(), "smnist", replayed);
  std::ofstream(t.search_dir / "search.log") << "generation 1/16 evaluations 63 seconds 1\n"
                                             << "session started after 2600 seconds\n";
  write_results_table({t}, dir / "a");
  EXPECT_EQ(cells(table_lines(read(dir / "a/RESULTS.md"))[2])[11], "0 †");
  EXPECT_NE(read(dir / "a/RESULTS.md").find("last session only"), std::string::npos);

  const SearchConfig config = load_search_config(t.search_dir);
  FitnessSettings search = search_fitness_settings(config), final_scores = search;
  final_scores.qat.steps = config.final_steps;
  const std::string hash = file_hash(t.float_dir / "checkpoint");
  EvaluationStore store(t.search_dir / "evaluations.sqlite");
  const Evaluation e{0.9, 200000, 30000, 30000000, 1.0, ""};
  for (const char* g :
       {"5555555555555555555555555", "3456734567345673456734567", "8888888888888888888888888"}) {
    store.insert({"smnist", hash, search.canonical(), g}, e);
  }
  store.insert({"smnist", hash, final_scores.canonical(), "5555555555555555555555555"}, e);
  store.insert({"smnist", hash, final_scores.canonical() + ";report_split=test", "55"}, e);
  store.insert({"smnist", "another-checkpoint", search.canonical(), "44"}, e);
  write_results_table({t}, dir / "b");
  const std::string md = read(dir / "b/RESULTS.md");
  EXPECT_EQ(cells(table_lines(md)[2])[11], "4");
  EXPECT_EQ(md.find("last session only"), std::string::npos);
}

TEST(ResultsTable, MissingOrMalformedFilesAreNamed) {
  struct Case {
    const char* what;
    std::function<void(const ResultsTask&)> spoil;
    const char* file;
    const char* message;
  };
  const auto rewrite_front = [](const ResultsTask& t, const std::function<void(json&)>& change) {
    json doc = core::read_json_file(t.search_dir / "front.json");
    change(doc);
    core::write_json_file(doc, t.search_dir / "front.json");
  };
  const std::vector<Case> cases = {
      {"no metrics.json", [](const ResultsTask& t) { fs::remove(t.float_dir / "metrics.json"); },
       "smnist-float/metrics.json", "missing; train the float model first"},
      {"unfinished training",
       [](const ResultsTask& t) {
         core::write_json_file({{"test_accuracy", 0.0}, {"test_loss", 0.0}},
                               t.float_dir / "metrics.json");
       },
       "smnist-float/metrics.json", "has not finished"},
      {"no front.json", [](const ResultsTask& t) { fs::remove(t.search_dir / "front.json"); },
       "smnist-search/front.json", "mpgru search --resume"},
      {"front.json not JSON",
       [](const ResultsTask& t) { std::ofstream(t.search_dir / "front.json") << "{\"front\": ["; },
       "smnist-search/front.json", "invalid JSON"},
      {"no baseline key",
       [&](const ResultsTask& t) { rewrite_front(t, [](json& d) { d.erase("baseline"); }); },
       "smnist-search/front.json", "not a search result"},
      {"empty baseline",
       [&](const ResultsTask& t) {
         rewrite_front(t, [](json& d) { d["baseline"] = json::array(); });
       },
       "smnist-search/front.json", "no homogeneous baseline"},
      {"accuracy above 1",
       [&](const ResultsTask& t) {
         rewrite_front(t, [](json& d) { d["front"][0]["test_accuracy"] = 98.7; });
       },
       "smnist-search/front.json", "implausible"},
      {"retrained float model",
       [](const ResultsTask& t) { std::ofstream(t.float_dir / "checkpoint") << "other weights"; },
       "smnist-search/front.json", "hashes to"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    testing::TempDir dir;
    const ResultsTask t = make_task(dir.path(), "smnist");
    c.spoil(t);
    try {
      write_results_table({t}, dir / "out");
      ADD_FAILURE() << "no error";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(c.file), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir / "out/RESULTS.md"));
  }
}

TEST(ResultsTable, RejectsNoTasksAndTwiceTheSameTask) {
  testing::TempDir dir;
  EXPECT_THROW(write_results_table({}, dir / "out"), std::invalid_argument);
  const ResultsTask t = make_task(dir.path(), "smnist");
  EXPECT_THROW(write_results_table({t, t}, dir / "out"), std::invalid_argument);
}

TEST(ResultsTable, FinishedRunsAreRecognised) {
  testing::TempDir dir;
  const ResultsTask t = make_task(dir.path(), "smnist");
  EXPECT_TRUE(float_run_finished(t.float_dir));
  EXPECT_TRUE(search_run_finished(t.search_dir));
  EXPECT_FALSE(float_run_finished(dir / "nowhere"));
  EXPECT_FALSE(search_run_finished(dir / "nowhere"));
  core::write_json_file({{"test_accuracy", 0.0}, {"test_loss", 0.0}},
                        t.float_dir / "metrics.json");  // as after an epoch of a running training
  EXPECT_FALSE(float_run_finished(t.float_dir));
}

}  // namespace
}  // namespace mpgru::search
