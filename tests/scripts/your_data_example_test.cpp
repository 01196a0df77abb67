// examples/your-data/run.sh, the README's worked example, on a small budget: a GRU trained in
// PyTorch on a data file made from a real data set (the UCI digits of python3-sklearn) is
// imported with that file, searched, fine-tuned, exported with golden vectors from the file's
// test split and run bit-exact on a Cortex-M4 under QEMU. Skipped with a message when
// python3-torch, python3-sklearn or the Arm tools are missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/mpgru_command.hpp"
#include "core/json_file.hpp"
#include "fixtures/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kSource = MPGRU_SOURCE_DIR;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool have(const std::string& shell_test) {
  return mpgru::testing::capture(shell_test + " >/dev/null 2>&1").code == 0;
}

TEST(YourDataExample, APyTorchGruOnItsOwnDataFileRunsBitExactOnTheCortexM4) {
  if (!have("/usr/bin/python3 -c 'import torch, sklearn'")) {
    GTEST_SKIP() << "python3-torch or python3-sklearn missing (scripts/setup.sh installs them)";
  }
  if (!have("command -v arm-none-eabi-gcc && command -v qemu-system-arm")) {
    GTEST_SKIP() << "arm-none-eabi-gcc or qemu-system-arm missing (scripts/setup.sh)";
  }
  mpgru::testing::TempDir dir;
  const std::string command =
      "BUILD='" + fs::path(MPGRU_BINARY).parent_path().string() +
      "' POPULATION=8 GENERATIONS=1 EPOCHS=15 QAT_STEPS=20 FINAL_STEPS=60 GOLDEN=12 sh '" +
      (kSource / "examples/your-data/run.sh").string() + "' '" + dir.path().string() + "' 2>&1";
  const auto r = mpgru::testing::capture(command);
  ASSERT_EQ(r.code, 0) << r.output;
  // The checkpoint records the data file it was imported with.
  const auto config = mpgru::core::read_json_file(dir / "float" / "config.json");
  EXPECT_EQ(config.at("task"), "file");
  const auto& source = config.at("data").at("source");
  EXPECT_EQ(fs::path(source.at("file").get<std::string>()).filename(), "digits.npz");
  EXPECT_EQ(source.at("hash").get<std::string>().size(), 16u);
  EXPECT_EQ(config.at("data").at("test"), 360);
  // Both models bit-exact on both boards (the DSP and the Helium kernels) over 12 test sequences
  // of the file, every step.
  for (const char* model : {"pick", "eight"}) {
    for (const char* board : {"m4-", "m55-"}) {
      const std::string run = read(dir / (board + std::string(model) + ".txt"));
      EXPECT_NE(run.find("ok model 12 sequences"), std::string::npos) << board << model << ":\n"
                                                                      << run;
      EXPECT_NE(run.find("instructions_per_step "), std::string::npos) << run;
    }
    const std::string banner = read(dir / ("c-" + std::string(model)) / "model.c");
    EXPECT_NE(banner.find("data file digits.npz"), std::string::npos);
    EXPECT_NE(banner.find("UCI handwritten digits"), std::string::npos);
  }
  EXPECT_TRUE(fs::exists(dir / "search" / "front.json"));
  EXPECT_NE(read(dir / "summary.md").find("golden check on 12 test sequences"), std::string::npos);
}

}  // namespace
