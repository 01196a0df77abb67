// QAT: the fake-quant GRU predicts what the integer engine predicts, conversion uses exactly the
// learned step sizes, a short fine-tune beats PTQ at low bits on real data, distillation from
// the float model is off by default, deterministic and pulls the student toward the teacher, and
// oscillation dampening is off by default, deterministic and keeps low-bit weights from flipping.
#include "train/qat.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "data/smnist.hpp"
#include "engine/convert.hpp"
#include "engine/gru_engine.hpp"
#include "engine/model_file.hpp"
#include "fixtures/random_float_model.hpp"
#include "fixtures/temp_dir.hpp"
#include "quant/fixed_point.hpp"
#include "train/fake_quant.hpp"
#include "train/float_export.hpp"
#include "train/qat_gru.hpp"
#include "train/trainer.hpp"

namespace mpgru::train {
namespace {

double agreement(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  int64_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return static_cast<double>(same) / static_cast<double>(a.size());
}

struct Random {
  quant::FloatGruModel model = testing::random_float_model(28, 48, 10);
  data::Sequences data = testing::random_sequences(400, 28, 28, 10);
  quant::Calibration calibration = [this] {
    quant::CalibrationOptions o;
    o.sequences = 200;
    return quant::calibrate(model, data, o);
  }();
};

const Random& random_setup() {
  static const Random r;
  return r;
}

void expect_fake_quant_matches_engine(const core::Genome& g) {
  const Random& r = random_setup();
  const quant::ScaleSet scales = quant::ptq_scales(r.model, r.calibration, g);
  const std::vector<int32_t> fq = fake_quant_predictions(r.model, scales, g, r.data);
  const engine::EngineEvaluation e =
      engine::evaluate(engine::convert(r.model, scales, g, 28), r.data, 2);
  EXPECT_GE(agreement(fq, e.predictions), 0.99) << g.to_compact();
}

TEST(Qat, FakeQuantForwardMatchesTheEngineAtHomogeneousBits) {
  for (int bits : {8, 4, 3})
    expect_fake_quant_matches_engine(core::Genome::homogeneous({1, false}, bits));
}

TEST(Qat, FakeQuantForwardMatchesTheEngineOnRandomGenomes) {
  std::mt19937_64 rng(4);
  for (int i = 0; i < 10; ++i) {
    core::Genome g = core::Genome::homogeneous({1, false}, 8);
    for (size_t k = 0; k < g.size(); ++k) g.set_bits(k, 2 + static_cast<int>(rng() % 7));
    expect_fake_quant_matches_engine(g);
  }
}

TEST(Qat, ExportedScalesAreTheModuleStepSizes) {
  const Random& r = random_setup();
  const core::Genome g = core::Genome::homogeneous({1, false}, 5);
  const quant::ScaleSet scales = quant::ptq_scales(r.model, r.calibration, g);
  QatGru qat(r.model, scales, g);
  const quant::ScaleSet back = qat->scales();
  for (const auto& [key, value] : scales.activation) {
    EXPECT_NEAR(back.activation.at(key), value, value * 1e-6) << core::op_name(key.first);
  }
  EXPECT_EQ(back.x_unsigned, scales.x_unsigned);
  const auto& w = back.weights_at(core::Op::w_h_z, 0);
  EXPECT_NEAR(w[3], scales.weights_at(core::Op::w_h_z, 0)[3], 1e-6);
}

// A token model: 12-dim embedding of 40 tokens -> GRU-24 -> 3 classes.
struct Tokens {
  quant::FloatGruModel model = [] {
    quant::FloatGruModel m = testing::random_float_model(12, 24, 3);
    testing::add_random_embedding(m, 40);
    return m;
  }();
  data::Sequences data = testing::random_tokens(300, 30, 40, 3);
  quant::Calibration calibration = [this] {
    quant::CalibrationOptions o;
    o.sequences = 150;
    return quant::calibrate(model, data, o);
  }();
};

TEST(Qat, EmbeddingFakeQuantMatchesTheEngine) {
  static const Tokens t;
  std::mt19937_64 rng(8);
  for (int i = 0; i < 6; ++i) {
    core::Genome g = core::Genome::homogeneous({1, true}, 8);
    if (i > 0) {
      for (size_t k = 0; k < g.size(); ++k) g.set_bits(k, 2 + static_cast<int>(rng() % 7));
    }
    const quant::ScaleSet scales = quant::ptq_scales(t.model, t.calibration, g);
    const std::vector<int32_t> fq = fake_quant_predictions(t.model, scales, g, t.data);
    const engine::EngineEvaluation e =
        engine::evaluate(engine::convert(t.model, scales, g, 30), t.data, 2);
    EXPECT_GE(agreement(fq, e.predictions), 0.99) << g.to_compact();
  }
}

TEST(Qat, EmbeddingIsTrainedAndExported) {
  static const Tokens t;
  const core::Genome g = core::Genome::homogeneous({1, true}, 4);
  const quant::ScaleSet scales = quant::ptq_scales(t.model, t.calibration, g);
  QatGru qat(t.model, scales, g);
  EXPECT_NEAR(qat->scales().weights_at(core::Op::emb, -1).at(0),
              scales.weights_at(core::Op::emb, -1).at(0), 1e-6);
  QatConfig c;
  c.steps = 5;
  c.batch = 32;
  const QatResult r = fine_tune(t.model, t.calibration, g, t.data, c);
  const engine::IntegerModel& m = r.model;
  EXPECT_EQ(m.embedding.vocabulary, 40);
  EXPECT_EQ(m.embedding.table_point.bits, 4);
  EXPECT_EQ(engine::check_model(m), "");
}

TEST(Qat, RejectsBadConfig) {
  QatConfig c;
  c.batch = 0;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c = QatConfig{};
  c.steps = 0;
  c.epochs = 0;
  EXPECT_THROW(validate(c), std::invalid_argument);
}

// Bad distillation settings, each refused naming its field.
TEST(Qat, RejectsBadDistillationSettingsNamingTheField) {
  const struct {
    double weight, temperature;
    const char* field;
  } cases[] = {{-0.1, 2, "distill_weight"},
               {1.5, 2, "distill_weight"},
               {std::nan(""), 2, "distill_weight"},
               {0.5, 0, "distill_temperature"},
               {0.5, -1, "distill_temperature"},
               {0.5, INFINITY, "distill_temperature"},
               {0, std::nan(""), "distill_temperature"}};
  for (const auto& c : cases) {
    QatConfig q;
    q.distill_weight = c.weight;
    q.distill_temperature = c.temperature;
    try {
      validate(q);
      ADD_FAILURE() << c.weight << ", " << c.temperature << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(c.field), std::string::npos) << e.what();
    }
  }
  QatConfig edges;
  edges.distill_weight = 1;
  edges.distill_temperature = 0.01;
  EXPECT_NO_THROW(validate(edges));
}

std::vector<uint8_t> bytes_of(const QatResult& r) {
  return engine::serialize_model(r.model);
}

// A short fine-tune of the random classifier at `genome` with distillation weight `alpha`.
QatResult distilled(const core::Genome& genome, double alpha, const data::Sequences& data,
                    double lr = 5e-3, int64_t steps = 12) {
  const Random& r = random_setup();
  QatConfig c;
  c.steps = steps;
  c.batch = 64;
  c.lr = lr;
  c.scale_lr = lr;
  c.threads = 1;
  c.distill_weight = alpha;
  return fine_tune(r.model, r.calibration, genome, data, c);
}

// Off (weight 0, whatever the temperature) is today's fine-tune, byte for byte; on, the result
// changes and two runs give the same bytes.
TEST(QatDistillation, OffIsTheDefaultFineTuneAndOnIsDeterministic) {
  const Random& r = random_setup();
  const core::Genome g = core::Genome::homogeneous({1, false}, 4);
  QatConfig plain;
  plain.steps = 12;
  plain.batch = 64;
  plain.threads = 1;
  QatConfig off = plain;
  off.distill_temperature = 7;
  const QatResult base = fine_tune(r.model, r.calibration, g, r.data, plain);
  const QatResult zero = fine_tune(r.model, r.calibration, g, r.data, off);
  EXPECT_EQ(bytes_of(zero), bytes_of(base));
  EXPECT_EQ(zero.first_loss, base.first_loss);
  EXPECT_EQ(zero.last_loss, base.last_loss);
  QatConfig on = plain;
  on.distill_weight = 0.5;
  const QatResult a = fine_tune(r.model, r.calibration, g, r.data, on);
  const QatResult b = fine_tune(r.model, r.calibration, g, r.data, on);
  EXPECT_NE(bytes_of(a), bytes_of(base));
  EXPECT_EQ(bytes_of(a), bytes_of(b));
  EXPECT_EQ(a.last_loss, b.last_loss);
}

// At weight 1 the labels have no say: other labels, the same model.
TEST(QatDistillation, PureDistillationIgnoresTheLabels) {
  const Random& r = random_setup();
  data::Sequences relabelled = r.data;
  for (int32_t& label : relabelled.labels) label = (label + 3) % 10;
  const core::Genome g = core::Genome::homogeneous({1, false}, 4);
  EXPECT_EQ(bytes_of(distilled(g, 1, relabelled)), bytes_of(distilled(g, 1, r.data)));
  EXPECT_NE(bytes_of(distilled(g, 0.5, relabelled)), bytes_of(distilled(g, 0.5, r.data)));
}

// The first step's loss, weights untouched (learning rates 0): the teacher's own weights at 8
// bits are all but the teacher (KL near 0, far below the cross-entropy of the random labels),
// and at 3 bits farther from it.
TEST(QatDistillation, TheTeachersOwnWeightsAt8BitsHaveNearZeroDistillationLoss) {
  const Random& r = random_setup();
  const core::Genome eight = core::Genome::homogeneous({1, false}, 8);
  const double kl8 = distilled(eight, 1, r.data, 0, 1).first_loss;
  const double ce8 = distilled(eight, 0, r.data, 0, 1).first_loss;
  const double kl3 =
      distilled(core::Genome::homogeneous({1, false}, 3), 1, r.data, 0, 1).first_loss;
  EXPECT_GE(kl8, 0);
  EXPECT_LT(kl8, 1e-3 * ce8) << "KL " << kl8 << ", cross-entropy " << ce8;
  EXPECT_LT(kl8, kl3 / 10) << "8-bit " << kl8 << ", 3-bit " << kl3;
}

// The float model's argmax on every sequence.
std::vector<int32_t> float_predictions(const quant::FloatGruModel& m, const data::Sequences& s) {
  std::vector<int32_t> out;
  std::vector<float> logits(static_cast<size_t>(m.classes));
  for (int64_t i = 0; i < s.count(); ++i) {
    quant::forward(m, s.sequence(i), static_cast<int32_t>(s.steps), logits.data());
    out.push_back(
        static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin()));
  }
  return out;
}

// Labels the teacher does not know (random): fine-tuning on them pulls a low-bit student away
// from the teacher, distilling pulls it toward it (integer engine against float argmax).
TEST(QatDistillation, DistillingAgreesWithTheTeacherMoreThanTrainingOnRandomLabels) {
  const Random& r = random_setup();
  const core::Genome g = core::Genome::homogeneous({1, false}, 3);
  const std::vector<int32_t> teacher = float_predictions(r.model, r.data);
  const auto agrees = [&](double alpha) {
    const QatResult q = distilled(g, alpha, r.data, 5e-3, 60);
    return agreement(engine::evaluate(q.model, r.data, 2).predictions, teacher);
  };
  const double ptq = agreement(
      engine::evaluate(engine::convert(r.model, r.calibration, g, 28), r.data, 2).predictions,
      teacher);
  const double labels = agrees(0), distill = agrees(1);
  EXPECT_GT(distill, labels) << "PTQ " << ptq;
  EXPECT_GT(distill, ptq) << "labels " << labels;
}

// Bad dampening settings, refused naming the field.
TEST(Qat, RejectsBadDampeningNamingTheField) {
  for (double lambda : {-1e-3, std::nan(""), double{INFINITY}}) {
    QatConfig q;
    q.dampen = lambda;
    try {
      validate(q);
      ADD_FAILURE() << lambda << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("dampen"), std::string::npos) << e.what();
    }
  }
  QatConfig on;
  on.dampen = 10;
  EXPECT_NO_THROW(validate(on));
}

// A weight matrix's integers, as its latent weights stand: clamp(round(w / step)), flattened.
torch::Tensor codes_of(const QatWeight& w) {
  const double qmax = quant::signed_max(w.bits);
  return torch::clamp(round_half_away(w.w.detach() / w.step), -qmax, qmax).flatten();
}

// The accessor dampening reads pairs every weight matrix with the step and bit width the model
// is converted at: round(w / step) clamped is the integer model's weights, matrix by matrix (an
// embedding, a genome with a width per gene).
TEST(QatDampening, QuantizedWeightsAreTheConvertedIntegers) {
  static const Tokens t;
  core::Genome g = core::Genome::homogeneous({1, true}, 8);
  std::mt19937_64 rng(3);
  for (size_t k = 0; k < g.size(); ++k) g.set_bits(k, 2 + static_cast<int>(rng() % 7));
  QatGru qat(t.model, quant::ptq_scales(t.model, t.calibration, g), g);
  const engine::IntegerModel m = engine::convert(qat->float_model(), qat->scales(), g, 30);
  std::vector<const std::vector<int8_t>*> want = {&m.embedding.table};
  for (const engine::QuantizedLinear& l : m.layers[0].lin_i) want.push_back(&l.weights);
  for (const engine::QuantizedLinear& l : m.layers[0].lin_h) want.push_back(&l.weights);
  want.push_back(&m.classifier.weights);
  const std::vector<QatWeight> got = qat->quantized_weights();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_FALSE(got[i].step.requires_grad()) << i;
    const torch::Tensor codes = codes_of(got[i]);
    ASSERT_EQ(codes.numel(), static_cast<int64_t>(want[i]->size())) << i;
    for (int64_t j = 0; j < codes.numel(); ++j) {
      ASSERT_EQ(codes[j].item<float>(), (*want[i])[static_cast<size_t>(j)]) << i << ", " << j;
    }
  }
  EXPECT_EQ(got.front().bits, g.bits(core::Op::emb));
  EXPECT_EQ(got.back().bits, g.bits(core::Op::w_o));
}

// The random classifier with 2-bit weights, 8 bits elsewhere (genes x, w_i.rzn, w_h.rzn, lin_i,
// lin_h, sum, act, mul, h, w_o, out).
const core::Genome& two_bit_weights() {
  static const core::Genome g = core::Genome::parse({1, false}, "8222222888888888888888828");
  return g;
}

QatConfig dampened(double lambda, int64_t steps = 12) {
  QatConfig c;
  c.steps = steps;
  c.batch = 64;
  c.lr = 5e-3;
  c.scale_lr = 5e-3;
  c.threads = 1;
  c.dampen = lambda;
  return c;
}

// Off (lambda 0) is the default; on, the result changes and two runs give the same bytes; with
// no weight gene at <= 4 bits there is nothing to dampen: any lambda gives the off bytes.
TEST(QatDampening, OffIsTheDefaultFineTuneAndOnIsDeterministic) {
  const Random& r = random_setup();
  const core::Genome& g = two_bit_weights();
  EXPECT_EQ(QatConfig{}.dampen, 0);
  const QatResult base = fine_tune(r.model, r.calibration, g, r.data, dampened(0));
  const QatResult a = fine_tune(r.model, r.calibration, g, r.data, dampened(0.1));
  const QatResult b = fine_tune(r.model, r.calibration, g, r.data, dampened(0.1));
  EXPECT_NE(bytes_of(a), bytes_of(base));
  EXPECT_EQ(bytes_of(a), bytes_of(b));
  EXPECT_EQ(a.last_loss, b.last_loss);
  core::Genome wide = g;
  for (size_t k = 0; k < wide.size(); ++k) wide.set_bits(k, std::max(wide.bits(k), 5));
  EXPECT_EQ(bytes_of(fine_tune(r.model, r.calibration, wide, r.data, dampened(0.1))),
            bytes_of(fine_tune(r.model, r.calibration, wide, r.data, dampened(0))));
}

// The integers of the weights at <= 4 bits, flattened.
torch::Tensor low_bit_codes(const QatGruImpl& qat) {
  std::vector<torch::Tensor> parts;
  for (const QatWeight& w : qat.quantized_weights()) {
    if (w.bits <= kDampenMaxBits) parts.push_back(codes_of(w));
  }
  return torch::cat(parts);
}

// Mean distance of the latent weights at <= 4 bits inside their range to their grid points, in
// steps (0: on the grid, 0.5: on a rounding boundary).
double grid_distance(const QatGruImpl& qat) {
  double sum = 0;
  int64_t n = 0;
  for (const QatWeight& w : qat.quantized_weights()) {
    if (w.bits > kDampenMaxBits) continue;
    const double qmax = quant::signed_max(w.bits);
    const torch::Tensor u = w.w.detach() / w.step;
    const torch::Tensor inside = u.abs() <= qmax;
    sum += (u - round_half_away(u)).abs().masked_select(inside).sum().item<double>();
    n += inside.sum().item<int64_t>();
  }
  return sum / static_cast<double>(n);
}

struct Oscillation {
  int64_t flips = 0;    // weights whose integer changed from one step to the next, over steps
  double distance = 0;  // grid_distance after the last step
};

// A fine-tune at 2-bit weights, watched over its second half.
Oscillation oscillation(double lambda, int64_t steps) {
  const Random& r = random_setup();
  Oscillation o;
  torch::Tensor before;
  fine_tune(r.model, r.calibration, two_bit_weights(), r.data, dampened(lambda, steps),
            [&](const QatProgress& p) {
              if (p.step < p.steps / 2) return;
              const torch::Tensor now = low_bit_codes(*p.model);
              if (before.defined()) o.flips += (now != before).sum().item<int64_t>();
              before = now;
              if (p.step == p.steps) o.distance = grid_distance(*p.model);
            });
  return o;
}

// Under the straight-through estimator 2-bit weights keep crossing their rounding boundaries
// (Nagel et al. 2022); dampening pulls them toward their grid points: fewer integer flips over
// the second half of the fine-tune and latent weights closer to the grid at the end (mean 0.12
// steps from it against 0.25, a uniform spread's).
TEST(QatDampening, FewerWeightsFlipAndTheyEndNearerTheirGridPoints) {
  const Oscillation off = oscillation(0, 60), on = oscillation(0.03, 60);  // 250 and 21 flips
  EXPECT_GT(off.flips, 100);
  EXPECT_LT(on.flips, off.flips / 4) << "on " << on.flips << ", off " << off.flips;
  EXPECT_LT(on.distance, off.distance * 0.75) << "on " << on.distance << ", off " << off.distance;
}

// Real sMNIST and a small GRU trained briefly (once, shared by the tests below); null when the
// data are absent.
struct RealSetup {
  std::unique_ptr<data::InMemoryDataset> data;
  quant::FloatGruModel model;
  std::unique_ptr<quant::Calibration> calibration;
};

const RealSetup& real_setup() {
  static const RealSetup setup = [] {
    RealSetup r;
    const std::filesystem::path mnist = std::filesystem::path(MPGRU_TEST_DATA_DIR) / "mnist";
    if (!std::filesystem::exists(mnist)) return r;
    r.data = std::make_unique<data::InMemoryDataset>(data::load_smnist(mnist));
    testing::TempDir dir;
    TrainConfig tc;
    tc.hidden = 32;
    tc.epochs = 3;
    tc.lr = 1e-2;
    tc.train_limit = 10000;
    tc.threads = 1;
    train_float(*r.data, tc, dir.path());
    r.model = load_float_model(dir.path());
    quant::CalibrationOptions o;
    o.sequences = 300;
    r.calibration = std::make_unique<quant::Calibration>(
        quant::calibrate(r.model, r.data->split(data::Split::train), o));
    return r;
  }();
  return setup;
}

// The fake-quant forward and the engine on real test sequences: >= 99 % identical predictions,
// accuracy within 0.2 pp, at homogeneous 8, 4, 3 bits and on random genomes.
TEST(Qat, FakeQuantMatchesTheEngineOnRealSmnist) {
  const RealSetup& r = real_setup();
  if (!r.data) GTEST_SKIP() << "sMNIST absent: run scripts/setup.sh";
  const data::Sequences test = r.data->split(data::Split::test).slice(0, 2000);
  std::vector<core::Genome> genomes;
  for (int bits : {8, 4, 3}) genomes.push_back(core::Genome::homogeneous({1, false}, bits));
  std::mt19937_64 rng(21);
  for (int i = 0; i < 4; ++i) {
    core::Genome g = core::Genome::homogeneous({1, false}, 8);
    for (size_t k = 0; k < g.size(); ++k) g.set_bits(k, 2 + static_cast<int>(rng() % 7));
    genomes.push_back(g);
  }
  for (const core::Genome& g : genomes) {
    const quant::ScaleSet scales = quant::ptq_scales(r.model, *r.calibration, g);
    const std::vector<int32_t> fq = fake_quant_predictions(r.model, scales, g, test);
    const engine::EngineEvaluation e =
        engine::evaluate(engine::convert(r.model, scales, g, 28), test, 2);
    EXPECT_GE(agreement(fq, e.predictions), 0.99) << g.to_compact();
    const std::vector<int32_t> labels(test.labels.begin(), test.labels.end());
    EXPECT_NEAR(agreement(fq, labels), e.accuracy, 0.002) << g.to_compact();
  }
}

// 2-bit weights (everything else 6-bit) lose accuracy under PTQ; 150 QAT steps recover part of
// it, measured by the integer engine. Seeded.
TEST(Qat, ShortFineTuneBeatsPtqAtLowBitsOnRealData) {
  const RealSetup& r = real_setup();
  if (!r.data) GTEST_SKIP() << "sMNIST absent: run scripts/setup.sh";
  core::Genome g = core::Genome::homogeneous({1, false}, 6);
  for (size_t i = 0; i < g.size(); ++i) {
    if (core::is_weight(g.table()[i].op)) g.set_bits(i, 2);
  }
  const data::Sequences val = r.data->split(data::Split::validation).slice(0, 2000);
  const double ptq =
      engine::evaluate(engine::convert(r.model, *r.calibration, g, 28), val, 2).accuracy;
  QatConfig qc;
  qc.steps = 150;
  qc.lr = 2e-3;
  qc.scale_lr = 2e-3;
  qc.threads = 1;
  const QatResult q =
      fine_tune(r.model, *r.calibration, g, r.data->split(data::Split::train).slice(0, 10000), qc);
  const double qat = engine::evaluate(q.model, val, 2).accuracy;
  EXPECT_GT(qat, ptq + 0.02) << "PTQ " << ptq << ", QAT " << qat;
  EXPECT_LT(q.last_loss, q.first_loss);
}

}  // namespace
}  // namespace mpgru::train

namespace mpgru::train {
namespace {

// A per-step model (sequence to sequence): GRU-16 over 6 features, a head of 5 sigmoid gains
// after every step, and random gain targets in [0, 1].
struct PerStep {
  quant::FloatGruModel model = [] {
    quant::FloatGruModel f = testing::random_float_model(6, 16, 5, 1, 5);
    f.outputs = 5;
    f.classes = 0;
    return f;
  }();
  data::Sequences data = [] {
    data::Sequences s = testing::random_sequences(96, 12, 6, 2);
    s.labels.clear();
    s.outputs = 5;
    std::mt19937_64 rng(3);
    for (int64_t i = 0; i < 96 * 12 * 5; ++i) {
      s.targets.push_back(static_cast<float>(rng() % 1000) / 999.0f);
    }
    return s;
  }();
  quant::Calibration calibration = [this] {
    quant::CalibrationOptions o;
    o.sequences = 96;
    return quant::calibrate(model, data, o);
  }();
};

const PerStep& per_step_setup() {
  static const PerStep p;
  return p;
}

// The fake-quant gains before training against the engine's gains of the PTQ model, in units of
// the gain grid: the share that are equal, and the largest difference.
std::pair<double, int64_t> gain_agreement(const core::Genome& g, bool fused) {
  const PerStep& p = per_step_setup();
  const quant::ScaleSet scales = quant::ptq_scales(p.model, p.calibration, g);
  QatGru qat(p.model, scales, g);
  qat->set_fused(fused);
  torch::NoGradGuard no_grad;
  const torch::Tensor x =
      torch::from_blob(const_cast<float*>(p.data.values.data()), {96, 12, 6}).clone();
  const torch::Tensor fq = qat->forward_steps(x).contiguous();
  const double qmax = quant::unsigned_max(g.bits(core::Op::gain));
  const engine::IntegerModel m = engine::convert(p.model, scales, g, 12);
  engine::GruEngine engine(m);
  std::vector<int32_t> gains(static_cast<size_t>(12 * 5));
  int64_t same = 0, worst = 0;
  for (int64_t i = 0; i < 96; ++i) {
    engine.run_gains(p.data.sequence(i), 12, gains.data());
    for (int64_t k = 0; k < 12 * 5; ++k) {
      const auto q = std::llround(fq.data_ptr<float>()[i * 60 + k] * qmax);
      same += q == gains[static_cast<size_t>(k)];
      worst = std::max<int64_t>(worst, std::abs(q - gains[static_cast<size_t>(k)]));
    }
  }
  return {static_cast<double>(same) / (96.0 * 60.0), worst};
}

TEST(QatPerStep, FakeQuantGainsMatchTheEngine) {
  const core::GenomeLayout layout{1, false, true};
  std::mt19937_64 rng(11);
  std::vector<core::Genome> genomes = {core::Genome::homogeneous(layout, 8),
                                       core::Genome::homogeneous(layout, 4)};
  for (int i = 0; i < 4; ++i) {
    core::Genome g = core::Genome::homogeneous(layout, 8);
    for (size_t k = 0; k < g.size(); ++k) g.set_bits(k, 2 + static_cast<int>(rng() % 7));
    genomes.push_back(g);
  }
  for (const core::Genome& g : genomes) {
    for (const bool fused : {true, false}) {
      const auto [same, worst] = gain_agreement(g, fused);
      EXPECT_GE(same, 0.99) << g.to_compact() << (fused ? " fused" : " unfused");
      EXPECT_LE(worst, 1) << g.to_compact();
    }
  }
}

TEST(QatPerStep, FineTuneLowersTheGainLossAndConvertsToAPerStepModel) {
  const PerStep& p = per_step_setup();
  const core::Genome g = core::Genome::homogeneous({1, false, true}, 3);
  QatConfig c;
  c.steps = 60;
  c.batch = 16;
  c.lr = 5e-3;
  c.threads = 1;
  const QatResult r = fine_tune(p.model, p.calibration, g, p.data, c);
  EXPECT_EQ(r.steps, 60);
  EXPECT_LT(r.last_loss, r.first_loss);
  EXPECT_TRUE(r.model.per_step);
  EXPECT_EQ(r.model.classes, 5);
  EXPECT_EQ(r.model.head.output.bits, 3);
}

// A per-step model distils from the float model's gains: at weight 1 the targets have no say,
// and the teacher's own weights at 8 bits are near its gains (MSE far below the targets').
TEST(QatPerStep, DistillationFollowsTheFloatModelsGains) {
  const PerStep& p = per_step_setup();
  data::Sequences other = p.data;
  for (float& t : other.targets) t = 1 - t;
  const auto run = [&p](const core::Genome& g, const data::Sequences& data, double alpha,
                        double lr) {
    QatConfig c;
    c.steps = lr > 0 ? 8 : 1;
    c.batch = 16;
    c.lr = lr;
    c.scale_lr = lr;
    c.threads = 1;
    c.distill_weight = alpha;
    return fine_tune(p.model, p.calibration, g, data, c);
  };
  const core::Genome four = core::Genome::homogeneous({1, false, true}, 4);
  EXPECT_EQ(bytes_of(run(four, other, 1, 5e-3)), bytes_of(run(four, p.data, 1, 5e-3)));
  EXPECT_NE(bytes_of(run(four, p.data, 0.5, 5e-3)), bytes_of(run(four, p.data, 0, 5e-3)));
  const core::Genome eight = core::Genome::homogeneous({1, false, true}, 8);
  const double to_teacher = run(eight, p.data, 1, 0).first_loss;
  const double to_targets = run(eight, p.data, 0, 0).first_loss;
  EXPECT_LT(to_teacher, 1e-3 * to_targets) << to_teacher << " vs " << to_targets;
}

TEST(QatPerStep, TheTrainingSequencesMustHaveTheModelsOutputs) {
  const PerStep& p = per_step_setup();
  const data::Sequences labelled = testing::random_sequences(20, 12, 6, 2);
  QatConfig c;
  c.steps = 2;
  try {
    fine_tune(p.model, p.calibration, core::Genome::homogeneous({1, false, true}, 8), labelled, c);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("5 per-step outputs"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mpgru::train
