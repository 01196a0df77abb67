// Checkpoints: round trip, and clear errors for missing or inconsistent files.
#include "train/checkpoint.hpp"

#include <gtest/gtest.h>

#include "fixtures/temp_dir.hpp"

namespace mpgru::train {
namespace {

void expect_message(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    FAIL() << "expected an error mentioning " << part;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

GruClassifierOptions options() {
  return {5, 8, 2, 3};
}

void write_config(const testing::TempDir& dir, const GruClassifierOptions& o) {
  write_json_file({{"model", to_json(o)}}, dir / "config.json");
}

TEST(Checkpoint, RoundTripKeepsOutputs) {
  testing::TempDir dir;
  torch::manual_seed(3);
  GruClassifier model(options());
  write_config(dir, options());
  save_checkpoint(model, dir.path());
  GruClassifier loaded = load_checkpoint(dir.path());
  const torch::Tensor x = torch::rand({4, 6, 5});
  EXPECT_TRUE(torch::equal(model->forward(x), loaded->forward(x)));
  EXPECT_FALSE(std::filesystem::exists(dir / "checkpoint.tmp"));
}

TEST(Checkpoint, MissingFilesAreNamed) {
  testing::TempDir dir;
  expect_message([&] { load_checkpoint(dir.path()); }, "config.json");
  write_config(dir, options());
  expect_message([&] { load_checkpoint(dir.path()); }, "no such checkpoint file");
}

TEST(Checkpoint, ShapeMismatchIsAnError) {
  testing::TempDir dir;
  GruClassifier model(options());
  save_checkpoint(model, dir.path());
  GruClassifierOptions other = options();
  other.hidden = 9;
  write_config(dir, other);
  expect_message([&] { load_checkpoint(dir.path()); }, "has shape [24, 5] but");
}

TEST(Checkpoint, BadConfigFieldsAreNamed) {
  testing::TempDir dir;
  write_json_file({{"model", {{"architecture", "gru_classifier"}, {"features", 5}}}},
                  dir / "config.json");
  expect_message([&] { load_checkpoint(dir.path()); }, "model.hidden");
  testing::write_bytes(dir / "config.json", {'{', 'x'});
  expect_message([&] { load_checkpoint(dir.path()); }, "invalid JSON");
}

}  // namespace
}  // namespace mpgru::train
