// Task `file` from the command line: a small learnable .npz (written by python3 + numpy) trained,
// swept, quantized, evaluated, searched, exported as C with golden vectors, described and listed;
// then the refusals, each with its message, a nonzero exit and nothing written.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/mpgru_command.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::run_mpgru;

// Three classes, 10 steps x 4 features: noise, and a pulse on feature y at a random step. 600
// train sequences (validation carved from them) and 60 test ones in d.npz; other.npz has other
// sequences of the same shape; bad.npz has float labels.
constexpr const char* kDataScript = R"(import numpy as np
def make(n, seed):
    r = np.random.default_rng(seed)
    y = r.integers(0, 3, n).astype(np.int64)
    x = (0.3 * r.standard_normal((n, 10, 4))).astype(np.float32)
    x[np.arange(n), r.integers(0, 10, n), y] += 3.0
    return x, y
x, y = make(600, 1)
x_test, y_test = make(60, 2)
np.savez('d.npz', x_train=x, y_train=y, x_test=x_test, y_test=y_test)
x2, y2 = make(600, 3)
np.savez('other.npz', x_train=x2, y_train=y2, x_test=x_test, y_test=y_test)
np.savez('bad.npz', x_train=x, y_train=y.astype(np.float32))
)";

// One digit per gene of a one-layer classifier: the 8-bit genome.
const std::string kGenome8(25, '8');

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json read_json(const fs::path& path) {
  return nlohmann::json::parse(slurp(path));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The data files, a float checkpoint trained on d.npz and its 8-bit model, made once for the
// suite (each command of the tests takes well under a second on them).
class DataFileCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) return;
    dir_ = std::make_unique<testing::TempDir>();
    std::ofstream(*dir_ / "write.py") << kDataScript;
    const std::string python =
        "cd '" + dir_->path().string() + "' && OPENBLAS_NUM_THREADS=1 /usr/bin/python3 write.py";
    if (std::system(python.c_str()) != 0) {
      setup_ = {1, "python3 did not write the data: " + python};
      return;
    }
    setup_ = run_mpgru("train --data " + data() +
                       " --hidden 16 --epochs 3 --batch 16 --lr 0.01 --threads 1 --out " + ckpt());
    train_output_ = setup_.output;
    if (setup_.code != 0) return;
    setup_ = run_mpgru("quantize --ckpt " + ckpt() + " --genome " + kGenome8 + " -o " + model());
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override {
    if (dir_ == nullptr) {
      GTEST_SKIP() << "/usr/bin/python3 with numpy not found (Debian: python3-numpy)";
    }
    ASSERT_EQ(setup_.code, 0) << setup_.output;
  }

  static std::string path(const std::string& name) { return (*dir_ / name).string(); }
  static std::string data() { return path("d.npz"); }
  static std::string ckpt() { return path("f"); }
  static std::string model() { return path("m.mpq"); }

  static std::unique_ptr<testing::TempDir> dir_;
  static CommandResult setup_;
  static std::string train_output_;
};

std::unique_ptr<testing::TempDir> DataFileCli::dir_;
CommandResult DataFileCli::setup_;
std::string DataFileCli::train_output_;

TEST_F(DataFileCli, TrainRecordsTheFileAndItsContentHash) {
  EXPECT_TRUE(contains(train_output_, "data file " + data() + " (npz, content hash "))
      << train_output_;
  EXPECT_TRUE(contains(train_output_, "validation: not in the file, carved from x_train"))
      << train_output_;
  EXPECT_TRUE(contains(train_output_, "mpgru train: task file")) << train_output_;
  const nlohmann::json config = read_json(fs::path(ckpt()) / "config.json");
  EXPECT_EQ(config.at("task"), "file");
  const nlohmann::json& source = config.at("data").at("source");
  EXPECT_EQ(source.at("file"), fs::absolute(data()).lexically_normal().string());
  EXPECT_EQ(source.at("format"), "npz");
  EXPECT_EQ(source.at("hash").get<std::string>().size(), 16u);
  EXPECT_TRUE(source.at("carved_validation").get<bool>());
  EXPECT_FALSE(source.at("carved_test").get<bool>());
  EXPECT_EQ(config.at("data").at("test"), 60);
  // The pulse is easy to find: the float model has learned it.
  EXPECT_GT(read_json(fs::path(ckpt()) / "metrics.json").at("test_accuracy").get<double>(), 0.8);
}

TEST_F(DataFileCli, DescribeGivesTheSplitsAndTheSameHash) {
  const auto r = run_mpgru("data describe " + data() + " --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("kind"), "classification");
  EXPECT_EQ(j.at("steps"), 10);
  EXPECT_EQ(j.at("features"), 4);
  EXPECT_EQ(j.at("classes"), 3);
  EXPECT_EQ(j.at("train").get<int>() + j.at("validation").get<int>(), 600);
  EXPECT_GT(j.at("validation").get<int>(), 30);  // about 10 % carved
  EXPECT_EQ(j.at("test"), 60);
  EXPECT_EQ(j.at("source").at("hash"),
            read_json(fs::path(ckpt()) / "config.json").at("data").at("source").at("hash"));
}

TEST_F(DataFileCli, TasksListsFile) {
  const auto r = run_mpgru("tasks");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "\nfile ")) << r.output;
}

TEST_F(DataFileCli, SweepWithoutDataFindsTheRecordedFile) {
  const auto r = run_mpgru("sweep --ckpt " + ckpt() + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "data file " + fs::absolute(data()).lexically_normal().string()))
      << r.output;
  EXPECT_TRUE(contains(r.output, "task file, split test (60 sequences)")) << r.output;
}

TEST_F(DataFileCli, QuantizeThenEvalWithPredictions) {
  EXPECT_TRUE(contains(setup_.output, "wrote " + model())) << setup_.output;
  const std::string predictions = path("p.csv");
  const auto r = run_mpgru("eval " + model() + " --data " + data() + " --threads 1 --predictions " +
                           predictions);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "on file test: accuracy ")) << r.output;
  EXPECT_TRUE(contains(r.output, "wrote " + predictions + " (60 rows)")) << r.output;
  std::istringstream csv(slurp(predictions));
  std::string line;
  int rows = -1;  // the header
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 60);
  fs::remove(predictions);
}

TEST_F(DataFileCli, SearchWritesAFront) {
  const fs::path run = path("run");
  const auto r =
      run_mpgru("search --ckpt " + ckpt() +
                " --fitness ptq --population 8 --generations 1 --workers 1 --out " + run.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json front = read_json(run / "front.json");
  EXPECT_FALSE(front.at("baseline").empty());
  EXPECT_EQ(front.at("baseline").back().at("test_count"), 60);
  fs::remove_all(run);
}

TEST_F(DataFileCli, ExportWithGoldenVectorsRunsOnTheHost) {
  const fs::path c = path("c");
  const auto r =
      run_mpgru("export " + model() + " --out " + c.string() + " --data " + data() + " --golden 3");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_TRUE(fs::exists(c / "m_golden.c")) << r.output;
  const std::string hash =
      read_json(fs::path(ckpt()) / "config.json").at("data").at("source").at("hash");
  EXPECT_TRUE(contains(slurp(c / "m.h"), "data file d.npz (content hash " + hash + ")"));
  std::ofstream(c / "main.c") << "int m_golden_check(void);\nint main(void) { return "
                                 "m_golden_check(); }\n";
  const int host = std::system(("cd '" + c.string() +
                                "' && cc -std=c99 -O1 -Wall -Wextra -Werror -I. m.c mpgru_rt.c "
                                "m_golden.c main.c -o check && ./check > check.txt 2>&1")
                                   .c_str());
  const std::string check = slurp(c / "check.txt");
  EXPECT_EQ(host, 0) << check;
  EXPECT_TRUE(contains(check, "ok m 3 sequences")) << check;
  fs::remove_all(c);
}

// ---- Refusals: a nonzero exit, the message, and nothing written.

struct Refusal {
  const char* name;
  // The command; {dir}, {data}, {ckpt} and {model} are replaced by the suite's paths.
  std::string args;
  std::vector<std::string> parts;  // of the message
};

void PrintTo(const Refusal& r, std::ostream* os) {
  *os << r.name;
}

// The relative paths of everything below `dir`.
std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

class DataFileCliRefusal : public DataFileCli, public ::testing::WithParamInterface<Refusal> {
 protected:
  static std::string expand(std::string text) {
    const std::pair<std::string, std::string> names[] = {{"{dir}", dir_->path().string()},
                                                         {"{data}", data()},
                                                         {"{ckpt}", ckpt()},
                                                         {"{model}", model()}};
    for (const auto& [key, value] : names) {
      for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
        text.replace(at, key.size(), value);
        at += value.size();
      }
    }
    return text;
  }
};

TEST_P(DataFileCliRefusal, FailsWithTheReasonAndWritesNothing) {
  const std::set<std::string> before = listing(dir_->path());
  const auto r = run_mpgru(expand(GetParam().args));
  EXPECT_NE(r.code, 0) << r.output;
  for (const std::string& part : GetParam().parts) {
    EXPECT_TRUE(contains(r.output, expand(part))) << "'" << part << "' not in: " << r.output;
  }
  EXPECT_EQ(listing(dir_->path()), before) << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DataFileCliRefusal,
    ::testing::Values(
        Refusal{"train_on_float_labels",
                "train --data {dir}/bad.npz --epochs 1 --threads 1 --out {dir}/out",
                {"{dir}/bad.npz: array y_train", "class labels must be integers"}},
        Refusal{"sweep_on_another_file",
                "sweep --ckpt {ckpt} --data {dir}/other.npz --threads 1",
                {"checkpoint {ckpt} was trained on {data}", "{dir}/other.npz holds other sequences",
                 "pass the checkpoint's own data file"}},
        Refusal{"quantize_on_another_file",
                "quantize --ckpt {ckpt} --data {dir}/other.npz --genome " + kGenome8 +
                    " -o {dir}/m2.mpq",
                {"{dir}/other.npz holds other sequences"}},
        // The data is loaded and checked before the run folder is made.
        Refusal{"search_on_another_file",
                "search --ckpt {ckpt} --data {dir}/other.npz --fitness ptq --population 8 "
                "--generations 1 --out {dir}/run2",
                {"{dir}/other.npz holds other sequences"}},
        Refusal{"train_a_built_in_task_on_a_file",
                "train --task smnist --data {data} --out {dir}/out",
                {"--data {data} is a file", "a data file is task 'file'"}},
        Refusal{"eval_task_file_without_data",
                "eval {model} --task file --predictions {dir}/p2.csv",
                {"task file reads one data file: --data FILE.npz"}},
        Refusal{"export_golden_task_file_without_data",
                "export {model} --task file --golden 3 --out {dir}/c2",
                {"task file reads one data file"}},
        // A missing data file is named as missing, not looked into as a data folder.
        Refusal{"train_on_a_missing_file",
                "train --data {dir}/missing.npz --epochs 1 --threads 1 --out {dir}/out",
                {"{dir}/missing.npz: no such data file"}},
        Refusal{"eval_on_a_missing_file",
                "eval {model} --data {dir}/missing.npz",
                {"{dir}/missing.npz: no such data file"}}),
    [](const ::testing::TestParamInfo<Refusal>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace mpgru
