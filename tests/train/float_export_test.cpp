// From LibTorch to the plain float model, and PTQ on real sMNIST: the exported model computes
// what LibTorch computes, and the integer engine agrees with its float simulation.
#include "train/float_export.hpp"

#include <gtest/gtest.h>

#include "data/smnist.hpp"
#include "engine/convert.hpp"
#include "engine/float_simulation.hpp"
#include "engine/gru_engine.hpp"
#include "fixtures/random_float_model.hpp"
#include "fixtures/temp_dir.hpp"
#include "train/checkpoint.hpp"
#include "train/trainer.hpp"

namespace mpgru::train {
namespace {

TEST(FloatExport, PlainForwardMatchesLibTorch) {
  for (int64_t layers : {1, 2}) {
    testing::TempDir dir;
    torch::manual_seed(5);
    GruClassifier model(GruClassifierOptions{7, 12, layers, 4});
    write_json_file({{"task", "pulse"}, {"model", to_json(model->options())}}, dir / "config.json");
    save_checkpoint(model, dir.path());
    const quant::FloatGruModel f = load_float_model(dir.path());
    EXPECT_EQ(checkpoint_task(dir.path()), "pulse");
    const torch::Tensor x = torch::rand({3, 9, 7});
    const torch::Tensor want = model->forward(x).detach();
    std::vector<float> logits(4);
    for (int64_t b = 0; b < 3; ++b) {
      const torch::Tensor seq = x[b].contiguous();
      quant::forward(f, seq.data_ptr<float>(), 9, logits.data());
      for (int64_t c = 0; c < 4; ++c) {
        EXPECT_NEAR(logits[static_cast<size_t>(c)], want[b][c].item<float>(), 1e-5) << layers;
      }
    }
  }
}

TEST(FloatExport, SaveFloatCheckpointIsLoadFloatModelsInverse) {
  for (bool embedding : {false, true}) {
    testing::TempDir dir;
    quant::FloatGruModel f = testing::random_float_model(embedding ? 4 : 7, 12, 5, 2, 9);
    if (embedding) testing::add_random_embedding(f, 13);
    const nlohmann::json model = save_float_checkpoint(f, dir.path());
    EXPECT_EQ(model.at("layers"), 2);
    EXPECT_EQ(model.at("vocabulary"), embedding ? 13 : 0);
    write_json_file({{"task", "pulse"}, {"model", model}}, dir / "config.json");
    const quant::FloatGruModel back = load_float_model(dir.path());
    EXPECT_EQ(back.embedding.weights, f.embedding.weights);
    ASSERT_EQ(back.layers.size(), 2u);
    for (size_t k = 0; k < 2; ++k) {
      for (int g = 0; g < 3; ++g) {
        EXPECT_EQ(back.layers[k].lin_i[g].weights, f.layers[k].lin_i[g].weights);
        EXPECT_EQ(back.layers[k].lin_h[g].bias, f.layers[k].lin_h[g].bias);
      }
    }
    EXPECT_EQ(back.classifier.weights, f.classifier.weights);
    EXPECT_EQ(back.classifier.bias, f.classifier.bias);
  }
}

// A checkpoint whose weight was overwritten with NaN inside the archive (a corrupt file; the
// archive itself is intact) is refused naming the file and the tensor, not quantized.
TEST(FloatExport, ACheckpointWithANonFiniteWeightIsRefusedNamingFileAndTensor) {
  for (const float bad : {std::nanf(""), INFINITY}) {
    testing::TempDir dir;
    GruClassifier model(GruClassifierOptions{7, 12, 1, 4});
    {
      torch::NoGradGuard no_grad;
      model->gru->named_parameters()["weight_hh_l0"][13][2] = bad;  // row 13: gate z, unit 1
    }
    write_json_file({{"task", "pulse"}, {"model", to_json(model->options())}}, dir / "config.json");
    save_checkpoint(model, dir.path());
    try {
      load_float_model(dir.path());
      ADD_FAILURE() << "a corrupt checkpoint loaded";
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find((dir / "checkpoint").string()), std::string::npos) << message;
      EXPECT_NE(message.find("layer 0 lin_h.z weight 14"), std::string::npos) << message;
    }
  }
}

// gru_classifier_of (QAT distillation's teacher) computes quant::forward / forward_steps: two
// layers, an embedding, a per-step head.
TEST(FloatExport, GruClassifierOfComputesThePlainForward) {
  struct Case {
    const char* name;
    int layers;
    bool embedding, per_step;
  };
  for (const Case c : {Case{"two layers", 2, false, false}, Case{"embedding", 1, true, false},
                       Case{"per-step", 1, false, true}}) {
    quant::FloatGruModel f = testing::random_float_model(c.embedding ? 4 : 7, 12, 5, c.layers, 9);
    if (c.embedding) testing::add_random_embedding(f, 13);
    if (c.per_step) {
      f.outputs = f.classes;
      f.classes = 0;
    }
    GruClassifier model = gru_classifier_of(f);
    const torch::Tensor x =
        c.embedding ? torch::randint(0, 13, {3, 9, 1}).to(torch::kFloat32) : torch::rand({3, 9, 7});
    torch::NoGradGuard no_grad;
    const torch::Tensor want = model->forward(x).contiguous();
    const int64_t per = c.per_step ? 9 * 5 : 5;
    std::vector<float> got(static_cast<size_t>(per));
    for (int64_t b = 0; b < 3; ++b) {
      const torch::Tensor seq = x[b].contiguous();
      if (c.per_step) {
        quant::forward_steps(f, seq.data_ptr<float>(), 9, got.data());
      } else {
        quant::forward(f, seq.data_ptr<float>(), 9, got.data());
      }
      for (int64_t k = 0; k < per; ++k) {
        EXPECT_NEAR(got[static_cast<size_t>(k)], want.data_ptr<float>()[b * per + k], 1e-5)
            << c.name;
      }
    }
  }
}

TEST(FloatExport, EmbeddingForwardMatchesLibTorch) {
  testing::TempDir dir;
  torch::manual_seed(6);
  GruClassifierOptions options{5, 10, 1, 3};
  options.vocabulary = 20;
  GruClassifier model(options);
  write_json_file({{"task", "tokens"}, {"model", to_json(model->options())}}, dir / "config.json");
  save_checkpoint(model, dir.path());
  const quant::FloatGruModel f = load_float_model(dir.path());
  ASSERT_EQ(f.embedding.vocabulary, 20);
  ASSERT_EQ(f.embedding.dim, 5);
  EXPECT_EQ(quant::sequence_features(f), 1);
  const torch::Tensor x = torch::randint(0, 20, {3, 9, 1}).to(torch::kFloat32);
  const torch::Tensor want = model->forward(x).detach();
  std::vector<float> logits(3);
  for (int64_t b = 0; b < 3; ++b) {
    const torch::Tensor seq = x[b].contiguous();
    quant::forward(f, seq.data_ptr<float>(), 9, logits.data());
    for (int64_t c = 0; c < 3; ++c) {
      EXPECT_NEAR(logits[static_cast<size_t>(c)], want[b][c].item<float>(), 1e-5);
    }
  }
}

double agreement(const engine::IntegerModel& m, const data::Sequences& s) {
  const std::vector<int32_t> sim = engine::simulate_predictions(m, s);
  const engine::EngineEvaluation e = engine::evaluate(m, s, 2);
  int64_t same = 0;
  for (size_t i = 0; i < sim.size(); ++i) same += sim[i] == e.predictions[i];
  return static_cast<double>(same) / static_cast<double>(sim.size());
}

// A small GRU trained briefly on real sMNIST, quantized: engine = simulation, 8-bit = float.
TEST(FloatExport, PtqOnRealSmnistAgreesWithSimulationAndFloat) {
  const std::filesystem::path mnist = std::filesystem::path(MPGRU_TEST_DATA_DIR) / "mnist";
  if (!std::filesystem::exists(mnist)) GTEST_SKIP() << mnist << " absent: run scripts/setup.sh";
  const data::InMemoryDataset d = data::load_smnist(mnist);
  testing::TempDir dir;
  TrainConfig c;
  c.hidden = 32;
  c.epochs = 3;
  c.lr = 1e-2;
  c.train_limit = 10000;
  c.threads = 1;
  train_float(d, c, dir.path());
  const quant::FloatGruModel f = load_float_model(dir.path());
  quant::CalibrationOptions o;
  o.sequences = 300;
  const quant::Calibration cal = quant::calibrate(f, d.split(data::Split::train), o);
  const data::Sequences test = d.split(data::Split::test).slice(0, 1000);
  const double float_acc = quant::float_accuracy(f, test, 2);
  ASSERT_GT(float_acc, 0.5);
  const auto m8 = engine::convert(f, cal, core::Genome::homogeneous({1, false}, 8), 28);
  EXPECT_GE(agreement(m8, test), 0.99);
  EXPECT_NEAR(engine::evaluate(m8, test, 2).accuracy, float_acc, 0.01);
  const auto m4 = engine::convert(f, cal, core::Genome::homogeneous({1, false}, 4), 28);
  EXPECT_GE(agreement(m4, test), 0.98);
}

}  // namespace
}  // namespace mpgru::train
