// The plain float GRU: token ids index its embedding, and a model says why it cannot read a task.
#include "quant/float_gru.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "fixtures/random_float_model.hpp"

namespace mpgru::quant {
namespace {

data::InMemoryDataset dataset(const std::string& name, int64_t features, int64_t vocabulary) {
  auto split = [&] {
    data::Sequences s;
    s.steps = 2;
    s.features = features;
    s.values.assign(static_cast<size_t>(2 * features), 1.0f);
    s.labels = {0};
    return s;
  };
  return data::InMemoryDataset(name, 3, split(), split(), split(), vocabulary);
}

TEST(FloatGru, TokenIndexClampsEveryValueIntoTheTable) {
  EXPECT_EQ(token_index(0.0f, 10), 0);
  EXPECT_EQ(token_index(7.0f, 10), 7);
  EXPECT_EQ(token_index(9.0f, 10), 9);
  EXPECT_EQ(token_index(10.0f, 10), 9);
  EXPECT_EQ(token_index(1e30f, 10), 9);
  EXPECT_EQ(token_index(-3.0f, 10), 0);
  EXPECT_EQ(token_index(std::nanf(""), 10), 0);
}

TEST(FloatGru, InputMismatchNamesWhatDiffers) {
  FloatGruModel features = testing::random_float_model(4, 6, 3);
  FloatGruModel tokens = testing::random_float_model(4, 6, 3);
  testing::add_random_embedding(tokens, 50);
  EXPECT_EQ(input_mismatch(features, dataset("real", 4, 0)), "");
  EXPECT_EQ(input_mismatch(tokens, dataset("words", 1, 50)), "");
  EXPECT_EQ(input_mismatch(features, dataset("real5", 5, 0)),
            "expects 4 features per step, task real5 has 5");
  EXPECT_EQ(input_mismatch(tokens, dataset("bytes", 1, 20)),
            "reads token ids of a 50-token vocabulary, task bytes has token ids of a 20-token "
            "vocabulary");
  EXPECT_EQ(input_mismatch(features, dataset("words", 1, 50)),
            "reads real features, task words has token ids of a 50-token vocabulary");
}

// A NaN or an infinity in any tensor is refused naming the tensor and the index (quantizing it
// would be undefined behaviour).
TEST(FloatGru, ValidateRefusesNonFiniteValuesNamingTheTensor) {
  struct Case {
    std::function<void(FloatGruModel&)> corrupt;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](FloatGruModel& m) { m.layers[0].lin_h[1].weights[3] = std::nanf(""); },
       "layer 0 lin_h.z weight 3 is NaN"},
      {[](FloatGruModel& m) { m.layers[1].lin_i[2].bias[0] = INFINITY; },
       "layer 1 lin_i.n bias 0 is infinite"},
      {[](FloatGruModel& m) { m.classifier.weights[5] = -INFINITY; },
       "classifier weight 5 is infinite"},
      {[](FloatGruModel& m) { m.embedding.weights[7] = std::nanf(""); },
       "embedding weight 7 is NaN"}};
  for (const Case& c : cases) {
    FloatGruModel m = testing::random_float_model(4, 6, 3, 2, 8);
    testing::add_random_embedding(m, 10);
    validate(m);
    c.corrupt(m);
    try {
      validate(m);
      ADD_FAILURE() << "accepted: " << c.message;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
    }
  }
}

TEST(FloatGru, EmbeddingRowIsTheCellInput) {
  FloatGruModel m = testing::random_float_model(3, 5, 2);
  testing::add_random_embedding(m, 8);
  // A model that reads real features, fed the embedding rows themselves, must agree.
  FloatGruModel plain = m;
  plain.embedding = {};
  const std::vector<float> ids = {3, 0, 7, 3};
  std::vector<float> rows;
  for (float id : ids) {
    const auto* row = m.embedding.weights.data() + static_cast<size_t>(id) * 3;
    rows.insert(rows.end(), row, row + 3);
  }
  float a[2], b[2];
  forward(m, ids.data(), 4, a);
  forward(plain, rows.data(), 4, b);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[1], b[1]);
}

}  // namespace
}  // namespace mpgru::quant
