// The pagmo problem: genome <-> vector mapping, bounds, and a tiny NSGA-II search whose front is
// non-dominated and identical under the same seed.
#include "search/genome_problem.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>

#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/utils/multi_objective.hpp>

#include "engine/convert.hpp"
#include "fixtures/random_float_model.hpp"
#include "fixtures/random_model.hpp"
#include "fixtures/synthetic_dataset.hpp"
#include "fixtures/temp_dir.hpp"
#include "train/float_export.hpp"
#include "train/trainer.hpp"

namespace mpgru::search {
namespace {

TEST(GenomeVector, RoundTripsAndRoundsAndRejects) {
  const core::GenomeLayout layout{1, false};
  core::Genome g = core::Genome::homogeneous(layout, 8);
  for (size_t i = 0; i < g.size(); ++i) g.set_bits(i, 2 + static_cast<int>(i % 7));
  EXPECT_EQ(from_vector(layout, to_vector(g)), g);
  pagmo::vector_double x = to_vector(g);
  x[0] = 3.4;
  EXPECT_EQ(from_vector(layout, x).bits(0), 3);
  x[4] = 9;
  try {
    from_vector(layout, x);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("w_h.r"), std::string::npos) << e.what();
  }
  x.pop_back();
  EXPECT_THROW(from_vector(layout, x), std::invalid_argument);
  EXPECT_EQ(parse_objectives("error,size,bops"), Objectives::error_size_bops);
  EXPECT_THROW(parse_objectives("size"), std::invalid_argument);
}

TEST(Objectives, ParseAndPrintEveryChoiceAndNameTheFlagOnABadOne) {
  for (Objectives o :
       {Objectives::error_size, Objectives::error_size_bops, Objectives::error_size_latency}) {
    EXPECT_EQ(parse_objectives(to_string(o)), o);
  }
  EXPECT_EQ(parse_objectives("error,size,latency"), Objectives::error_size_latency);
  for (const char* bad : {"latency", "error,latency", "error,size,latency,bops", ""}) {
    try {
      parse_objectives(bad);
      FAIL() << bad;
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("--objectives"), std::string::npos) << what;
      EXPECT_NE(what.find("error,size,latency"), std::string::npos) << what;
    }
  }
}

// A GRU-8 trained for a moment on the pulse task, PTQ fitness: small enough for a unit test.
struct TinyTask {
  data::InMemoryDataset dataset = testing::pulse_dataset(3, 8);
  quant::FloatGruModel model;
  quant::Calibration calibration;
  TinyTask() {
    testing::TempDir dir;
    train::TrainConfig c;
    c.hidden = 8;
    c.epochs = 3;
    c.batch = 32;
    c.lr = 1e-2;
    c.threads = 1;
    train::train_float(dataset, c, dir.path());
    model = train::load_float_model(dir.path());
    quant::CalibrationOptions o;
    o.sequences = 100;
    calibration = quant::calibrate(model, dataset.split(data::Split::train), o);
  }
};

const TinyTask& tiny() {
  static const TinyTask t;
  return t;
}

std::shared_ptr<const GenomeFitness> tiny_fitness() {
  FitnessContext c{&tiny().model, &tiny().calibration, &tiny().dataset, "pulse", "test", ""};
  return std::make_shared<const GenomeFitness>(c, FitnessSettings{}, nullptr);
}

TEST(GenomeProblem, BoundsAreTheBitWidthsAndEveryDimensionIsInteger) {
  const pagmo::problem p{GenomeProblem(tiny_fitness(), Objectives::error_size)};
  EXPECT_EQ(p.get_nx(), 25u);
  EXPECT_EQ(p.get_nix(), 25u);
  EXPECT_EQ(p.get_nobj(), 2u);
  for (double lo : p.get_lb()) EXPECT_EQ(lo, 2);
  for (double hi : p.get_ub()) EXPECT_EQ(hi, 8);
  const pagmo::problem p3{GenomeProblem(tiny_fitness(), Objectives::error_size_bops)};
  EXPECT_EQ(p3.get_nobj(), 3u);
  const pagmo::vector_double f8 = p3.fitness(pagmo::vector_double(25, 8));
  const pagmo::vector_double f2 = p3.fitness(pagmo::vector_double(25, 2));
  EXPECT_GT(f8[1], f2[1]);  // size
  EXPECT_GT(f8[2], f2[2]);  // BOPs
  // The size objective equals the shape-only formula.
  const GenomeFitness& fit = *tiny_fitness();
  EXPECT_EQ(static_cast<int64_t>(f2[1]),
            size_bits(tiny().model, core::Genome::homogeneous(fit.layout(), 2)));
}

TEST(GenomeProblem, LatencyIsTheThirdObjectiveFromTheLatencyModel) {
  // A stand-in latency model: the sum of the genome's bits (the search's is the device cost
  // model's instructions per step on its target).
  const LatencyModel sum_of_bits = [](const core::Genome& g) {
    double total = 0;
    for (size_t i = 0; i < g.size(); ++i) total += g.bits(i);
    return total;
  };
  const pagmo::problem p{
      GenomeProblem(tiny_fitness(), Objectives::error_size_latency, sum_of_bits)};
  EXPECT_EQ(p.get_nobj(), 3u);
  pagmo::vector_double x(25, 8);
  x[3] = 2;
  const pagmo::vector_double f = p.fitness(x);
  EXPECT_EQ(f[2], 24 * 8 + 2);
  const pagmo::vector_double f2 = p.fitness(pagmo::vector_double(25, 2));
  EXPECT_GT(f[1], f2[1]);  // size still second
  EXPECT_EQ(f2[2], 50);
  // An unbuildable genome's latency keeps it off the first front.
  const GenomeProblem problem(tiny_fitness(), Objectives::error_size_latency, sum_of_bits);
  Evaluation unbuildable;
  unbuildable.sequences = -1;
  unbuildable.size_bits = 10;
  const auto u = problem.objectives(core::Genome::homogeneous({}, 2), unbuildable);
  EXPECT_EQ(u[0], 1.0);
  EXPECT_EQ(u[2], std::numeric_limits<double>::max());
  EXPECT_THROW(GenomeProblem(tiny_fitness(), Objectives::error_size_latency),
               std::invalid_argument);
}

// The size prices the weights' genes only (with an embedding, its table too).
TEST(GenomeFitness, SizePricesExactlyTheWeightsGenes) {
  for (const bool embedding : {false, true}) {
    quant::FloatGruModel m = testing::random_float_model(6, 10, 3);
    if (embedding) testing::add_random_embedding(m, 30);
    const std::vector<bool> priced = size_priced_genes(m);
    const core::Genome eight = core::Genome::homogeneous(quant::genome_layout(m), 8);
    ASSERT_EQ(priced.size(), eight.size());
    for (size_t i = 0; i < priced.size(); ++i) {
      const std::string& name = eight.table()[i].name;
      EXPECT_EQ(priced[i], name.rfind("w_", 0) == 0 || name == "emb") << name;
    }
  }
}

// Held genes (--free-genes widest) leave the decision vector: NSGA-II moves the others only, and
// every genome it makes holds them at 8 bits; a held mask must fit the genome and leave a gene to
// search, and a genome whose held gene is not at 8 bits has no decision vector.
TEST(GenomeProblem, HeldGenesLeaveTheDecisionVectorAndStayAtEightBits) {
  std::vector<bool> unpriced = size_priced_genes(tiny().model);
  unpriced.flip();
  const size_t searched =
      unpriced.size() - static_cast<size_t>(std::count(unpriced.begin(), unpriced.end(), true));
  const GenomeProblem problem(tiny_fitness(), Objectives::error_size, {}, unpriced);
  const pagmo::problem p{problem};
  EXPECT_EQ(p.get_nx(), searched);
  EXPECT_EQ(p.get_nix(), searched);
  pagmo::population pop{p, 16, 7};
  pop = pagmo::nsga2(3, 0.95, 10., 0.5, 20., 7).evolve(pop);
  std::set<std::string> weights;
  for (const pagmo::vector_double& x : pop.get_x()) {
    const core::Genome g = problem.genome(x);
    EXPECT_EQ(problem.vector(g), x);
    std::string w;
    for (size_t i = 0; i < g.size(); ++i) {
      if (unpriced[i]) {
        EXPECT_EQ(g.bits(i), 8) << g.to_compact();
      } else {
        w += std::to_string(g.bits(i));
      }
    }
    weights.insert(w);
  }
  EXPECT_GT(weights.size(), 1u) << "the weights' genes move";
  core::Genome off = core::Genome::homogeneous(problem.layout(), 8);
  const size_t first_held =
      static_cast<size_t>(std::find(unpriced.begin(), unpriced.end(), true) - unpriced.begin());
  off.set_bits(first_held, 4);
  EXPECT_THROW(problem.vector(off), std::invalid_argument);
  EXPECT_THROW(GenomeProblem(tiny_fitness(), Objectives::error_size, {}, std::vector<bool>(3)),
               std::invalid_argument);
  EXPECT_THROW(
      GenomeProblem(tiny_fitness(), Objectives::error_size, {}, std::vector<bool>(25, true)),
      std::invalid_argument);
}

TEST(GenomeFitness, SizeFormulaIsTheConvertedModelsSizeWithAnEmbedding) {
  quant::FloatGruModel m = testing::random_float_model(6, 10, 3);
  testing::add_random_embedding(m, 30);
  const quant::Calibration c =
      quant::calibrate(m, testing::random_tokens(40, 8, 30, 3), quant::CalibrationOptions{});
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const core::Genome g = testing::random_genome({1, true}, seed);
    EXPECT_EQ(size_bits(m, g), engine::model_size(engine::convert(m, c, g, 8)).size_bits)
        << g.to_compact();
  }
}

pagmo::population tiny_search(unsigned seed) {
  pagmo::population pop{pagmo::problem{GenomeProblem(tiny_fitness(), Objectives::error_size)}, 16,
                        seed};
  return pagmo::nsga2(4, 0.95, 10., 0.1, 20., seed).evolve(pop);
}

TEST(GenomeProblem, TinySearchFrontIsNonDominatedAndSeeded) {
  const pagmo::population a = tiny_search(3);
  const std::vector<pagmo::vector_double> f = a.get_f();
  const auto front = pagmo::non_dominated_front_2d(f);
  ASSERT_FALSE(front.empty());
  for (auto i : front) {
    for (auto j : front) {
      if (i != j) {
        EXPECT_FALSE(pagmo::pareto_dominance(f[i], f[j]));
      }
    }
    for (double bits : a.get_x()[i]) EXPECT_EQ(bits, std::round(bits));
  }
  const pagmo::population b = tiny_search(3);
  EXPECT_EQ(a.get_x(), b.get_x());
  EXPECT_EQ(a.get_f(), b.get_f());
}

}  // namespace
}  // namespace mpgru::search
