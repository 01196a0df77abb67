// The `mpgru` command as a user meets it: help everywhere, one-line errors, meaningful exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/mpgru_command.hpp"
#include "fixtures/temp_dir.hpp"

namespace {

using mpgru::testing::capture;
using mpgru::testing::CommandResult;

CommandResult run(const std::string& args) {
  return mpgru::testing::run_mpgru(args);
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
                          "results", "data kws-synth", "tasks", "export", "import"}) {
    const CommandResult r = run(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub;
  }
  EXPECT_NE(run("qat --help").output.find("--scale-lr"), std::string::npos);
  for (const char* sub : {"qat", "search"}) {
    const std::string help = run(std::string(sub) + " --help").output;
    EXPECT_NE(help.find("--distill-weight"), std::string::npos) << sub;
    EXPECT_NE(help.find("--distill-temperature"), std::string::npos) << sub;
    EXPECT_NE(help.find("--dampen"), std::string::npos) << sub;
  }
  EXPECT_NE(run("quantize --help").output.find("--genome"), std::string::npos);
  EXPECT_NE(run("eval --help").output.find("--predictions"), std::string::npos);
}

TEST(Cli, TasksListsEveryTaskWithItsDataStatus) {
  const CommandResult r = run("tasks");  // MPGRU_DATA_DIR names no folder: every task is missing
  EXPECT_EQ(r.code, 0) << r.output;
  for (const char* task : {"smnist", "kws", "sfmnist"}) {
    EXPECT_NE(r.output.find(task), std::string::npos) << task << "\n" << r.output;
  }
  EXPECT_NE(r.output.find("missing (/nonexistent/mpgru-data/mnist)"), std::string::npos)
      << r.output;
  // Each task's input convention, for users who train elsewhere (docs/pytorch.md).
  EXPECT_NE(r.output.find("input: one image row per step, top row first: 28 pixels, each value / "
                          "255"),
            std::string::npos)
      << r.output;
  const CommandResult json = run("tasks --json");
  ASSERT_EQ(json.code, 0) << json.output;
  const nlohmann::json listed = nlohmann::json::parse(json.output);
  std::vector<std::string> names;
  for (const nlohmann::json& t : listed.at("tasks")) {
    names.push_back(t.at("name"));
    EXPECT_FALSE(t.at("present").get<bool>()) << t.dump();
    EXPECT_FALSE(t.at("how_to_get").get<std::string>().empty()) << t.dump();
    EXPECT_FALSE(t.at("input").get<std::string>().empty()) << t.dump();
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
        BadArgs{"qat --ckpt /nonexistent/ck --genome 8 -o /tmp/x.mpq --distill-weight 1.5",
                "--distill-weight", 2},
        BadArgs{"qat --ckpt /nonexistent/ck --genome 8 -o /tmp/x.mpq --distill-temperature 0",
                "--distill-temperature", 2},
        BadArgs{"qat --ckpt /nonexistent/ck --genome 8 -o /tmp/x.mpq --distill-temperature nan",
                "distill_temperature", 2},
        BadArgs{"search --ckpt /nonexistent/ck --fitness qat --distill-weight 2 --out "
                "/nonexistent/run",
                "--distill-weight", 2},
        BadArgs{"search --ckpt /nonexistent/ck --distill-weight 0.5 --out /nonexistent/run",
                "--fitness qat", 2},
        BadArgs{"qat --ckpt /nonexistent/ck --genome 8 -o /tmp/x.mpq --dampen -0.1", "--dampen", 2},
        BadArgs{"qat --ckpt /nonexistent/ck --genome 8 -o /tmp/x.mpq --dampen nan", "dampen", 2},
        BadArgs{"search --ckpt /nonexistent/ck --fitness qat --dampen -1 --out /nonexistent/run",
                "--dampen", 2},
        BadArgs{"search --ckpt /nonexistent/ck --dampen 0.01 --out /nonexistent/run",
                "--fitness qat", 2},
        BadArgs{"sweep --ckpt /nonexistent/ck --split nope", "nope", 2},
        BadArgs{"report", "run_dir", 2}, BadArgs{"report /nonexistent/run", "/nonexistent/run", 2},
        BadArgs{"report /tmp", "/tmp: not a search run folder", 1},
        BadArgs{"export /nonexistent/m.mpq", "--out", 2},
        BadArgs{"search --resume /nonexistent/run --population 8 --seed 3",
                "--population, --seed would be ignored", 2},
        BadArgs{"export /nonexistent/m.mpq --out /tmp/mpgru-x", "/nonexistent/m.mpq", 1},
        BadArgs{"export /nonexistent/m.mpq --out /tmp/mpgru-x --name 2bad", "2bad", 2},
        BadArgs{"export /nonexistent/m.mpq --out /tmp/mpgru-x --task nope", "unknown task 'nope'",
                2}));

// A 0-byte store is not taken for a new one on --resume (the run would silently start over).
TEST(Cli, ResumeRefusesAnEmptyStoreAndLeavesIt) {
  mpgru::testing::TempDir dir;
  std::ofstream(dir / "evaluations.sqlite").flush();
  const CommandResult r = run("search --resume " + dir.path().string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("evaluations.sqlite is empty (0 bytes)"), std::string::npos) << r.output;
  EXPECT_EQ(std::filesystem::file_size(dir / "evaluations.sqlite"), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir / "config.json"));
}

// A run folder whose config.json holds a bad value is a bad file (exit 1) named in the message.
TEST(Cli, ResumeOfABadConfigIsAFileErrorNamingIt) {
  mpgru::testing::TempDir dir;
  std::ofstream(dir / "config.json") << R"({"search": {"fitness": "magic"}})";
  const CommandResult r = run("search --resume " + dir.path().string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find((dir / "config.json").string()), std::string::npos) << r.output;
}

// Screened fidelity screens QAT fine-tunes: with PTQ fitness it is refused before anything is
// loaded or written; an unknown fidelity is refused by name.
TEST(Cli, ScreenedFidelityNeedsQatFitnessAndUnknownFidelitiesAreRefused) {
  mpgru::testing::TempDir dir;
  CommandResult r =
      run("search --ckpt /nonexistent/ck --fidelity screened --out " + (dir / "run").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--fitness qat"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "run"));
  r = run("search --ckpt /nonexistent/ck --fitness qat --fidelity fast --out " +
          (dir / "run").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("fidelity"), std::string::npos) << r.output;
  r = run("search --ckpt /nonexistent/ck --fitness qat --fidelity screened --promote 0 --out " +
          (dir / "run").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("promote"), std::string::npos) << r.output;
}

// --free-genes widest with objectives that price every gene, or an unknown value, is refused by
// name before anything is loaded or written.
TEST(Cli, FreeGenesWidestNeedsTheSizeObjectiveAndUnknownValuesAreRefused) {
  mpgru::testing::TempDir dir;
  CommandResult r =
      run("search --ckpt /nonexistent/ck --free-genes widest --objectives "
          "error,size,bops --out " +
          (dir / "run").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("free-genes widest needs objectives error,size"), std::string::npos)
      << r.output;
  r = run("search --ckpt /nonexistent/ck --free-genes narrowest --out " + (dir / "run").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--free-genes"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "run"));
}

// The genome is checked before the data is loaded and calibrated: a typo is reported at once.
TEST(Cli, QuantizeChecksTheGenomeBeforeLoadingData) {
  mpgru::testing::TempDir dir;
  const CommandResult r = run("quantize --ckpt /nonexistent/ck --genome 88x -o " +
                              (dir / "m.mpq").string() + " --calibration nope");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("nope"), std::string::npos) << r.output;
}

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

// The distillation options come from a search's options file too.
TEST(Cli, DistillationOptionsComeFromAConfigFile) {
  mpgru::testing::TempDir dir;
  const auto search_with = [&dir](const std::string& options) {
    std::ofstream(dir / "s.toml") << "ckpt = \"/nonexistent/ck\"\n" << options;
    return run("search --config " + (dir / "s.toml").string() + " --out " + (dir / "run").string());
  };
  CommandResult r = search_with("fitness = \"qat\"\ndistill-weight = 1.5\n");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--distill-weight"), std::string::npos) << r.output;
  r = search_with("distill-weight = 0.5\ndistill-temperature = 3\n");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--fitness qat"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "run"));
}

// Commands on a GRU-4 trained for one epoch on 256 sMNIST sequences (seconds), quantized at 6
// bits: trained once for the suite, skipped if the MNIST files are absent.
class TrainedSmnist : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kData / "mnist")) return;
    dir_ = new mpgru::testing::TempDir;
    const std::string data = " --data " + kData.string();
    const std::string ckpt = (*dir_ / "float").string();
    model_ = (*dir_ / "m.mpq").string();
    train_ =
        run("train --task smnist --hidden 4 --epochs 1 --train-limit 256 --batch 64 --threads 1 "
            "--seed 1 --out " +
            ckpt + data);
    if (train_.code == 0) {
      train_ = run("quantize --ckpt " + ckpt + " --genome " + std::string(25, '6') +
                   " --calib-sequences 64 -o " + model_ + data);
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (dir_ == nullptr) GTEST_SKIP() << "no MNIST files in " << kData;
    ASSERT_EQ(train_.code, 0) << train_.output;
  }

  // `eval` of the suite's model on the sMNIST test split.
  static CommandResult eval(const std::string& args) {
    return run("eval " + model_ + " --task smnist --data " + kData.string() + " " + args);
  }

  static inline const std::filesystem::path kData = MPGRU_TEST_DATA_DIR;
  static inline mpgru::testing::TempDir* dir_ = nullptr;
  static inline std::string model_;
  static inline CommandResult train_;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::stringstream cells(line);
    rows.emplace_back();
    for (std::string cell; std::getline(cells, cell, ',');) rows.back().push_back(cell);
  }
  return rows;
}

TEST_F(TrainedSmnist, FileHasARowPerSequenceAndMatchesThePrintedAccuracy) {
  mpgru::testing::TempDir dir;
  const std::string file = (dir / "p.csv").string();
  const CommandResult plain = eval("--json");
  const CommandResult with = eval("--json --predictions " + file);
  ASSERT_EQ(plain.code, 0) << plain.output;
  ASSERT_EQ(with.code, 0) << with.output;
  const nlohmann::json a = nlohmann::json::parse(plain.output);
  const nlohmann::json b = nlohmann::json::parse(with.output);
  EXPECT_EQ(b.at("accuracy"), a.at("accuracy"));  // asking for the file changes no figure
  EXPECT_EQ(b.at("correct"), a.at("correct"));
  EXPECT_EQ(b.at("predictions"), file);
  EXPECT_FALSE(a.contains("predictions"));

  const auto rows = csv_rows(read_file(file));
  const size_t classes = 10;
  std::vector<std::string> header = {"index", "label", "prediction", "correct"};
  for (size_t c = 0; c < classes; ++c) header.push_back("logit_" + std::to_string(c));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0], header);
  ASSERT_EQ(rows.size(), b.at("count").get<size_t>() + 1);
  int64_t correct = 0;
  for (size_t r = 1; r < rows.size(); ++r) {
    const std::vector<std::string>& row = rows[r];
    ASSERT_EQ(row.size(), header.size()) << "row " << r;
    EXPECT_EQ(std::stoll(row[0]), static_cast<long long>(r - 1));
    const bool right = row[1] == row[2];
    EXPECT_EQ(row[3], right ? "1" : "0") << "row " << r;
    correct += right;
    std::vector<int64_t> logits;
    for (size_t c = 0; c < classes; ++c) logits.push_back(std::stoll(row[4 + c]));
    const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();  // first max
    EXPECT_EQ(std::to_string(best), row[2]) << "row " << r;
  }
  EXPECT_EQ(correct, b.at("correct").get<int64_t>());
  EXPECT_GT(correct, 0);  // both kinds of row, so the check above is not vacuous
  EXPECT_LT(correct, static_cast<int64_t>(rows.size() - 1));
  EXPECT_EQ(static_cast<double>(correct) / static_cast<double>(rows.size() - 1),
            b.at("accuracy").get<double>());

  const CommandResult text = eval("--predictions " + file);
  ASSERT_EQ(text.code, 0) << text.output;
  const std::string fraction =
      "(" + std::to_string(correct) + "/" + std::to_string(rows.size() - 1) + ")";
  EXPECT_NE(text.output.find(fraction), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("wrote " + file), std::string::npos) << text.output;
  EXPECT_FALSE(std::filesystem::exists(file + ".tmp"));
}

// `mpgru qat --json` records the distillation settings when it distils, and only then.
TEST_F(TrainedSmnist, QatJsonRecordsDistillationWhenOn) {
  mpgru::testing::TempDir dir;
  const auto qat = [&dir](const std::string& extra) {
    const CommandResult r =
        run("qat --ckpt " + (*dir_ / "float").string() + " --genome " + std::string(25, '4') +
            " --steps 3 --batch 32 --calib-sequences 64 --threads 1 --split validation --json -o " +
            (dir / "q.mpq").string() + " --data " + kData.string() + extra);
    EXPECT_EQ(r.code, 0) << r.output;
    return nlohmann::json::parse(r.output);
  };
  const nlohmann::json plain = qat("");
  EXPECT_FALSE(plain.contains("distill_weight"));
  const nlohmann::json on = qat(" --distill-weight 0.5 --distill-temperature 3");
  EXPECT_EQ(on.at("distill_weight"), 0.5);
  EXPECT_EQ(on.at("distill_temperature"), 3.0);
  EXPECT_NE(on.at("loss_first"), plain.at("loss_first"));
}

// `mpgru qat --dampen` records lambda in its JSON (only then) and says it dampened; another model.
TEST_F(TrainedSmnist, QatDampensWhenAskedAndSaysSo) {
  mpgru::testing::TempDir dir;
  const auto qat = [&dir](const std::string& out, const std::string& extra) {
    const CommandResult r =
        run("qat --ckpt " + (*dir_ / "float").string() + " --genome " + std::string(25, '2') +
            " --steps 4 --batch 32 --calib-sequences 64 --threads 1 --split validation -o " +
            (dir / out).string() + " --data " + kData.string() + extra);
    EXPECT_EQ(r.code, 0) << r.output;
    return r.output;
  };
  const nlohmann::json plain = nlohmann::json::parse(qat("plain.mpq", " --json"));
  const nlohmann::json on = nlohmann::json::parse(qat("on.mpq", " --dampen 0.5 --json"));
  EXPECT_FALSE(plain.contains("dampen"));
  EXPECT_EQ(on.at("dampen"), 0.5);
  EXPECT_NE(read_file(dir / "on.mpq"), read_file(dir / "plain.mpq"));
  EXPECT_NE(qat("text.mpq", " --dampen 0.5").find("with oscillation dampening"), std::string::npos);
}

TEST_F(TrainedSmnist, FileDoesNotDependOnThreadsOrKernels) {
  mpgru::testing::TempDir dir;
  const auto one = dir / "one.csv", two = dir / "two.csv", ref = dir / "ref.csv";
  ASSERT_EQ(eval("--threads 1 --predictions " + one.string()).code, 0);
  ASSERT_EQ(eval("--threads 2 --predictions " + two.string()).code, 0);
  ASSERT_EQ(eval("--threads 2 --kernels reference --predictions " + ref.string()).code, 0);
  const std::string first = read_file(one);
  EXPECT_GT(lines(first), 1u);
  EXPECT_EQ(read_file(two), first);
  EXPECT_EQ(read_file(ref), first);
  // Every kernel path this CPU has, batched and one sequence at a time: the same file. An
  // unsupported path is refused naming the supported ones.
  for (const char* path : {"portable", "avx2", "avx512_vnni"}) {
    for (const char* batch : {"0", "1", "64", "256"}) {
      const auto file = dir / (std::string(path) + batch + ".csv");
      const CommandResult r = eval(std::string("--threads 1 --kernel-path ") + path + " --batch " +
                                   batch + " --predictions " + file.string());
      if (r.code != 0) {
        EXPECT_NE(r.output.find("this CPU does not support it (supported: portable"),
                  std::string::npos)
            << r.output;
        continue;
      }
      EXPECT_EQ(read_file(file), first) << path << " batch " << batch;
    }
  }
}

// A folder the test cannot write to: a chmod 0555 one, or, for root (whom modes do not stop),
// /sys, which refuses new files to root too.
std::filesystem::path read_only_folder(const mpgru::testing::TempDir& dir) {
  const std::filesystem::path folder = dir / "read-only";
  std::filesystem::create_directory(folder);
  std::filesystem::permissions(
      folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  return access(folder.c_str(), W_OK) == 0 ? std::filesystem::path("/sys") : folder;
}

TEST_F(TrainedSmnist, UnwritablePathFailsWithOneLineAndLeavesNoFile) {
  mpgru::testing::TempDir dir;
  std::filesystem::create_directory(dir / "a-folder");
  const std::vector<std::filesystem::path> paths = {dir / "missing" / "p.csv", dir / "a-folder",
                                                    read_only_folder(dir) / "mpgru-p.csv"};
  for (const std::filesystem::path& path : paths) {
    const CommandResult r = eval("--predictions " + path.string());
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_EQ(lines(r.output), 1u) << r.output;
    EXPECT_NE(r.output.find("cannot write predictions file '" + path.string() + "'"),
              std::string::npos)
        << r.output;
    EXPECT_FALSE(std::filesystem::is_regular_file(path)) << path;
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp")) << path;
  }
  EXPECT_TRUE(std::filesystem::is_directory(dir / "a-folder"));
}

// `mpgru ARGS` where no file may grow beyond `blocks` x 512 bytes (a full disk, for the files the
// command writes): SIGXFSZ is ignored, so a write fails with EFBIG as on a full disk.
CommandResult run_on_full_disk(const std::string& args, int blocks) {
  return capture("trap '' XFSZ; ulimit -f " + std::to_string(blocks) + "; exec " +
                 std::string(MPGRU_BINARY) + " " + args + " 2>&1");
}

// On a full disk a command fails with exit 1 naming the file it could not write, and a file that
// existed before is byte-identical afterwards: quantize over an existing model; train into a new
// folder leaves no checkpoint, into an existing one leaves it as it was.
TEST_F(TrainedSmnist, AFullDiskFailsNamingTheFileAndKeepsTheOldModel) {
  mpgru::testing::TempDir dir;
  const std::filesystem::path out = dir / "out.mpq";
  std::filesystem::copy_file(model_, out);
  const std::string before = read_file(out);
  const std::string data = " --data " + kData.string();
  CommandResult r =
      run_on_full_disk("quantize --ckpt " + (dir_->path() / "float").string() + " --genome " +
                           std::string(25, '8') + " --calib-sequences 64 -o " + out.string() + data,
                       1);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(out.string()), std::string::npos) << r.output;
  EXPECT_EQ(read_file(out), before);
  EXPECT_FALSE(std::filesystem::exists(out.string() + ".tmp"));

  // train: LibTorch's checkpoint writer used to abort the process (SIGABRT) on a full disk.
  const std::filesystem::path run_dir = dir / "float";
  r = run_on_full_disk(
      "train --task smnist --hidden 4 --epochs 1 --train-limit 256 --batch 64 "
      "--threads 1 --seed 2 --out " +
          run_dir.string() + data,
      4);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(run_dir.string() + ".partial/checkpoint"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(run_dir / "checkpoint"));
  EXPECT_FALSE(std::filesystem::exists(run_dir.string() + ".partial/checkpoint.tmp"));

  // Into an existing run folder: a failed training leaves its files byte-identical (it trains in
  // RUN.partial and moves in only when complete).
  const std::filesystem::path existing = dir / "existing";
  std::filesystem::copy(dir_->path() / "float", existing);
  const std::string checkpoint = read_file(existing / "checkpoint");
  const std::string config = read_file(existing / "config.json");
  r = run_on_full_disk(
      "train --task smnist --hidden 4 --epochs 1 --train-limit 256 --batch 64 "
      "--threads 1 --seed 2 --out " +
          existing.string() + data,
      4);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(read_file(existing / "checkpoint"), checkpoint);
  EXPECT_EQ(read_file(existing / "config.json"), config);
}

// Every regular file of a folder and its bytes.
std::map<std::string, std::string> folder_files(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) files[entry.path().filename().string()] = read_file(entry.path());
  }
  return files;
}

// The files of a run folder after a failed command are those before it: every file
// byte-identical, none added or removed, except search.log, which is a log of sessions and may
// only have grown (what it had is kept), and the lock file, which holds the last holder's pid.
void expect_run_unchanged(const std::map<std::string, std::string>& before,
                          const std::filesystem::path& dir) {
  std::map<std::string, std::string> after = folder_files(dir);
  for (const auto& [name, bytes] : before) {
    ASSERT_TRUE(after.count(name)) << name << " was removed";
    if (name == "search.log") {
      EXPECT_EQ(after[name].compare(0, bytes.size(), bytes), 0) << name;
    } else if (name != ".mpgru.lock") {
      EXPECT_EQ(after[name], bytes) << name << " changed";
    }
    after.erase(name);
  }
  for (const auto& [name, bytes] : after) ADD_FAILURE() << name << " was added";
}

// The error names the run folder's file that could not be written (not the staging copy) and why.
void expect_names_a_file_of(const std::string& output, const std::filesystem::path& run_dir) {
  EXPECT_NE(output.find(run_dir.string() + "/"), std::string::npos) << output;
  EXPECT_EQ(output.find(".staging"), std::string::npos) << output;
  EXPECT_TRUE(output.find("File too large") != std::string::npos ||
              output.find("is the disk full?") != std::string::npos)
      << output;
}

// `mpgru search` of the suite's model: 8 genomes for 1 generation (seconds).
std::string small_search(const std::string& ckpt, const std::filesystem::path& out) {
  return "search --ckpt " + ckpt + " --population 8 --generations 1 --calib-sequences 64 --out " +
         out.string();
}

// On a full disk: a new search fails naming its store; resuming a finished run and re-writing its
// report fail naming the file they could not write, and the run's files are as before.
TEST_F(TrainedSmnist, AFullDiskFailsASearchAResumeAndAReportAndKeepsTheRun) {
  mpgru::testing::TempDir dir;
  const std::string ckpt = (dir_->path() / "float").string();
  const std::string data = " --data " + kData.string();
  CommandResult r = run_on_full_disk(small_search(ckpt, dir / "new") + data, 40);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find((dir / "new" / "evaluations.sqlite").string()), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "new" / "front.csv"));

  const std::filesystem::path done = dir / "done";
  r = run(small_search(ckpt, done) + data);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::map<std::string, std::string> before = folder_files(done);
  ASSERT_TRUE(before.count("report.html") && before.count("front.csv")) << r.output;
  ASSERT_GT(before.at("report.html").size(), 100u * 512) << "the limit must stop the report";
  // --resume takes the data folder from the environment (its own config has no --data).
  r = capture("trap '' XFSZ; ulimit -f 100; MPGRU_DATA_DIR=" + kData.string() + " exec " +
              std::string(MPGRU_BINARY) + " search --resume " + done.string() + " 2>&1");
  EXPECT_EQ(r.code, 1) << r.output;
  expect_names_a_file_of(r.output, done);
  expect_run_unchanged(before, done);

  r = run_on_full_disk("report " + done.string(), 100);
  EXPECT_EQ(r.code, 1) << r.output;
  expect_names_a_file_of(r.output, done);
  expect_run_unchanged(before, done);
  EXPECT_FALSE(std::filesystem::exists(done / ".plots"));
}

// Two resumes of one run at once: the second is refused naming the first's pid and writes
// nothing; the first completes the run.
TEST_F(TrainedSmnist, ASecondResumeOfARunIsRefusedAndTheFirstCompletes) {
  mpgru::testing::TempDir dir;
  const std::filesystem::path folder = dir / "run";
  const std::string binary = "MPGRU_DATA_DIR=" + kData.string() + " " + MPGRU_BINARY;
  // A search stopped (SIGKILL) once its config and its store are written and no transaction is
  // open (killed before, the store is empty and a resume refuses it), then two resumes of it. The
  // waits end when the process waited for has gone, so a failure is reported, not a hang.
  const std::string script =
      binary + " search --ckpt " + (dir_->path() / "float").string() +
      " --population 8 --generations 6 --calib-sequences 64 --out " + folder.string() +
      " >/dev/null 2>&1 & p=$!\n"
      "while kill -0 $p 2>/dev/null && { [ ! -s " +
      (folder / "config.json").string() + " ] || [ ! -s " +
      (folder / "evaluations.sqlite").string() + " ] || [ -e " +
      (folder / "evaluations.sqlite-journal").string() +
      " ]; }; do sleep 0.05; done\n"
      "kill -9 $p; wait $p\n" +
      binary + " search --resume " + folder.string() + " > " + (dir / "first.log").string() +
      " 2>&1 & first=$!\n"
      "while kill -0 $first 2>/dev/null && [ \"$(cat " +
      (folder / ".mpgru.lock").string() +
      " 2>/dev/null)\" != \"$first\" ]; do sleep 0.01; done\n"
      "echo \"first pid $first\"\n" +
      binary + " search --resume " + folder.string() +
      " 2>&1; echo \"second exit $?\"\n"
      "wait $first; echo \"first exit $?\"\n";
  const CommandResult r = capture(script);
  const std::string first_log = read_file(dir / "first.log");
  const size_t at = r.output.find("first pid ");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::string pid = r.output.substr(at + 10, r.output.find('\n', at) - at - 10);
  EXPECT_NE(r.output.find("is in use by another mpgru process (pid " + pid + ")"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("second exit 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("first exit 0"), std::string::npos) << r.output << first_log;
  EXPECT_TRUE(std::filesystem::exists(folder / "front.csv")) << first_log;
  EXPECT_TRUE(std::filesystem::exists(folder / "report.html")) << first_log;
}

// ---- The MPI evaluator (skipped without mpirun) ----

bool have_mpirun() {
  return std::system("command -v mpirun >/dev/null 2>&1") == 0;
}

// `mpirun -np 3` of `args` on loopback, as root too (CI), more ranks than cores allowed.
std::string mpirun3(const std::string& data, const std::string& args) {
  return "MPGRU_DATA_DIR=" + data + " mpirun --oversubscribe --allow-run-as-root -np 3 " +
         std::string(MPGRU_BINARY) + " " + args;
}

std::string sqlite_count(const std::filesystem::path& store, const std::string& where) {
  std::string out = capture("sqlite3 " + store.string() +
                            " \"select count(*) from evaluations where " + where + "\"")
                        .output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// The evaluations of the last generation line of a search.log: every search evaluation of that
// session.
int64_t last_generation_evaluations(const std::filesystem::path& log) {
  std::istringstream in(read_file(log));
  std::string line;
  int64_t evaluations = -1;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      if (word == "evaluations") words >> evaluations;
    }
  }
  return evaluations;
}

// For a seed, 3 MPI ranks (2 evaluating) and 2 threads give the same front and baseline; the store
// holds each genome once per fitness key (its primary key) and as many search rows as the thread
// run evaluated.
TEST_F(TrainedSmnist, MpiEvaluatorGivesTheThreadEvaluatorsFront) {
  if (!have_mpirun()) GTEST_SKIP() << "no mpirun (Debian openmpi-bin)";
  mpgru::testing::TempDir dir;
  const std::string ckpt = (dir_->path() / "float").string();
  const std::string args = " --population 8 --generations 3 --calib-sequences 64 --ckpt " + ckpt;
  CommandResult r = run("search --workers 2 --out " + (dir / "threads").string() + args +
                        " --data " + kData.string());
  ASSERT_EQ(r.code, 0) << r.output;
  r = capture(
      mpirun3(kData.string(), "search --evaluator mpi --out " + (dir / "mpi").string() + args) +
      " 2>&1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("MPI evaluator: 2 worker ranks"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(dir / "mpi" / "front.csv"), read_file(dir / "threads" / "front.csv"));
  EXPECT_EQ(read_file(dir / "mpi" / "baseline.csv"), read_file(dir / "threads" / "baseline.csv"));
  const std::string search_rows = "fitness not like '%report_split%'";
  EXPECT_EQ(sqlite_count(dir / "mpi" / "evaluations.sqlite", search_rows),
            sqlite_count(dir / "threads" / "evaluations.sqlite", search_rows));
  EXPECT_EQ(std::to_string(last_generation_evaluations(dir / "mpi" / "search.log")),
            sqlite_count(dir / "mpi" / "evaluations.sqlite", search_rows));
}

// Screened fidelity (PTQ first, QAT for the promising, the finals' first rung and full scores on
// the worker ranks), every gene searched or the unpriced ones held at 8 bits: 3 MPI ranks give
// the front and baseline of 2 threads, the same rows.
TEST_F(TrainedSmnist, ScreenedSearchOnMpiGivesTheThreadEvaluatorsFront) {
  if (!have_mpirun()) GTEST_SKIP() << "no mpirun (Debian openmpi-bin)";
  for (const std::string genes : {"search", "widest"}) {
    mpgru::testing::TempDir dir;
    const std::string ckpt = (dir_->path() / "float").string();
    const std::string args =
        " --population 8 --generations 3 --calib-sequences 64 --fitness qat --qat-steps 2 "
        "--final-steps 8 --final-fronts 3 --fidelity screened --promote 0.25 --final-keep 4 "
        "--free-genes " +
        genes + " --ckpt " + ckpt;
    CommandResult r = run("search --workers 2 --out " + (dir / "threads").string() + args +
                          " --data " + kData.string());
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("screened by PTQ"), std::string::npos) << r.output;
    r = capture(
        mpirun3(kData.string(), "search --evaluator mpi --out " + (dir / "mpi").string() + args) +
        " 2>&1");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(read_file(dir / "mpi" / "front.csv"), read_file(dir / "threads" / "front.csv"))
        << genes;
    EXPECT_EQ(read_file(dir / "mpi" / "baseline.csv"), read_file(dir / "threads" / "baseline.csv"))
        << genes;
    const std::string all_rows = "1 = 1";
    EXPECT_EQ(sqlite_count(dir / "mpi" / "evaluations.sqlite", all_rows),
              sqlite_count(dir / "threads" / "evaluations.sqlite", all_rows))
        << genes;
  }
}

// A worker rank killed (SIGKILL) mid-run: the job ends with an error; `--resume` with threads
// completes it; the rows stored before the kill plus the evaluations of the resumed session are
// exactly the evaluations of an uninterrupted run (nothing lost, nothing repeated), and the
// front is the uninterrupted run's.
TEST_F(TrainedSmnist, AKilledMpiWorkerLosesNothingAndResumeCompletes) {
  if (!have_mpirun()) GTEST_SKIP() << "no mpirun (Debian openmpi-bin)";
  mpgru::testing::TempDir dir;
  const std::string ckpt = (dir_->path() / "float").string();
  const std::string args =
      " --population 16 --generations 30 --calib-sequences 64 --seed 4 --ckpt " + ckpt;
  const std::filesystem::path folder = dir / "killed";
  const std::filesystem::path store = folder / "evaluations.sqlite";
  const std::string search_rows = "fitness not like '%report_split%'";
  const std::string script =
      mpirun3(kData.string(), "search --evaluator mpi --out " + folder.string() + args) + " > " +
      (dir / "mpirun.log").string() + " 2>&1 & m=$!\n" + "n=0; while [ \"$(sqlite3 " +
      store.string() + " \"select count(*) from evaluations\" " +
      "2>/dev/null || echo 0)\" -lt 40 ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done\n" +
      "holder=$(cat " + (folder / ".mpgru.lock").string() + ")\n" +
      "for p in $(pgrep -f -- \"--out " + folder.string() + " \"); do\n" +
      "  if [ $p != $m ] && [ $p != $holder ] && [ \"$(cat /proc/$p/comm)\" = mpgru ]; then\n" +
      "    kill -9 $p; echo killed $p; break; fi; done\n" + "wait $m; echo \"mpirun exit $?\"\n";
  CommandResult r = capture(script);
  const std::string mpirun_log = read_file(dir / "mpirun.log");
  ASSERT_NE(r.output.find("killed "), std::string::npos) << r.output << mpirun_log;
  EXPECT_EQ(r.output.find("mpirun exit 0"), std::string::npos) << r.output << mpirun_log;
  EXPECT_FALSE(std::filesystem::exists(folder / "front.csv")) << "the run finished before the kill";
  const int64_t before = std::stoll(sqlite_count(store, search_rows));
  EXPECT_GT(before, 0);

  r = capture("MPGRU_DATA_DIR=" + kData.string() + " " + MPGRU_BINARY + " search --resume " +
              folder.string() + " --workers 2 2>&1");
  ASSERT_EQ(r.code, 0) << r.output;
  // The resumed session's search log lines count its own evaluations only.
  std::istringstream log(read_file(folder / "search.log"));
  std::string line, last_session;
  while (std::getline(log, line)) {
    if (line.rfind("session started", 0) == 0) last_session.clear();
    last_session += line + "\n";
  }
  const auto session_log = dir / "session.log";
  std::ofstream(session_log) << last_session;
  const int64_t resumed = last_generation_evaluations(session_log);

  const std::filesystem::path reference = dir / "reference";
  r = run("search --workers 2 --out " + reference.string() + args + " --data " + kData.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const int64_t uninterrupted =
      std::stoll(sqlite_count(reference / "evaluations.sqlite", search_rows));
  EXPECT_EQ(before + resumed, uninterrupted)
      << before << " stored before the kill, " << resumed << " evaluated on resume";
  EXPECT_EQ(sqlite_count(store, search_rows), std::to_string(uninterrupted));
  EXPECT_EQ(read_file(folder / "front.csv"), read_file(reference / "front.csv"));
}

// Three islands on a ring, 2 migrants every 2 generations: the run finishes, the log shows each
// island receiving from its neighbour, the config records the islands, and the same seed gives
// the same front with one thread, two threads and (if mpirun is there) MPI ranks.
TEST_F(TrainedSmnist, IslandModelMigratesAndIsReproducible) {
  mpgru::testing::TempDir dir;
  const std::string args =
      " --population 8 --generations 4 --calib-sequences 64 --islands 3 "
      "--migrants 2 --migrate-every 2 --topology ring --ckpt " +
      (dir_->path() / "float").string();
  const std::string data = " --data " + kData.string();
  CommandResult r = run("search --workers 2 --out " + (dir / "two").string() + args + data);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run("search --workers 1 --out " + (dir / "one").string() + args + data);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string log = read_file(dir / "two" / "search.log");
  for (const char* line : {"migration after generation 2: island 0 received 2 from island 2",
                           "migration after generation 2: island 1 received 2 from island 0",
                           "migration after generation 2: island 2 received 2 from island 1"}) {
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
  }
  EXPECT_EQ(log.find("migration after generation 4"), std::string::npos) << "none after the last";
  EXPECT_NE(read_file(dir / "two" / "config.json").find("\"islands\": 3"), std::string::npos);
  EXPECT_EQ(read_file(dir / "one" / "front.csv"), read_file(dir / "two" / "front.csv"));
  if (have_mpirun()) {
    r = capture(
        mpirun3(kData.string(), "search --evaluator mpi --out " + (dir / "mpi").string() + args) +
        " 2>&1");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(read_file(dir / "mpi" / "front.csv"), read_file(dir / "two" / "front.csv"));
  }
}

TEST_F(TrainedSmnist, FailedEvaluationLeavesNoFileAndKeepsAnOldOne) {
  mpgru::testing::TempDir dir;
  const std::filesystem::path file = dir / "p.csv";
  const std::string no_data = "eval " + model_ + " --task smnist --data /nonexistent/mpgru-data";
  CommandResult r = run(no_data + " --predictions " + file.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  std::ofstream(file) << "old\n";
  r = run(no_data + " --predictions " + file.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(read_file(file), "old\n");
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
}

}  // namespace
