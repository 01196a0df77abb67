// Float training: learns a small task, is deterministic under a seed, writes its files.
#include "train/trainer.hpp"

#include <gtest/gtest.h>

#include <random>

#include "fixtures/synthetic_dataset.hpp"
#include "fixtures/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace mpgru::train {
namespace {

TrainConfig small_config() {
  TrainConfig c;
  c.hidden = 16;
  c.epochs = 4;
  c.batch = 32;
  c.lr = 1e-2;
  c.threads = 1;
  c.seed = 7;
  return c;
}

TEST(Trainer, LossDecreasesAndAccuracyBeatsChance) {
  const auto dataset = testing::pulse_dataset();
  testing::TempDir dir;
  const TrainResult r = train_float(dataset, small_config(), dir.path());
  ASSERT_EQ(r.epochs.size(), 4u);
  EXPECT_LT(r.epochs.back().train_loss, 0.5 * r.epochs.front().train_loss);
  EXPECT_GT(r.best_val_accuracy, 0.8);  // chance: 1/3
  EXPECT_GT(r.test_accuracy, 0.8);
  EXPECT_GE(r.best_epoch, 1);
}

TEST(Trainer, SameSeedOneThreadGivesIdenticalMetrics) {
  const auto dataset = testing::pulse_dataset();
  testing::TempDir a, b;
  TrainConfig c = small_config();
  c.epochs = 2;
  const TrainResult ra = train_float(dataset, c, a.path());
  const TrainResult rb = train_float(dataset, c, b.path());
  ASSERT_EQ(ra.epochs.size(), rb.epochs.size());
  for (size_t i = 0; i < ra.epochs.size(); ++i) {
    EXPECT_EQ(ra.epochs[i].train_loss, rb.epochs[i].train_loss);
    EXPECT_EQ(ra.epochs[i].val_loss, rb.epochs[i].val_loss);
    EXPECT_EQ(ra.epochs[i].val_accuracy, rb.epochs[i].val_accuracy);
  }
  EXPECT_EQ(ra.test_loss, rb.test_loss);
  c.seed = 8;
  testing::TempDir d;
  EXPECT_NE(train_float(dataset, c, d.path()).epochs[0].train_loss, ra.epochs[0].train_loss);
}

TEST(Trainer, WritesConfigMetricsAndALoadableCheckpoint) {
  const auto dataset = testing::pulse_dataset();
  testing::TempDir dir;
  TrainConfig c = small_config();
  c.epochs = 2;
  const TrainResult r = train_float(dataset, c, dir.path());
  const nlohmann::json metrics = read_json_file(dir / "metrics.json");
  EXPECT_EQ(metrics["epochs"].size(), 2u);
  EXPECT_DOUBLE_EQ(metrics["test_accuracy"].get<double>(), r.test_accuracy);
  EXPECT_GT(metrics["epochs"][0]["seconds"].get<double>(), 0.0);
  const nlohmann::json config = read_json_file(dir / "config.json");
  EXPECT_EQ(config["model"]["hidden"], 16);
  EXPECT_EQ(config["task"], "pulse");
  GruClassifier model = load_checkpoint(dir.path());
  EXPECT_EQ(model->options().features, dataset.features());
}

TEST(Trainer, TokenTasksGetAnEmbeddingAndBalancedAccuracy) {
  // Class = whether token 1 occurs: learnable only through the embedding.
  auto split = [](int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    data::Sequences s;
    s.steps = 12;
    s.features = 1;
    for (int64_t i = 0; i < n; ++i) {
      bool has_one = false;
      for (int t = 0; t < 12; ++t) {
        const auto token = static_cast<int32_t>(rng() % 6);
        has_one |= token == 1;
        s.values.push_back(static_cast<float>(token));
      }
      s.labels.push_back(has_one ? 1 : 0);
    }
    return s;
  };
  const data::InMemoryDataset dataset("tokens", 2, split(600, 1), split(200, 2), split(200, 3), 6);
  testing::TempDir dir;
  TrainConfig c = small_config();
  c.embedding = 8;
  c.epochs = 6;
  const TrainResult r = train_float(dataset, c, dir.path());
  EXPECT_GT(r.test_accuracy, 0.85);
  EXPECT_GT(r.test_balanced_accuracy, 0.8);
  EXPECT_LE(r.test_balanced_accuracy, 1.0);
  GruClassifier model = load_checkpoint(dir.path());
  EXPECT_EQ(model->options().vocabulary, 6);
  EXPECT_EQ(model->options().features, 8);
  EXPECT_DOUBLE_EQ(read_json_file(dir / "metrics.json")["test_balanced_accuracy"].get<double>(),
                   r.test_balanced_accuracy);
}

TEST(Trainer, StopsEarlyWhenValidationStalls) {
  const auto dataset = testing::pulse_dataset();
  testing::TempDir dir;
  TrainConfig c = small_config();
  c.epochs = 30;
  c.patience = 1;
  c.lr = 1e-9;  // nothing is learned, so validation cannot keep improving
  const TrainResult r = train_float(dataset, c, dir.path());
  EXPECT_TRUE(r.stopped_early);
  EXPECT_LT(r.epochs.size(), 30u);
}

TEST(Trainer, RejectsBadConfig) {
  TrainConfig c;
  c.epochs = 0;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c = TrainConfig{};
  c.lr = -1;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c = TrainConfig{};
  c.batch = 0;
  EXPECT_THROW(validate(c), std::invalid_argument);
}

}  // namespace
}  // namespace mpgru::train
