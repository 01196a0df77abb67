// Options files: TOML and JSON become arguments; command-line flags come after them and win.
#include "cli/config_file.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "fixtures/temp_dir.hpp"

namespace mpgru::cli {
namespace {

using Args = std::vector<std::string>;

std::string write(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return (dir / name).string();
}

void expect_rejected(const std::string& path, const std::string& part) {
  try {
    config_file_arguments(path);
    FAIL() << "accepted " << path;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(ConfigFile, TomlKeysBecomeOptions) {
  testing::TempDir dir;
  const auto path =
      write(dir, "a.toml", "task = \"smnist\"\nepochs = 3\njson = true\nquiet = false\n");
  EXPECT_EQ(config_file_arguments(path),
            (Args{"--task=smnist", "--epochs=3", "--json=true", "--quiet=false"}));
}

TEST(ConfigFile, JsonKeysBecomeOptions) {
  testing::TempDir dir;
  const auto path = write(dir, "a.json", R"({"lr": 0.5, "out": "x", "json": true})");
  const Args args = config_file_arguments(path);
  EXPECT_EQ(args, (Args{"--json=true", "--lr=0.5", "--out=x"}));
}

TEST(ConfigFile, FileArgumentsGoBeforeTheCommandLine) {
  testing::TempDir dir;
  const auto path = write(dir, "a.toml", "epochs = 3\n");
  EXPECT_EQ(expand_config_arguments({"train", "--config", path, "--epochs", "5"}),
            (Args{"train", "--epochs=3", "--epochs", "5"}));
  EXPECT_EQ(expand_config_arguments({"train", "--epochs", "5"}), (Args{"train", "--epochs", "5"}));
}

TEST(ConfigFile, RejectsMissingNestedAndMalformed) {
  testing::TempDir dir;
  expect_rejected((dir / "none.toml").string(), "not found");
  expect_rejected(write(dir, "s.toml", "[train]\nepochs = 3\n"), "sections are not supported");
  expect_rejected(write(dir, "b.json", "{\"epochs\": "), "invalid JSON");
  expect_rejected(write(dir, "n.json", R"({"epochs": [1, 2]})"), "'epochs' must be");
  expect_rejected(write(dir, "l.json", "[1]"), "expected a JSON object");
}

// A string value stays one argument whatever it reads: "false" is not dropped, "true" does not
// become a bare flag that swallows the next argument, "--x" is not taken for an option.
TEST(ConfigFile, StringValuesKeepTheirType) {
  testing::TempDir dir;
  EXPECT_EQ(config_file_arguments(
                write(dir, "s.toml", "out = \"false\"\nname = \"true\"\ntask = \"--json\"\n")),
            (Args{"--out=false", "--name=true", "--task=--json"}));
  EXPECT_EQ(config_file_arguments(write(dir, "s.json", R"({"out": "false", "name": "true"})")),
            (Args{"--name=true", "--out=false"}));
}

TEST(ConfigFile, UnknownAndNestedKeysAreErrorsNamingFileAndKey) {
  testing::TempDir dir;
  const KnownOption known = [](const std::string& name) { return name == "epochs"; };
  const std::string bad = write(dir, "u.toml", "epochs = 3\nepoch = 4\n");
  try {
    config_file_arguments(bad, known);
    FAIL() << "accepted an unknown key";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("unknown option 'epoch'"), std::string::npos) << e.what();
  }
  expect_rejected(write(dir, "c.toml", "config = \"other.toml\"\n"), "'config'");
  expect_rejected(write(dir, "c.json", R"({"config": "other.json"})"), "'config'");
  EXPECT_EQ(config_file_arguments(write(dir, "k.toml", "epochs = 3\n"), known),
            (Args{"--epochs=3"}));
}

}  // namespace
}  // namespace mpgru::cli
