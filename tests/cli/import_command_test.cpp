// `mpgru import` and `mpgru export --torch` as a PyTorch user meets them: a model in, its float
// scores, a checkpoint the other commands take; a clear error and nothing written for each model
// mpgru cannot take; a quantized model back out as a state dict PyTorch loads.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/mpgru_command.hpp"
#include "fixtures/temp_dir.hpp"
#include "torchfile/torch_fixtures.hpp"

namespace mpgru {
namespace {

namespace fs = std::filesystem;
using testing::run_mpgru;
using testing::torch_fixture;

const fs::path kData = MPGRU_TEST_DATA_DIR;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string import_args(const std::string& fixture, const fs::path& out) {
  return "import --torch " + torch_fixture(fixture).string() + " --task smnist --data " +
         kData.string() + " --out " + out.string();
}

class ImportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kData / "mnist")) GTEST_SKIP() << "no MNIST files in " << kData;
    MPGRU_NEED_TORCH_FIXTURES();
  }
  testing::TempDir dir_;
};

TEST_F(ImportCommand, AStateDictAndATorchScriptModuleBecomeTheSameCheckpoint) {
  for (const char* form : {"state_dict", "script"}) {
    const fs::path out = dir_ / form;
    const auto r = run_mpgru(import_args(std::string("smnist8.") + form + ".pt", out));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("nn.GRU 'gru' (1 layer, 28 -> 8), head 'out' (10 classes)"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("float accuracy: validation "), std::string::npos) << r.output;
    for (const char* file : {"checkpoint", "config.json", "metrics.json"}) {
      EXPECT_TRUE(fs::exists(out / file)) << form << " " << file;
    }
    const nlohmann::json metrics = nlohmann::json::parse(slurp(out / "metrics.json"));
    EXPECT_TRUE(metrics.at("imported").get<bool>());
    EXPECT_EQ(metrics.at("test_count"), 10000);
    EXPECT_EQ(metrics.at("val_count"), 5000);
    const nlohmann::json config = nlohmann::json::parse(slurp(out / "config.json"));
    EXPECT_EQ(config.at("task"), "smnist");
    EXPECT_EQ(config.at("model").at("hidden"), 8);
  }
  // Same weights, same scores, whichever way the model was saved.
  EXPECT_EQ(nlohmann::json::parse(slurp(dir_ / "state_dict" / "metrics.json")).at("test_correct"),
            nlohmann::json::parse(slurp(dir_ / "script" / "metrics.json")).at("test_correct"));
}

TEST_F(ImportCommand, TheCheckpointGoesOnToQuantizeAndBackToPyTorch) {
  const fs::path ckpt = dir_ / "ckpt";
  ASSERT_EQ(run_mpgru(import_args("smnist8.state_dict.pt", ckpt)).code, 0);
  const std::string model = (dir_ / "m.mpq").string();
  const auto q =
      run_mpgru("quantize --ckpt " + ckpt.string() + " --genome " + std::string(25, '8') +
                " --calib-sequences 64 -o " + model + " --data " + kData.string());
  ASSERT_EQ(q.code, 0) << q.output;
  const fs::path back = dir_ / "back.pt";
  const auto e = run_mpgru("export " + model + " --torch " + back.string());
  ASSERT_EQ(e.code, 0) << e.output;
  EXPECT_FALSE(fs::exists(dir_ / "c")) << "no C written without --out";
  const nlohmann::json points = nlohmann::json::parse(slurp(back.string() + ".json"));
  EXPECT_EQ(points.at("genome").get<std::string>().rfind("x=8,w_i.r=8", 0), 0u);
  // The fake-quantized state dict imports again (mpgru's module names: gru, classifier).
  const auto again = run_mpgru("import --torch " + back.string() + " --task smnist --data " +
                               kData.string() + " --out " + (dir_ / "again").string());
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("head 'classifier'"), std::string::npos) << again.output;
}

struct BadImport {
  const char* fixture;
  const char* message;
};

void PrintTo(const BadImport& b, std::ostream* os) {
  *os << b.fixture;
}

class RefusedImport : public ImportCommand, public ::testing::WithParamInterface<BadImport> {};

TEST_P(RefusedImport, FailsNamingTheReasonAndWritesNothing) {
  const fs::path out = dir_ / "out";
  const auto r = run_mpgru(import_args(GetParam().fixture, out));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(GetParam().message), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(GetParam().fixture), std::string::npos) << "names the file: " << r.output;
  EXPECT_FALSE(fs::exists(out)) << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RefusedImport,
    ::testing::Values(
        BadImport{"bad/lstm.pt", "has 4 gates: an LSTM; mpgru takes nn.GRU"},
        BadImport{"bad/bidirectional.pt", "a bidirectional GRU"},
        BadImport{"bad/lstm_proj.pt", "an LSTM with proj_size"},
        BadImport{"bad/no_bias.pt", "mpgru's GRU needs its biases"},
        BadImport{"bad/two_linear_head.pt", "parameters mpgru cannot place: fc2.bias"},
        BadImport{"bad/legacy.pt", "a legacy torch.save file"},
        BadImport{"bad/module.pt", "__main__.Classifier object, which mpgru does not run"},
        BadImport{"bad/not_torch.zip", "not written by torch.save or torch.jit.save"},
        BadImport{"stamp", "not a PyTorch file"},  // the generator's (empty) marker file
        BadImport{"missing.pt", "missing.pt: no such file"},
        BadImport{"gru1.state_dict.pt",
                  "the model expects 5 features per step, task smnist has 28"},
        BadImport{"bad/smnist8_3classes.pt", "predicts 3 classes, task smnist has 10"}));

TEST_F(ImportCommand, AFailedImportLeavesAnEarlierCheckpointAsItWas) {
  const fs::path out = dir_ / "ckpt";
  ASSERT_EQ(run_mpgru(import_args("smnist8.state_dict.pt", out)).code, 0);
  const std::string checkpoint = slurp(out / "checkpoint");
  const std::string config = slurp(out / "config.json");
  const auto r = run_mpgru(import_args("bad/smnist8_3classes.pt", out));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(slurp(out / "checkpoint"), checkpoint);
  EXPECT_EQ(slurp(out / "config.json"), config);
}

TEST(ImportCommandUsage, MissingOptionsAreUsageErrors) {
  const auto r = run_mpgru("import --task smnist --out /tmp/x");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--torch is required"), std::string::npos) << r.output;
  const auto e = run_mpgru("export m.mpq");
  EXPECT_EQ(e.code, 2) << e.output;
  EXPECT_NE(e.output.find("give --out (C sources) or --torch"), std::string::npos) << e.output;
}

}  // namespace
}  // namespace mpgru
