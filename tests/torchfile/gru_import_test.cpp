// PyTorch GRU classifiers imported: PyTorch's own logits reproduced within 1e-5 for every form
// the model was saved in, and each model mpgru cannot take refused with its reason.
#include "torchfile/gru_import.hpp"

#include <gtest/gtest.h>

#include "fixtures/random_float_model.hpp"
#include "torchfile/torch_fixtures.hpp"

namespace mpgru::torchfile {
namespace {

using testing::torch_fixture;

std::string error_of(const std::string& fixture, const GruImportOptions& options = {}) {
  try {
    gru_from_torch(read_torch_file(torch_fixture(fixture)), options);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// The imported model's logits on NAME.inputs.json against PyTorch's (NAME.logits.json).
void expect_pytorch_logits(const ImportedGru& imported, const std::string& name, double tolerance) {
  const auto inputs = testing::torch_fixture_inputs(name);
  const nlohmann::json logits = testing::torch_fixture_json(name + ".logits.json");
  ASSERT_EQ(inputs.size(), logits.size());
  const int32_t per_step = quant::sequence_features(imported.model);
  for (size_t s = 0; s < inputs.size(); ++s) {
    const int32_t steps = static_cast<int32_t>(inputs[s].size()) / per_step;
    std::vector<float> out(static_cast<size_t>(imported.model.classes));
    quant::forward(imported.model, inputs[s].data(), steps, out.data());
    ASSERT_EQ(out.size(), logits[s].size());
    for (size_t c = 0; c < out.size(); ++c) {
      EXPECT_NEAR(out[c], logits[s][c].get<double>(), tolerance) << name << " sequence " << s;
    }
  }
}

class EveryForm : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryForm, ReproducesPyTorchsLogits) {
  MPGRU_NEED_TORCH_FIXTURES();
  for (const char* model : {"gru1", "gru2", "token"}) {
    const std::string file = std::string(model) + "." + GetParam() + ".pt";
    const ImportedGru imported = gru_from_torch(read_torch_file(torch_fixture(file)));
    EXPECT_EQ(imported.gru, "gru") << file;
    EXPECT_EQ(imported.head, "out") << file;
    EXPECT_EQ(imported.has_embedding, std::string(model) == "token") << file;
    EXPECT_EQ(imported.model.layers.size(), std::string(model) == "gru2" ? 2u : 1u) << file;
    expect_pytorch_logits(imported, model, 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(TorchForms, EveryForm, ::testing::Values("state_dict", "dict", "script"));

TEST(GruImport, ACheckpointDictIsReadUnderItsModelKey) {
  MPGRU_NEED_TORCH_FIXTURES();
  const ImportedGru imported = gru_from_torch(read_torch_file(torch_fixture("gru1.checkpoint.pt")));
  EXPECT_EQ(imported.gru, "model.gru");
  EXPECT_EQ(imported.head, "model.out");
  expect_pytorch_logits(imported, "gru1", 1e-5);
}

TEST(GruImport, Float64AndFloat16Models) {
  MPGRU_NEED_TORCH_FIXTURES();
  expect_pytorch_logits(gru_from_torch(read_torch_file(torch_fixture("float64.pt"))), "gru1", 1e-5);
  // Half precision weights: PyTorch's float32 logits to the weights' own rounding.
  expect_pytorch_logits(gru_from_torch(read_torch_file(torch_fixture("float16.pt"))), "gru1", 5e-3);
}

TEST(GruImport, ModulePathsCanBeNamed) {
  MPGRU_NEED_TORCH_FIXTURES();
  GruImportOptions options;
  options.gru = "model.gru";
  options.head = "model.out";
  EXPECT_EQ(gru_from_torch(read_torch_file(torch_fixture("gru1.checkpoint.pt")), options).head,
            "model.out");
  options.gru = "rnn";
  EXPECT_EQ(error_of("gru1.checkpoint.pt", options),
            "no recurrent module at 'rnn' (no tensor rnn.weight_ih_l0); found: model.gru");
  options.gru = "";
  options.head = "gru";
  EXPECT_EQ(error_of("gru1.state_dict.pt", options),
            "--head gru is not an nn.Linear on the 6-unit hidden state");
}

TEST(GruImport, RefusesEachModelItCannotTake) {
  MPGRU_NEED_TORCH_FIXTURES();
  EXPECT_EQ(error_of("bad/lstm.pt"), "rnn.weight_hh_l0 has 4 gates: an LSTM; mpgru takes nn.GRU");
  EXPECT_EQ(error_of("bad/bidirectional.pt"),
            "rnn.bias_hh_l0_reverse: a bidirectional GRU; mpgru takes a unidirectional one");
  EXPECT_EQ(error_of("bad/lstm_proj.pt"),
            "rnn.weight_hr_l0: an LSTM with proj_size; mpgru takes nn.GRU");
  EXPECT_EQ(error_of("bad/no_bias.pt"),
            "missing rnn.bias_ih_l0: mpgru's GRU needs its biases (nn.GRU(..., bias=True))");
  EXPECT_EQ(error_of("bad/two_linear_head.pt"),
            "parameters mpgru cannot place: fc2.bias [3], fc2.weight [3 x 8] (mpgru takes an "
            "nn.GRU, one nn.Linear head on its last hidden state and, for token tasks, an "
            "nn.Embedding before it)");
  EXPECT_EQ(error_of("strided.pt"),
            "no nn.GRU: no tensor named *weight_ih_l0 (the file's tensors: t row)");
}

TEST(GruImport, NamesThatOnlyLookLikeRnnParametersAreLeftOver) {
  MPGRU_NEED_TORCH_FIXTURES();
  TorchFile file = read_torch_file(torch_fixture("gru1.state_dict.pt"));
  for (const char* leaf : {"weight_i", "bias_", "weight_ih_l", "weight_ih_lx", "bias_xx_l0"}) {
    NamedTensor t;
    t.name = std::string("gru.") + leaf;
    t.shape = {1};
    t.values = {0};
    file.tensors.push_back(t);
  }
  // Extra tensors of the GRU module itself are dropped with it; nothing throws out_of_range.
  EXPECT_EQ(gru_from_torch(file).model.layers.size(), 1u);
}

// A GRU-16 on 28 features whose weight_ih_l0 was saved transposed ([28 x 48]): the message names
// the shape it should have, [48 x 28], whether the data's features are known or not.
TEST(GruImport, ATransposedInputWeightIsNamedWithTheShapeItShouldHave) {
  TorchFile file;
  file.tensors = torch_parameters(testing::random_float_model(28, 16, 10));
  NamedTensor& wi = file.tensors.front();
  ASSERT_EQ(wi.name, "gru.weight_ih_l0");
  ASSERT_EQ(wi.shape, (std::vector<int64_t>{48, 28}));
  wi.shape = {28, 48};
  for (const int64_t known : {int64_t{0}, int64_t{28}}) {
    GruImportOptions options;
    options.input = known;
    try {
      gru_from_torch(file, options);
      ADD_FAILURE() << "a transposed weight_ih_l0 was taken";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(
          std::string(e.what()).find("gru.weight_ih_l0 has shape [28 x 48], expected [48 x 28]"),
          std::string::npos)
          << e.what();
    }
  }
  // A well-formed weight is the model's own input size, whatever the data: the caller compares
  // it with the data's features and names both.
  wi.shape = {48, 28};
  GruImportOptions thirty;
  thirty.input = 30;
  EXPECT_EQ(gru_from_torch(file, thirty).model.features, 28);
}

TEST(GruImport, TorchParametersRoundTrip) {
  MPGRU_NEED_TORCH_FIXTURES();
  const ImportedGru token = gru_from_torch(read_torch_file(torch_fixture("token.state_dict.pt")));
  TorchFile file;
  file.tensors = torch_parameters(token.model);
  EXPECT_EQ(file.tensors.front().name, "embedding.weight");
  EXPECT_EQ(file.tensors.back().name, "classifier.bias");
  const ImportedGru back = gru_from_torch(file);
  EXPECT_EQ(back.head, "classifier");
  EXPECT_EQ(back.embedding, "embedding");
  expect_pytorch_logits(back, "token", 1e-5);
}

}  // namespace
}  // namespace mpgru::torchfile
