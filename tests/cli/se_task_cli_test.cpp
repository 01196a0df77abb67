// Task se from the command line: a small synthetic set, a float model trained on it with its
// SI-SDR and STOI reported and stored, and a clear refusal where the integer path does not reach.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/mpgru_command.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru {
namespace {

namespace fs = std::filesystem;
using testing::run_mpgru;

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(SeTaskCli, SynthesiseTrainAndMeasure) {
  testing::TempDir dir;
  const std::string data = (dir / "se").string();
  const auto synth =
      run_mpgru("data se-synth --out " + data + " --train 12 --validation 4 --test 4");
  ASSERT_EQ(synth.code, 0) << synth.output;
  EXPECT_NE(synth.output.find("wrote 20 clean/noisy pairs"), std::string::npos) << synth.output;
  const auto again =
      run_mpgru("data se-synth --out " + data + " --train 12 --validation 4 --test 4");
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("already holds this se-synth set"), std::string::npos);

  const std::string ckpt = (dir / "float").string();
  const auto train = run_mpgru("train --task se --data " + data +
                               " --hidden 8 --epochs 2 --batch 4 --threads 1 --out " + ckpt);
  ASSERT_EQ(train.code, 0) << train.output;
  EXPECT_NE(train.output.find("float model on test (4 clips): SI-SDR "), std::string::npos)
      << train.output;
  const nlohmann::json metrics = read_json(fs::path(ckpt) / "metrics.json");
  const nlohmann::json& q = metrics.at("quality").at("test");
  EXPECT_EQ(q.at("clips"), 4);
  EXPECT_NEAR(q.at("si_sdri").get<double>(),
              q.at("si_sdr_enhanced").get<double>() - q.at("si_sdr_noisy").get<double>(), 1e-9);
  EXPECT_EQ(read_json(fs::path(ckpt) / "config.json").at("model").at("outputs"), 24);
  EXPECT_TRUE(fs::exists(fs::path(ckpt) / "front_end.json"));

  const auto quantize = run_mpgru("quantize --ckpt " + ckpt + " --data " + data + " --genome " +
                                  std::string(25, '8') + " -o " + (dir / "m.mpq").string());
  EXPECT_EQ(quantize.code, 1) << quantize.output;
  EXPECT_NE(quantize.output.find("the integer engine does not run it yet"), std::string::npos)
      << quantize.output;
  EXPECT_FALSE(fs::exists(dir / "m.mpq"));
}

}  // namespace
}  // namespace mpgru
