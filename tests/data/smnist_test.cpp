// Task smnist: row sequences from images, and the real MNIST files where the set-up fetched them.
#include "data/smnist.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "data/task.hpp"

namespace mpgru::data {
namespace {

TEST(Smnist, ImagesBecomeRowSequencesScaledToUnit) {
  const std::vector<uint8_t> pixels = {0, 255, 51, 102, 0, 0, 0, 255};  // two 2x2 images
  const Sequences s = images_to_row_sequences(pixels, {3, 7}, 2, 2);
  EXPECT_EQ(s.count(), 2);
  EXPECT_EQ(s.steps, 2);
  EXPECT_EQ(s.features, 2);
  EXPECT_FLOAT_EQ(s.sequence(0)[1], 1.0f);
  EXPECT_FLOAT_EQ(s.sequence(0)[2], 0.2f);  // row 1, pixel 0
  EXPECT_FLOAT_EQ(s.sequence(1)[3], 1.0f);
  EXPECT_EQ(s.labels, (std::vector<int32_t>{3, 7}));
}

// The real files: scripts/setup.sh fetches them, so CI always has them.
TEST(Smnist, RealMnistLoadsWithTheDocumentedSplits) {
  const std::filesystem::path dir = std::filesystem::path(MPGRU_TEST_DATA_DIR) / "mnist";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << dir << " absent: run scripts/setup.sh";
  const InMemoryDataset d = load_smnist(dir);
  EXPECT_EQ(d.split(Split::train).count(), 55000);
  EXPECT_EQ(d.split(Split::validation).count(), 5000);
  EXPECT_EQ(d.split(Split::test).count(), 10000);
  EXPECT_EQ(d.steps(), 28);
  EXPECT_EQ(d.features(), 28);
  // Every class occurs in every split, and pixels span [0, 1].
  for (Split split : {Split::train, Split::validation, Split::test}) {
    std::vector<int> counts(10, 0);
    for (int32_t label : d.split(split).labels) ++counts[static_cast<size_t>(label)];
    for (int c = 0; c < 10; ++c) EXPECT_GT(counts[static_cast<size_t>(c)], 0) << to_string(split);
    const auto& v = d.split(split).values;
    EXPECT_EQ(*std::min_element(v.begin(), v.end()), 0.0f);
    EXPECT_EQ(*std::max_element(v.begin(), v.end()), 1.0f);
  }
}

}  // namespace
}  // namespace mpgru::data
