// scripts/reproduce.sh end to end on a tiny budget (sMNIST only, tests/scripts/tiny-*.toml, about
// 20 s): a fresh run trains, searches and writes a well-formed RESULTS.md; a re-run reuses the
// finished task, a stopped search is continued; a task whose configs or data are missing stops the
// script before any work unless --skip-missing leaves it out.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/mpgru_command.hpp"
#include "core/json_file.hpp"
#include "fixtures/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kSource = MPGRU_SOURCE_DIR;
const fs::path kData = MPGRU_TEST_DATA_DIR;
const std::string kTinyPaper = (kSource / "tests/scripts/tiny-paper.toml").string();

using ScriptResult = mpgru::testing::CommandResult;

ScriptResult reproduce(const std::string& args, const fs::path& data = kData) {
  const std::string command = "BUILD='" + fs::path(MPGRU_BINARY).parent_path().string() +
                              "' MPGRU_DATA_DIR='" + data.string() + "' sh '" +
                              (kSource / "scripts/reproduce.sh").string() + "' " + args + " 2>&1";
  return mpgru::testing::capture(command);
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

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

// RESULTS.md: a summary row per task (with its seeds), a row per run (task, seed), an interval
// width row per task; every row of a table as wide as its header.
void expect_table_of(const fs::path& results, const std::vector<std::string>& tasks,
                     const std::vector<std::string>& seeds) {
  const std::string md = read(results / "RESULTS.md");
  const auto t = tables(md);
  ASSERT_EQ(t.size(), 3u) << md;
  ASSERT_EQ(t[0].size(), tasks.size() + 2) << md;
  ASSERT_EQ(t[1].size(), tasks.size() * seeds.size() + 2) << md;
  ASSERT_EQ(t[2].size(), tasks.size() + 2) << md;
  const auto bars = [](const std::string& l) { return std::count(l.begin(), l.end(), '|'); };
  for (const auto& table : t) {
    for (const std::string& line : table) EXPECT_EQ(bars(line), bars(table[0])) << line;
  }
  std::string seed_list;
  for (const std::string& seed : seeds) seed_list += (seed_list.empty() ? "" : ", ") + seed;
  for (size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_EQ(t[0][i + 2].rfind("| " + tasks[i] + " | " + seed_list + " | ", 0), 0u) << t[0][i + 2];
    for (size_t k = 0; k < seeds.size(); ++k) {
      const std::string& row = t[1][2 + i * seeds.size() + k];
      EXPECT_EQ(row.rfind("| " + tasks[i] + " | " + seeds[k] + " | ", 0), 0u) << row;
    }
  }
  if (seeds.size() > 1) {
    EXPECT_TRUE(contains(t[0][2], " ± ")) << t[0][2];
  }
  EXPECT_TRUE(contains(md, "chosen on validation")) << md;
  EXPECT_TRUE(contains(md, "## How these numbers were produced")) << md;
  EXPECT_TRUE(contains(read(results / "fronts.svg"), "<svg"));
}

// The tiny sMNIST task and "ghost", whose configs do not exist.
void write_paper_with_a_ghost(const fs::path& path) {
  std::ofstream(path) << "task = [\"smnist:tests/scripts/tiny-smnist.toml:"
                         "tests/scripts/tiny-smnist-search.toml:1\",\n"
                         "        \"ghost:tests/scripts/ghost.toml:tests/scripts/ghost-search.toml:"
                         "5\"]\n";
}

class Reproduce : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kData / "mnist")) GTEST_SKIP() << "sMNIST absent: run scripts/setup.sh";
  }
};

TEST_F(Reproduce, TinyRunWritesTheTableReusesAndContinues) {
  mpgru::testing::TempDir dir;
  const std::string where =
      " --runs " + (dir / "runs").string() + " --out " + (dir / "results").string();
  const ScriptResult first = reproduce("--config " + kTinyPaper + where);
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_TRUE(contains(first.output, "expected time 1 min")) << first.output;
  EXPECT_TRUE(contains(first.output, "[1/1] smnist seed 1: training the float model"))
      << first.output;
  EXPECT_TRUE(contains(first.output, "[1/1] smnist seed 1: searching")) << first.output;
  EXPECT_TRUE(fs::exists(dir / "runs/smnist-float/metrics.json"));
  EXPECT_TRUE(fs::exists(dir / "runs/smnist-search-s1/front.json"));
  expect_table_of(dir / "results", {"smnist"}, {"1"});

  const ScriptResult again = reproduce("--config " + kTinyPaper + where);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_TRUE(contains(again.output, "smnist seed 1: finished earlier, reused")) << again.output;
  EXPECT_FALSE(contains(again.output, "training the float model")) << again.output;

  // As if the search had been stopped before its end: it is continued, the float model kept.
  fs::remove(dir / "runs/smnist-search-s1/front.json");
  fs::remove(dir / "results/RESULTS.md");
  const ScriptResult resumed = reproduce("--tasks smnist --config " + kTinyPaper + where);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_TRUE(contains(resumed.output, "continuing the search")) << resumed.output;
  EXPECT_FALSE(contains(resumed.output, "training the float model")) << resumed.output;
  expect_table_of(dir / "results", {"smnist"}, {"1"});

  // More seeds: seed 1 is reused, seed 2 searched with the same float model, mean ± sd tabled.
  const ScriptResult seeds = reproduce("--seeds 1,2 --config " + kTinyPaper + where);
  ASSERT_EQ(seeds.code, 0) << seeds.output;
  EXPECT_TRUE(contains(seeds.output, "[1/2] smnist seed 1: finished earlier, reused"))
      << seeds.output;
  EXPECT_TRUE(contains(seeds.output, "[2/2] smnist seed 2: searching")) << seeds.output;
  EXPECT_FALSE(contains(seeds.output, "training the float model")) << seeds.output;
  EXPECT_EQ(mpgru::core::read_json_file(dir / "runs/smnist-search-s2/config.json")
                .at("search")
                .at("seed")
                .get<int>(),
            2);
  expect_table_of(dir / "results", {"smnist"}, {"1", "2"});

  // A task without configs is left out with --skip-missing and said so in RESULTS.md; the
  // list's changes file is quoted under its heading.
  const fs::path paper = dir / "paper.toml";
  write_paper_with_a_ghost(paper);
  std::ofstream(paper, std::ios::app) << "changes = \"" << (dir / "changes.md").string() << "\"\n";
  std::ofstream(dir / "changes.md") << "- smnist: 60 QAT steps (was 40), chosen on validation.\n";
  const ScriptResult skipped = reproduce("--skip-missing --config " + paper.string() + where);
  ASSERT_EQ(skipped.code, 0) << skipped.output;
  expect_table_of(dir / "results", {"smnist"}, {"1"});
  const std::string md = read(dir / "results/RESULTS.md");
  EXPECT_TRUE(contains(md, "**ghost**: skipped: tests/scripts/ghost.toml not found"));
  EXPECT_TRUE(contains(md,
                       "## Changes since the previous table\n\n- smnist: 60 QAT steps (was "
                       "40), chosen on validation.\n"))
      << md;
  EXPECT_FALSE(fs::exists(dir / "runs/ghost-float"));

  // A changes file that is not there stops the script before any work, naming it.
  fs::remove(dir / "changes.md");
  fs::remove(dir / "results/RESULTS.md");
  const ScriptResult lost =
      reproduce("--seeds 3 --tasks smnist --config " + paper.string() + where);
  EXPECT_EQ(lost.code, 1) << lost.output;
  EXPECT_TRUE(contains(lost.output, (dir / "changes.md").string() + ": cannot read (No such file"))
      << lost.output;
  EXPECT_FALSE(fs::exists(dir / "runs/smnist-search-s3"));
  EXPECT_FALSE(fs::exists(dir / "results/RESULTS.md"));
}

TEST_F(Reproduce, MissingConfigsOrDataStopItBeforeAnyWork) {
  mpgru::testing::TempDir dir;
  const std::string where =
      " --runs " + (dir / "runs").string() + " --out " + (dir / "results").string();
  const fs::path paper = dir / "paper.toml";
  write_paper_with_a_ghost(paper);
  const ScriptResult ghost = reproduce("--config " + paper.string() + where);
  EXPECT_EQ(ghost.code, 1) << ghost.output;
  EXPECT_TRUE(contains(ghost.output, "tests/scripts/ghost.toml not found")) << ghost.output;
  EXPECT_TRUE(contains(ghost.output, "--skip-missing")) << ghost.output;

  const ScriptResult no_data = reproduce("--config " + kTinyPaper + where, dir / "no-data");
  EXPECT_EQ(no_data.code, 1) << no_data.output;
  EXPECT_TRUE(contains(no_data.output, "no smnist data at " + (dir / "no-data/mnist").string()))
      << no_data.output;
  EXPECT_TRUE(contains(no_data.output, "scripts/setup.sh")) << no_data.output;
  EXPECT_FALSE(fs::exists(dir / "runs"));
  EXPECT_FALSE(fs::exists(dir / "results"));
}

TEST(ReproduceUsage, BadOptionsAreUsageErrors) {
  for (const char* args :
       {"--bogus", "--tasks nosuch", "--tasks", "--seeds 0", "--seeds 1,x", "--seeds 2,2"}) {
    const ScriptResult r = reproduce(
        "--config " + kTinyPaper + " --runs /nonexistent/runs --out /nonexistent/results " + args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "error")) << args << "\n" << r.output;
  }
}

}  // namespace
