// The same data through a data file (task file) and through the built-in task gives the same
// results: `mpgru data to-npz` writes a task's splits as an .npz, then float training (same seed,
// one thread), the PTQ sweep and a PTQ search run on both, and every figure must be identical.
// Small sizes here (a few thousand training sequences, tiny models); MPGRU_EQUIVALENCE_FULL=1 runs
// the full training splits (results/your-data/equivalence.md quotes that run). A
// sequence-to-sequence task (se's arrays, a small synthetic set) is compared too.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/mpgru_command.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_mpgru;

const fs::path kData = MPGRU_TEST_DATA_DIR;

struct Case {
  const char* task;
  const char* folder;  // below the data folder: skipped when missing
  const char* train;   // model and training flags, the same for both runs
};

const Case kCases[] = {
    {"smnist", "mnist", "--hidden 16 --epochs 2 --lr 5e-3 --batch 64 --train-limit 3000"},
    {"spam", "spam", "--hidden 8 --embedding 8 --epochs 1 --lr 5e-3 --batch 32 --train-limit 600"},
};

bool full_size() {
  const char* env = std::getenv("MPGRU_EQUIVALENCE_FULL");
  return env != nullptr && std::string(env) == "1";
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// `mpgru ARGS`, which must succeed.
std::string run_ok(const std::string& args) {
  const auto r = run_mpgru(args);
  EXPECT_EQ(r.code, 0) << "mpgru " << args << "\n" << r.output;
  return r.output;
}

// The figures of a run that must not depend on where the data came from.
json without_task(json j) {
  if (j.is_object()) {
    j.erase("task");
    j.erase("seconds");
    j.erase("total_seconds");
    for (auto& [key, value] : j.items()) value = without_task(value);
  } else if (j.is_array()) {
    for (auto& value : j) value = without_task(value);
  }
  return j;
}

class DataFileEquivalence : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (!fs::exists(kData / GetParam().folder)) {
      GTEST_SKIP() << "no " << GetParam().task << " data in " << kData;
    }
    npz_ = dir_ / (std::string(GetParam().task) + ".npz");
    run_ok("data to-npz --task " + std::string(GetParam().task) + " --data " + kData.string() +
           " --out " + npz_.string());
  }

  // The flags that name the data: the built-in task, or the file.
  std::string source(bool file) const {
    return file ? "--data " + npz_.string()
                : "--task " + std::string(GetParam().task) + " --data " + kData.string();
  }

  fs::path train(bool file) {
    const fs::path out = dir_ / (file ? "float-file" : "float-task");
    std::string flags = GetParam().train;
    if (full_size()) flags = flags.substr(0, flags.find(" --train-limit"));
    run_ok("train " + source(file) + " " + flags + " --seed 7 --threads 1 --out " + out.string());
    return out;
  }

  testing::TempDir dir_;
  fs::path npz_;
};

TEST_P(DataFileEquivalence, TrainingSweepAndSearchGiveTheSameFigures) {
  const fs::path a = train(false);
  const fs::path b = train(true);
  const json ma = read_json(a / "metrics.json");
  const json mb = read_json(b / "metrics.json");
  EXPECT_EQ(ma.at("task"), GetParam().task);
  EXPECT_EQ(mb.at("task"), "file");
  EXPECT_EQ(without_task(ma), without_task(mb));
  EXPECT_EQ(read_json(a / "config.json").at("data").at("train"),
            read_json(b / "config.json").at("data").at("train"));

  // The PTQ sweep: the checkpoint's own data (the file's is found from its record).
  const auto sweep = [&](const fs::path& ckpt) {
    const auto r =
        testing::capture("MPGRU_DATA_DIR=" + kData.string() + " " + std::string(MPGRU_BINARY) +
                         " sweep --ckpt " + ckpt.string() + " --json 2>/dev/null");
    EXPECT_EQ(r.code, 0) << r.output;
    return json::parse(r.output);
  };
  const json sa = sweep(a);
  const json sb = sweep(b);
  ASSERT_EQ(sa.at("rows").size(), 7u);
  EXPECT_EQ(without_task(sa.at("rows")), without_task(sb.at("rows")));
  EXPECT_EQ(sa.at("float_accuracy"), sb.at("float_accuracy"));

  // A PTQ search, same seed: the same front and baseline, figure for figure.
  const auto search = [&](const fs::path& ckpt, const std::string& name) {
    const fs::path out = dir_ / name;
    run_ok("search --ckpt " + ckpt.string() + (ckpt == b ? "" : " " + source(false)) +
           " --fitness ptq --population 8 --generations 2 --seed 3 --workers 1 --out " +
           out.string());
    return read_json(out / "front.json");
  };
  const json fa = search(a, "search-task");
  const json fb = search(b, "search-file");
  ASSERT_FALSE(fa.at("front").empty());
  EXPECT_EQ(without_task(fa.at("front")), without_task(fb.at("front")));
  EXPECT_EQ(without_task(fa.at("baseline")), without_task(fb.at("baseline")));
  EXPECT_EQ(without_task(fa.at("headline")), without_task(fb.at("headline")));
}

INSTANTIATE_TEST_SUITE_P(Tasks, DataFileEquivalence, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& p) {
                           return std::string(p.param.task);
                         });

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Sequence to sequence: a small se-synth set (espeak-ng) as task se and as its .npz. The float
// training is the same; the PTQ models are the same bytes; searched on the target R^2 (the metric
// a data file's per-step model gets, which task se takes too) the fronts are the same.
TEST(DataFileEquivalenceSeq2Seq, TrainingQuantizationAndSearchGiveTheSameFigures) {
  testing::TempDir dir;
  const std::string se = (dir / "se").string();
  const std::string npz = (dir / "se.npz").string();
  run_ok("data se-synth --out " + se + " --train 48 --validation 12 --test 12");
  run_ok("data to-npz --task se --data " + se + " --out " + npz);
  const std::string flags = " --hidden 16 --epochs 15 --lr 1e-2 --batch 8 --threads 1 --seed 2";
  const fs::path a = dir / "float-task";
  const fs::path b = dir / "float-file";
  run_ok("train --task se --data " + se + flags + " --out " + a.string());
  run_ok("train --data " + npz + flags + " --out " + b.string());
  json ma = read_json(a / "metrics.json");
  json mb = read_json(b / "metrics.json");
  EXPECT_TRUE(ma.at("quality").at("test").contains("si_sdri"));
  EXPECT_TRUE(mb.at("quality").at("test").contains("r2"));
  ma.erase("quality");
  mb.erase("quality");
  ASSERT_FALSE(ma.at("epochs").empty());
  EXPECT_EQ(without_task(ma), without_task(mb));

  const std::string genome(26, '6');
  run_ok("quantize --ckpt " + a.string() + " --task se --data " + se + " --genome " + genome +
         " -o " + (dir / "a.mpq").string());
  run_ok("quantize --ckpt " + b.string() + " --genome " + genome + " -o " +
         (dir / "b.mpq").string());
  const std::string qa = read_bytes(dir / "a.mpq");
  ASSERT_FALSE(qa.empty());
  EXPECT_EQ(qa, read_bytes(dir / "b.mpq"));

  // A per-step model comes back in through PyTorch's format with the data file: export --torch,
  // then import, which makes it per-step from the file's targets and scores its fit.
  const std::string pt = (dir / "b.pt").string();
  run_ok("export " + (dir / "b.mpq").string() + " --torch " + pt);
  const std::string imported =
      run_ok("import --torch " + pt + " --data " + npz + " --out " + (dir / "imported").string());
  EXPECT_NE(imported.find("24 outputs per step, sigmoid"), std::string::npos) << imported;
  const json im = read_json(dir / "imported" / "metrics.json");
  EXPECT_GT(im.at("quality").at("validation").at("r2").get<double>(), 0.0) << im.dump();
  EXPECT_EQ(read_json(dir / "imported" / "config.json").at("model").at("outputs"), 24);

  const auto search = [&](const std::string& data, const fs::path& ckpt, const std::string& name) {
    const fs::path out = dir / name;
    run_ok("search --ckpt " + ckpt.string() + data +
           " --objective r2 --fitness ptq --population 8 --generations 2 --seed 3 --workers 1 "
           "--out " +
           out.string());
    return read_json(out / "front.json");
  };
  const json fa = search(" --task se --data " + se, a, "search-task");
  const json fb = search("", b, "search-file");
  ASSERT_FALSE(fa.at("front").empty());
  EXPECT_EQ(fa.at("metric"), fb.at("metric"));
  EXPECT_EQ(without_task(fa.at("front")), without_task(fb.at("front")));
  EXPECT_EQ(without_task(fa.at("baseline")), without_task(fb.at("baseline")));
}

}  // namespace
}  // namespace mpgru
