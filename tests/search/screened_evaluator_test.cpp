// The screened fidelity: homogeneous genomes always fine-tuned, at most a quota of each batch
// fine-tuned, every other genome keeping its PTQ score, and the same decisions on a replay.
#include "search/screened_evaluator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>

#include <pagmo/bfe.hpp>
#include <pagmo/problem.hpp>

#include "fixtures/random_float_model.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::search {
namespace {

using core::Genome;
using Batch = std::vector<Genome>;

// A tiny model with a PTQ ("cheap") and a two-step QAT ("full") fitness on one store.
struct Bench {
  explicit Bench(const std::filesystem::path& store_path) : store(store_path) {
    FitnessSettings qat;
    qat.mode = FitnessMode::qat;
    qat.qat.steps = 2;
    qat.qat.batch = 16;
    qat.qat.threads = 1;
    const FitnessContext context{&model, &calibration, &dataset, "random", "ckpt", ""};
    cheap = std::make_shared<const GenomeFitness>(context, FitnessSettings{}, &store);
    full = std::make_shared<const GenomeFitness>(context, qat, &store);
    problem = GenomeProblem(full, Objectives::error_size);
    size_8 = static_cast<double>(size_bits(model, Genome::homogeneous(full->layout(), 8)));
  }
  std::shared_ptr<Screen> screen(double promote, unsigned threads = 1) const {
    return std::make_shared<Screen>(cheap, full, ScreenSettings{promote, 3}, size_8, threads);
  }
  pagmo::vector_double ptq(const Genome& g) const {
    return problem.objectives(g, cheap->evaluate(g));
  }
  pagmo::vector_double tuned(const Genome& g) const {
    return problem.objectives(g, full->evaluate(g));
  }

  quant::FloatGruModel model = testing::random_float_model(4, 6, 3);
  data::Sequences data = testing::random_sequences(60, 5, 4, 3);
  quant::Calibration calibration = quant::calibrate(model, data, quant::CalibrationOptions{});
  data::InMemoryDataset dataset{"random", 3, data, data, data};
  EvaluationStore store;
  std::shared_ptr<const GenomeFitness> cheap, full;
  GenomeProblem problem;
  double size_8 = 1;
};

Batch homogeneous(const core::GenomeLayout& layout) {
  Batch out;
  for (int bits = 8; bits >= 2; --bits) out.push_back(Genome::homogeneous(layout, bits));
  return out;
}

// `n` distinct mixed genomes, bits uniform in 2..8 per gene.
Batch random_genomes(const core::GenomeLayout& layout, size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> bits(2, 8);
  std::set<std::string> seen;
  Batch out;
  while (out.size() < n) {
    Genome g = Genome::homogeneous(layout, 8);
    for (size_t i = 0; i < g.size(); ++i) g.set_bits(i, bits(rng));
    if (g != Genome::homogeneous(layout, g.bits(0)) && seen.insert(g.to_compact()).second) {
      out.push_back(g);
    }
  }
  return out;
}

size_t count_tuned(const Screen& screen, const Batch& batch) {
  size_t n = 0;
  for (const Genome& g : batch) n += screen.fine_tuned(g.to_compact()) ? 1 : 0;
  return n;
}

TEST(ScreenHomogeneous, AreAlwaysFineTuned) {
  const testing::TempDir dir;
  const Bench b(dir / "evaluations.sqlite");
  const auto screen = b.screen(0.125);
  const Batch batch = homogeneous(b.full->layout());
  const auto out = screen->evaluate(b.problem, batch);
  ASSERT_EQ(out.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    pagmo::vector_double f;
    EXPECT_TRUE(screen->fine_tuned(batch[i].to_compact(), &f)) << batch[i].to_compact();
    EXPECT_EQ(out[i], b.tuned(batch[i]));
    EXPECT_EQ(f, out[i]);
  }
  EXPECT_EQ(screen->fine_tunes(), 7);
  EXPECT_EQ(screen->screened(), 7);
}

class ScreenQuota : public ::testing::TestWithParam<double> {};

TEST_P(ScreenQuota, AtMostTheQuotaIsFineTunedTheRestKeepPtq) {
  const double promote = GetParam();
  const testing::TempDir dir;
  const Bench b(dir / "evaluations.sqlite");
  const auto screen = b.screen(promote);
  screen->evaluate(b.problem, homogeneous(b.full->layout()));
  const Batch batch = random_genomes(b.full->layout(), 16, 7);
  const auto out = screen->evaluate(b.problem, batch);
  ASSERT_EQ(out.size(), batch.size());
  const size_t quota = std::max<size_t>(1, static_cast<size_t>(std::lround(promote * 16)));
  const size_t tuned = count_tuned(*screen, batch);
  EXPECT_LE(tuned, quota);
  EXPECT_EQ(screen->fine_tunes(), static_cast<int64_t>(7 + tuned));
  EXPECT_EQ(screen->screened(), 7 + 16);
  for (size_t i = 0; i < batch.size(); ++i) {
    const bool fine_tuned = screen->fine_tuned(batch[i].to_compact());
    EXPECT_EQ(out[i], fine_tuned ? b.tuned(batch[i]) : b.ptq(batch[i])) << batch[i].to_compact();
  }
}

INSTANTIATE_TEST_SUITE_P(Screen, ScreenQuota, ::testing::Values(0.125, 0.25));

// Homogeneous, then two mixed batches sharing a few genomes.
std::vector<Batch> run_batches(const core::GenomeLayout& layout) {
  Batch second = random_genomes(layout, 16, 11);
  const Batch first = random_genomes(layout, 16, 3);
  second[0] = first[0];
  second[1] = first[5];
  return {homogeneous(layout), first, second};
}

struct Decisions {
  std::vector<std::vector<pagmo::vector_double>> out;
  std::vector<bool> tuned;
};

Decisions run(const Bench& b, Screen& screen) {
  Decisions r;
  for (const Batch& batch : run_batches(b.full->layout())) {
    r.out.push_back(screen.evaluate(b.problem, batch));
    for (const Genome& g : batch) r.tuned.push_back(screen.fine_tuned(g.to_compact()));
  }
  return r;
}

TEST(ScreenReplay, SameBatchesGiveSameDecisionsAcrossStoresThreadsAndResumes) {
  const testing::TempDir dir_a, dir_b;
  const Decisions first = [&] {
    const Bench a(dir_a / "evaluations.sqlite");
    return run(a, *a.screen(0.25));
  }();
  const Bench other(dir_b / "evaluations.sqlite");
  const Decisions separate = run(other, *other.screen(0.25, 2));
  EXPECT_EQ(separate.out, first.out);
  EXPECT_EQ(separate.tuned, first.tuned);
  // A resumed run: new fitness instances on the first run's store.
  const Bench resumed(dir_a / "evaluations.sqlite");
  const Decisions replay = run(resumed, *resumed.screen(0.25));
  EXPECT_EQ(replay.out, first.out);
  EXPECT_EQ(replay.tuned, first.tuned);
  EXPECT_EQ(resumed.full->evaluations(), 0);
  EXPECT_GE(resumed.full->cache_hits(), 7);
  EXPECT_EQ(resumed.cheap->evaluations(), 0);
}

TEST(ScreenBatches, AFineTunedGenomeIsReusedAndADuplicateScreenedOnce) {
  const testing::TempDir dir;
  const Bench b(dir / "evaluations.sqlite");
  const auto screen = b.screen(0.125);
  const Batch first = homogeneous(b.full->layout());
  const auto before = screen->evaluate(b.problem, first);
  const Genome mixed = random_genomes(b.full->layout(), 1, 5)[0];
  const int64_t full_calls = b.full->evaluations() + b.full->cache_hits();
  const auto out = screen->evaluate(b.problem, {first[0], mixed, mixed, first[3]});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], before[0]);
  EXPECT_EQ(out[3], before[3]);
  EXPECT_EQ(out[1], out[2]);
  EXPECT_EQ(screen->screened(), 7 + 1);
  const bool tuned = screen->fine_tuned(mixed.to_compact());
  EXPECT_EQ(screen->fine_tunes(), tuned ? 8 : 7);
  EXPECT_EQ(b.full->evaluations() + b.full->cache_hits(), full_calls + (tuned ? 1 : 0));
}

TEST(ScreenedBfe, EvaluatesOneBatchInOrderThroughPagmo) {
  const testing::TempDir dir;
  const Bench b(dir / "evaluations.sqlite");
  const auto screen = b.screen(0.25);
  screen->evaluate(b.problem, homogeneous(b.full->layout()));
  const Batch batch = random_genomes(b.full->layout(), 6, 9);
  pagmo::problem p{b.problem};
  const pagmo::bfe bfe{ScreenedBfe{screen}};
  pagmo::vector_double dvs;
  for (const Genome& g : batch) {
    const pagmo::vector_double x = to_vector(g);
    dvs.insert(dvs.end(), x.begin(), x.end());
  }
  const pagmo::vector_double fvs = bfe(p, dvs);
  ASSERT_EQ(fvs.size(), batch.size() * p.get_nobj());
  for (size_t i = 0; i < batch.size(); ++i) {
    const pagmo::vector_double f(fvs.begin() + static_cast<long>(2 * i),
                                 fvs.begin() + static_cast<long>(2 * i + 2));
    pagmo::vector_double tuned;
    const bool fine_tuned = screen->fine_tuned(batch[i].to_compact(), &tuned);
    EXPECT_EQ(f, fine_tuned ? tuned : b.ptq(batch[i])) << batch[i].to_compact();
  }
}

// pagmo's bfe wrapper adds a batch's evaluations to the problem's counter (pagmo >= 2.11):
// one per decision vector, not two.
TEST(ScreenedBfe, CountsEachGenomeAsOneFitnessEvaluation) {
  const testing::TempDir dir;
  const Bench b(dir / "evaluations.sqlite");
  pagmo::problem p{b.problem};
  pagmo::vector_double dvs;
  for (const Genome& g : homogeneous(b.full->layout())) {
    const pagmo::vector_double x = to_vector(g);
    dvs.insert(dvs.end(), x.begin(), x.end());
  }
  pagmo::bfe{ScreenedBfe{b.screen(0.125)}}(p, dvs);
  EXPECT_EQ(p.get_fevals(), 7u);
}

TEST(ScreenedBfe, RejectsADefaultEvaluatorAndBadSettings) {
  const testing::TempDir dir;
  const Bench b(dir / "evaluations.sqlite");
  pagmo::problem p{b.problem};
  EXPECT_THROW(ScreenedBfe{}(p, to_vector(Genome::homogeneous(b.full->layout(), 8))),
               std::logic_error);
  for (const double promote : {0.0, -0.5, 1.5}) {
    EXPECT_THROW(b.screen(promote), std::invalid_argument) << promote;
  }
  EXPECT_THROW(Screen(b.cheap, b.full, ScreenSettings{0.5, 0}, b.size_8, 1), std::invalid_argument);
  EXPECT_NO_THROW(b.screen(1.0));
}

TEST(ScreenHeadlineLadder, AlternatesTheLargestAndTheSmallestAndKeepsEveryGenomeOnce) {
  EXPECT_TRUE(headline_ladder({}).empty());
  EXPECT_EQ(headline_ladder({7}), (std::vector<size_t>{7}));
  EXPECT_EQ(headline_ladder({4, 9}), (std::vector<size_t>{9, 4}));
  EXPECT_EQ(headline_ladder({0, 1, 2, 3, 4}), (std::vector<size_t>{4, 0, 3, 1, 2}));
  std::vector<size_t> by_size(12);
  for (size_t i = 0; i < by_size.size(); ++i) by_size[i] = 11 - i;
  std::vector<size_t> ladder = headline_ladder(by_size);
  EXPECT_EQ(ladder.front(), by_size.back());
  EXPECT_EQ(ladder[1], by_size.front());
  std::sort(ladder.begin(), ladder.end());
  std::vector<size_t> sorted = by_size;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(ladder, sorted);
}

TEST(ScreenFidelity, NamesRoundTripAndAnUnknownNameIsRejected) {
  for (const Fidelity f : {Fidelity::full, Fidelity::screened}) {
    EXPECT_EQ(parse_fidelity(to_string(f)), f);
  }
  EXPECT_STREQ(to_string(parse_fidelity("screened")), "screened");
  try {
    parse_fidelity("cheap");
    FAIL() << "an unknown fidelity was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--fidelity"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mpgru::search
