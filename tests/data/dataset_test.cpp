// Dataset interface: split names, slicing and shape validation.
#include "core/dataset.hpp"

#include <gtest/gtest.h>

namespace mpgru::data {
namespace {

Sequences make(int64_t n, int64_t steps, int64_t features) {
  Sequences s;
  s.steps = steps;
  s.features = features;
  for (int64_t i = 0; i < n * steps * features; ++i) s.values.push_back(static_cast<float>(i));
  for (int64_t i = 0; i < n; ++i) s.labels.push_back(static_cast<int32_t>(i % 2));
  return s;
}

TEST(Split, NamesRoundTrip) {
  for (Split s : {Split::train, Split::validation, Split::test}) {
    EXPECT_EQ(parse_split(to_string(s)), s);
  }
  EXPECT_EQ(parse_split("val"), Split::validation);
  EXPECT_THROW(parse_split("training"), std::invalid_argument);
}

TEST(Sequences, SliceCopiesTheRightRows) {
  const Sequences s = make(5, 2, 3);
  const Sequences t = s.slice(1, 3);
  EXPECT_EQ(t.count(), 3);
  EXPECT_EQ(t.sequence(0)[0], 6.0f);
  EXPECT_EQ(t.labels, (std::vector<int32_t>{1, 0, 1}));
  EXPECT_THROW(s.slice(3, 3), std::out_of_range);
  EXPECT_THROW(s.slice(-1, 1), std::out_of_range);
}

TEST(Sequences, CheckShapeRejectsInconsistency) {
  Sequences s = make(4, 2, 3);
  EXPECT_NO_THROW(s.check_shape(2));
  EXPECT_THROW(s.check_shape(1), std::logic_error);  // label 1 outside 0..0
  s.values.pop_back();
  EXPECT_THROW(s.check_shape(2), std::logic_error);
}

TEST(InMemoryDataset, RejectsSplitsOfDifferentShape) {
  EXPECT_THROW(InMemoryDataset("d", 2, make(4, 2, 3), make(2, 2, 3), make(2, 3, 3)),
               std::logic_error);
  const InMemoryDataset d("d", 2, make(4, 2, 3), make(2, 2, 3), make(3, 2, 3));
  EXPECT_EQ(d.split(Split::test).count(), 3);
  EXPECT_EQ(d.steps(), 2);
  EXPECT_EQ(d.features(), 3);
}

}  // namespace
}  // namespace mpgru::data
