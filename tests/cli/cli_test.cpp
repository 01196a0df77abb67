// The `mpgru` command as a user meets it: help everywhere, one-line errors, meaningful exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fixtures/temp_dir.hpp"

namespace {

struct CommandResult {
  int code;
  std::string output;  // stdout and stderr together
};

CommandResult run(const std::string& args) {
  // No data folder: a case that wrongly reached training fails fast instead of training.
  const std::string command =
      "MPGRU_DATA_DIR=/nonexistent/mpgru-data " + std::string(MPGRU_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) output.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST(Cli, HelpWorksForTheCommandAndEverySubcommand) {
  const CommandResult top = run("--help");
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.output.find("train"), std::string::npos);
  const CommandResult train = run("train --help");
  EXPECT_EQ(train.code, 0);
  for (const char* flag :
       {"--task", "--hidden", "--epochs", "--seed", "--threads", "--out", "--config"}) {
    EXPECT_NE(train.output.find(flag), std::string::npos) << flag;
  }
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* sub : {"train", "quantize", "qat", "eval", "sweep", "search", "report",
                          "results", "data kws-synth", "tasks"}) {
    const CommandResult r = run(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub;
  }
  EXPECT_NE(run("qat --help").output.find("--scale-lr"), std::string::npos);
  EXPECT_NE(run("quantize --help").output.find("--genome"), std::string::npos);
}

TEST(Cli, TasksListsEveryTaskWithItsDataStatus) {
  const CommandResult r = run("tasks");  // MPGRU_DATA_DIR names no folder: every task is missing
  EXPECT_EQ(r.code, 0) << r.output;
  for (const char* task : {"smnist", "kws", "sfmnist"}) {
    EXPECT_NE(r.output.find(task), std::string::npos) << task << "\n" << r.output;
  }
  EXPECT_NE(r.output.find("missing (/nonexistent/mpgru-data/mnist)"), std::string::npos)
      << r.output;
  const CommandResult json = run("tasks --json");
  ASSERT_EQ(json.code, 0) << json.output;
  const nlohmann::json listed = nlohmann::json::parse(json.output);
  std::vector<std::string> names;
  for (const nlohmann::json& t : listed.at("tasks")) {
    names.push_back(t.at("name"));
    EXPECT_FALSE(t.at("present").get<bool>()) << t.dump();
    EXPECT_FALSE(t.at("how_to_get").get<std::string>().empty()) << t.dump();
  }
  for (const char* task : {"smnist", "kws", "sfmnist"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), task), names.end()) << task;
  }
}

TEST(Cli, TasksSeesDataThatIsThere) {
  mpgru::testing::TempDir dir;
  std::filesystem::create_directories(dir / "mnist");
  std::ofstream(dir / "mnist" / "train-images-idx3-ubyte").put('x');
  const CommandResult r = run("tasks --data " + dir.path().string());
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("present at " + (dir / "mnist").string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("missing (" + (dir / "fashion-mnist").string() + ")"), std::string::npos)
      << r.output;
}

TEST(Cli, VersionPrints) {
  const CommandResult r = run("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("mpgru"), std::string::npos);
}

struct BadArgs {
  const char* args;
  const char* mention;
  int code;
};

void PrintTo(const BadArgs& b, std::ostream* os) {
  *os << "'" << b.args << "'";
}

class CliRejects : public ::testing::TestWithParam<BadArgs> {};

TEST_P(CliRejects, WithOneLineAndNonZeroExit) {
  const CommandResult r = run(GetParam().args);
  EXPECT_EQ(r.code, GetParam().code) << r.output;
  EXPECT_EQ(lines(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find(GetParam().mention), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate"), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliRejects,
    ::testing::Values(
        BadArgs{"", "a command is required", 2}, BadArgs{"fly", "unknown command 'fly'", 2},
        BadArgs{"--bogus", "--bogus", 2}, BadArgs{"train --bogus", "--bogus", 2},
        BadArgs{"train --hidden -3", "--hidden", 2}, BadArgs{"train --epochs many", "--epochs", 2},
        BadArgs{"train --lr 0", "--lr", 2},
        BadArgs{"train --task mnist", "unknown task 'mnist'", 2},
        BadArgs{"train --data /nonexistent/mpgru", "/nonexistent/mpgru/mnist", 1},
        BadArgs{"train --config /nonexistent/x.toml", "x.toml", 2},
        BadArgs{"quantize --ckpt /nonexistent/ck -o /tmp/x.mpq", "--genome", 2},
        BadArgs{"quantize --ckpt /nonexistent/ck --genome 8 -o /tmp/x.mpq", "/nonexistent/ck", 1},
        BadArgs{"eval /nonexistent/m.mpq --task smnist", "/nonexistent/m.mpq", 1},
        BadArgs{"eval", "model", 2},
        BadArgs{"eval m.mpq --task smnist --kernels fast", "--kernels", 2},
        BadArgs{"qat --ckpt /nonexistent/ck --genome 8 -o /tmp/x.mpq --steps -1", "--steps", 2},
        BadArgs{"sweep --ckpt /nonexistent/ck --split nope", "nope", 2},
        BadArgs{"report", "run_dir", 2}, BadArgs{"report /nonexistent/run", "/nonexistent/run", 2},
        BadArgs{"report /tmp", "/tmp: not a search run folder", 1}));

TEST(Cli, ConfigFileSuppliesOptionsAndFlagsOverrideIt) {
  mpgru::testing::TempDir dir;
  {
    std::ofstream out(dir / "c.toml");
    out << "task = \"nosuch\"\nepochs = 3\n";
  }
  const std::string config = "train --config " + (dir / "c.toml").string();
  EXPECT_NE(run(config).output.find("unknown task 'nosuch'"), std::string::npos);
  EXPECT_NE(run(config + " --task other").output.find("unknown task 'other'"), std::string::npos);
  {
    std::ofstream out(dir / "c.json");
    out << R"({"task": "fromjson", "json": true, "epochs": 2})";
  }
  EXPECT_NE(
      run("train --config=" + (dir / "c.json").string()).output.find("unknown task 'fromjson'"),
      std::string::npos);
}

}  // namespace
