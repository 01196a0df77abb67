// The search run on real sMNIST with a tiny GRU and PTQ fitness: seeded runs give the same front,
// and a run killed with SIGKILL resumes from its store without repeating an evaluation, ending on
// the uninterrupted run's front.
#include "search/search_run.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "core/folder_lock.hpp"
#include "data/task.hpp"
#include "fixtures/temp_dir.hpp"
#include "report/headline.hpp"
#include "train/trainer.hpp"

namespace mpgru::search {
namespace {

const std::filesystem::path kData = MPGRU_TEST_DATA_DIR;

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

// A GRU-8 trained briefly on sMNIST, kept for the whole test program.
const std::filesystem::path& checkpoint() {
  static testing::TempDir dir;
  static const bool trained = [] {
    const auto dataset = data::load_task("smnist", kData);
    train::TrainConfig c;
    c.hidden = 8;
    c.epochs = 1;
    c.lr = 1e-2;
    c.train_limit = 5000;
    c.threads = 1;
    train::train_float(*dataset, c, dir.path());
    return true;
  }();
  (void)trained;
  return dir.path();
}

SearchConfig tiny_config() {
  SearchConfig c;
  c.checkpoint = checkpoint().string();
  c.data_dir = kData.string();
  c.population = 8;
  c.generations = 3;
  c.seed = 5;
  c.calibration.sequences = 100;
  return c;
}

class SearchRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kData / "mnist")) GTEST_SKIP() << "sMNIST absent";
  }
};

// Two searches (or resumes) of one folder: the second is refused before it writes anything.
TEST_F(SearchRun, ASecondSearchOfAFolderInUseIsRefused) {
  testing::TempDir dir;
  const core::FolderLock first(dir.path());
  try {
    run_search(tiny_config(), dir.path());
    FAIL() << "a second search ran in a folder in use";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is in use by another mpgru process"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "config.json"));
  EXPECT_FALSE(std::filesystem::exists(dir / "evaluations.sqlite"));
}

TEST_F(SearchRun, SameSeedSameFrontAndResumeEvaluatesNothingNew) {
  testing::TempDir a, b;
  std::vector<GenerationProgress> progress;
  const SearchResult ra = run_search(tiny_config(), a.path(),
                                     [&](const GenerationProgress& p) { progress.push_back(p); });
  const SearchResult rb = run_search(tiny_config(), b.path());
  EXPECT_GT(ra.evaluations, 8);
  ASSERT_EQ(progress.size(), 3u);
  for (const GenerationProgress& p : progress) {
    EXPECT_GT(p.hypervolume, 0.0);
    EXPECT_LT(p.hypervolume, 1.05);
  }
  // The final scores build each distinct baseline and front genome once more (for the test
  // split); a homogeneous genome on the front is scored once.
  EXPECT_GT(ra.evaluations, progress.back().evaluations + static_cast<int64_t>(ra.baseline.size()));
  EXPECT_LE(ra.evaluations, progress.back().evaluations +
                                static_cast<int64_t>(ra.front.size() + ra.baseline.size()));
  EXPECT_NE(read(a / "search.log").find("hypervolume"), std::string::npos);
  EXPECT_NE(read(a / "report.html").find("<svg"), std::string::npos);
  EXPECT_EQ(read(a / "front.csv"), read(b / "front.csv"));
  const report::Headline ha = report::headline(ra.front, ra.baseline, false);
  const report::Headline hb = report::headline(rb.front, rb.baseline, false);
  EXPECT_EQ(ha.validation.front, hb.validation.front);
  EXPECT_EQ(ha.test.front, hb.test.front);
  const SearchResult again = run_search(load_search_config(a.path()), a.path());
  EXPECT_EQ(again.evaluations, 0);
  EXPECT_GE(again.seconds, 0.999 * ra.seconds);  // the first session's wall time is kept
  EXPECT_GT(again.cache_hits, 0);
  EXPECT_EQ(read(a / "front.csv"), read(b / "front.csv"));
  for (const report::ScoredGenome& p : ra.front) {
    EXPECT_GE(p.genome.bits(0), core::kMinBits);
  }
  EXPECT_GE(ha.validation.front, 0.0);
}

// The final scores: every candidate and baseline genome once (progress for each), sequence
// counts and the test pairing with 8-bit recorded, and a front that is non-dominated on its
// final validation scores.
TEST_F(SearchRun, FinalScoresCarryCountsPairingAndProgress) {
  testing::TempDir dir;
  SearchConfig c = tiny_config();
  c.final_fronts = 3;
  std::vector<ScoringProgress> scoring;
  const SearchResult r =
      run_search(c, dir.path(), {}, [&](const ScoringProgress& p) { scoring.push_back(p); });
  ASSERT_FALSE(scoring.empty());
  EXPECT_EQ(scoring.back().done, scoring.back().total);
  EXPECT_EQ(scoring.size(), scoring.back().total);
  EXPECT_GE(scoring.back().total, r.front.size() + r.baseline.size());
  const auto dataset = data::load_task("smnist", kData);
  const report::ScoredGenome& eight = r.baseline.back();
  EXPECT_EQ(eight.genome, core::Genome::homogeneous({}, 8));
  EXPECT_EQ(eight.test_only_this, 0);
  EXPECT_EQ(eight.test_only_eight, 0);
  for (const auto* list : {&r.front, &r.baseline}) {
    for (const report::ScoredGenome& g : *list) {
      EXPECT_EQ(g.val_count, dataset->split(data::Split::validation).count());
      EXPECT_EQ(g.test_count, dataset->split(data::Split::test).count());
      ASSERT_GE(g.test_only_this, 0);
      ASSERT_GE(g.test_only_eight, 0);
      // The pairing explains the accuracy difference exactly.
      const auto correct = [](const report::ScoredGenome& x) {
        return std::llround(x.test_accuracy * static_cast<double>(x.test_count));
      };
      EXPECT_EQ(correct(g) - correct(eight), g.test_only_this - g.test_only_eight);
    }
  }
  for (const report::ScoredGenome& a : r.front) {
    for (const report::ScoredGenome& b : r.front) {
      const bool dominates = b.val_accuracy >= a.val_accuracy && b.size_bits <= a.size_bits &&
                             (b.val_accuracy > a.val_accuracy || b.size_bits < a.size_bits);
      EXPECT_FALSE(dominates) << b.genome.to_compact() << " dominates " << a.genome.to_compact();
    }
  }
  EXPECT_NE(read(dir / "search.log").find("scored "), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "evaluated.csv"));
  EXPECT_EQ(load_search_config(dir.path()).final_fronts, 3u);
}

TEST(SearchConfig, LatencyNeedsATargetAndATargetNeedsLatency) {
  SearchConfig c = tiny_config();
  c.checkpoint = "ckpt";
  c.objectives = Objectives::error_size_latency;
  const auto message = [&c] {
    try {
      validate(c);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message().find("--target"), std::string::npos) << message();
  EXPECT_NE(message().find("cortex-m4, cortex-m55"), std::string::npos) << message();
  c.target = "cortex-m7";
  EXPECT_NE(message().find("unknown target 'cortex-m7'"), std::string::npos) << message();
  c.target = "cortex-m55";
  EXPECT_EQ(message(), "");
  const SearchConfig back = search_config_from_json(search_config_json(c));
  EXPECT_EQ(back.objectives, Objectives::error_size_latency);
  EXPECT_EQ(back.target, "cortex-m55");
  c.objectives = Objectives::error_size;
  EXPECT_NE(message().find("error,size,latency"), std::string::npos) << message();
  c.target.clear();
  EXPECT_FALSE(search_config_json(c).contains("target"));
}

TEST_F(SearchRun, LatencySearchFrontIsNonDominatedInItsThreeObjectivesAndCarriesDeviceCosts) {
  testing::TempDir dir;
  SearchConfig c = tiny_config();
  c.objectives = Objectives::error_size_latency;
  c.target = "cortex-m4";
  const SearchResult r = run_search(c, dir.path());
  ASSERT_FALSE(r.front.empty());
  const auto m4 = [](const report::ScoredGenome& g) {
    EXPECT_EQ(g.device.size(), 2u) << g.genome.to_compact();
    EXPECT_EQ(g.device.at(0).target, "cortex-m4");
    EXPECT_EQ(g.device.at(1).target, "cortex-m55");
    return g.device.at(0).instructions;
  };
  for (const auto* list : {&r.front, &r.baseline}) {
    for (const report::ScoredGenome& g : *list) EXPECT_GT(m4(g), 0);
  }
  for (const report::ScoredGenome& a : r.front) {
    for (const report::ScoredGenome& b : r.front) {
      const bool no_worse =
          b.val_accuracy >= a.val_accuracy && b.size_bits <= a.size_bits && m4(b) <= m4(a);
      const bool better =
          b.val_accuracy > a.val_accuracy || b.size_bits < a.size_bits || m4(b) < m4(a);
      EXPECT_FALSE(no_worse && better)
          << b.genome.to_compact() << " dominates " << a.genome.to_compact();
    }
  }
  const std::string csv = read(dir / "front.csv");
  EXPECT_NE(csv.find("cortex-m4_instructions_per_step,cortex-m4_flash_bytes,"
                     "cortex-m55_instructions_per_step,cortex-m55_flash_bytes"),
            std::string::npos);
  EXPECT_NE(read(dir / "report.html").find("cortex-m55 instr./step"), std::string::npos);
  EXPECT_NE(read(dir / "pareto_latency.svg").find("predicted instructions per step on cortex-m4"),
            std::string::npos);
  EXPECT_EQ(load_search_config(dir.path()).target, "cortex-m4");
}

// Runs `c` as the CLI with `flags` (the same settings), kills it with SIGKILL once some
// evaluations are stored, resumes it, and checks the resumed run against the uninterrupted one.
void kill_and_resume(const SearchConfig& c, const std::string& flags) {
  testing::TempDir reference, killed;
  const SearchResult full = run_search(c, reference.path());
  const std::string command = std::string(MPGRU_BINARY) + " search --ckpt " + c.checkpoint +
                              " --data " + c.data_dir + " " + flags + " --out " +
                              killed.path().string();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + command + " > /dev/null 2>&1").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill it once some evaluations are stored but before it finishes.
  int64_t stored = 0;
  for (int i = 0; i < 600 && stored < 12; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (std::filesystem::exists(killed / "evaluations.sqlite")) {
      try {
        stored = EvaluationStore(killed / "evaluations.sqlite").count();
      } catch (const std::exception&) {
      }
    }
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the search finished before it could be killed";
  stored = EvaluationStore(killed / "evaluations.sqlite").count();
  ASSERT_GT(stored, 0);
  const SearchResult resumed = run_search(load_search_config(killed.path()), killed.path());
  EXPECT_GE(resumed.cache_hits, stored);
  EXPECT_EQ(resumed.evaluations + stored, full.evaluations + 0)
      << "stored before the kill: " << stored;
  EXPECT_EQ(read(reference / "front.csv"), read(killed / "front.csv"));
  EXPECT_EQ(read(reference / "baseline.csv"), read(killed / "baseline.csv"));
  EXPECT_EQ(resumed.effort.qat_steps(), full.effort.qat_steps());
}

TEST_F(SearchRun, KilledRunResumesWithoutRepeatingEvaluations) {
  SearchConfig c = tiny_config();
  c.generations = 4;
  kill_and_resume(c, "--population 8 --generations 4 --seed 5 --calib-sequences 100");
}

// Screened fidelity (PTQ first, QAT for the promising, successive-halving finals): a tiny QAT
// budget so that the run is quick.
SearchConfig screened_config() {
  SearchConfig c = tiny_config();
  c.fitness.mode = FitnessMode::qat;
  c.fitness.qat.steps = 2;
  c.fitness.qat.seed = 5;
  c.final_steps = 8;
  c.final_fronts = 3;
  c.fidelity = Fidelity::screened;
  c.screen.promote = 0.25;
  c.final_keep = 4;  // 3 for the headline (a round of two, then one), 1 for the hypervolume
  return c;
}

TEST_F(SearchRun, ScreenedRunResumesAfterAKillOnTheUninterruptedFront) {
  SearchConfig c = screened_config();
  c.generations = 4;
  kill_and_resume(c,
                  "--population 8 --generations 4 --seed 5 --calib-sequences 100 --fitness qat "
                  "--qat-steps 2 --final-steps 8 --final-fronts 3 "
                  "--fidelity screened --promote 0.25 --final-keep 4");
}

// Screened: only some genomes are fine-tuned, the front holds only genomes with the full final
// scores, the work is counted, and one or two threads and a resume give the same files.
TEST_F(SearchRun, ScreenedSearchFineTunesFewAndIsTheSameOnAnyThreadsAndOnResume) {
  SearchConfig c = screened_config();
  testing::TempDir one, two;
  const SearchResult a = run_search(c, one.path());
  c.workers = 2;
  const SearchResult b = run_search(c, two.path());
  EXPECT_EQ(read(one / "front.csv"), read(two / "front.csv"));
  EXPECT_EQ(read(one / "baseline.csv"), read(two / "baseline.csv"));
  EXPECT_EQ(sorted_lines(read(one / "evaluated.csv")), sorted_lines(read(two / "evaluated.csv")))
      << "the same genomes fine-tuned, in any order";
  const SearchEffort& e = a.effort;
  EXPECT_EQ(e.fidelity, Fidelity::screened);
  EXPECT_GT(e.screened, e.search_fine_tunes - 7);  // the 7 homogeneous genomes are not screened
  EXPECT_GE(e.search_fine_tunes, 7);
  // Per batch at most a quarter of 8 new genomes: the first batch 7 homogeneous and 1 random
  // (2 of the 1 + 3 generations' 8 each).
  EXPECT_LE(e.search_fine_tunes, 7 + 2 * 4);
  EXPECT_EQ(e.search_steps, 2);
  EXPECT_EQ(e.rung_steps, 2);
  EXPECT_EQ(e.final_steps, 8);
  EXPECT_GE(e.rung_fine_tunes, 6);       // the baseline's 7..2 bits, and the candidates
  EXPECT_LE(e.final_fine_tunes, 1 + 4);  // 8-bit and at most final_keep candidates
  EXPECT_EQ(e.qat_steps(),
            e.search_fine_tunes * 2 + e.rung_fine_tunes * 2 + e.final_fine_tunes * 8);
  ASSERT_FALSE(a.front.empty());
  EXPECT_LE(a.front.size(), 4u);
  const std::string log = read(one / "search.log");
  EXPECT_NE(log.find("finals: headline round 1: "), std::string::npos) << log;
  EXPECT_NE(log.find(" fine-tuned in the headline's rounds, "), std::string::npos) << log;
  const std::string json = read(one / "front.json");
  EXPECT_NE(json.find("\"effort\""), std::string::npos);
  EXPECT_NE(read(one / "report.html").find("scored by PTQ first"), std::string::npos);
  EXPECT_NE(read(one / "search.log").find(" screened "), std::string::npos);
  const SearchResult again = run_search(load_search_config(one.path()), one.path());
  EXPECT_EQ(again.evaluations, 0);
  EXPECT_EQ(read(one / "front.csv"), read(two / "front.csv"));
  EXPECT_EQ(again.effort.qat_steps(), e.qat_steps());
}

// Screened with the unpriced genes held at 8 bits: a killed run resumes on the uninterrupted
// front, with the same QAT work.
TEST_F(SearchRun, WidestScreenedRunResumesAfterAKillOnTheUninterruptedFront) {
  SearchConfig c = screened_config();
  c.free_widest = true;
  c.generations = 6;
  kill_and_resume(c,
                  "--population 8 --generations 6 --seed 5 --calib-sequences 100 --fitness qat "
                  "--qat-steps 2 --final-steps 8 --final-fronts 3 "
                  "--fidelity screened --promote 0.25 --final-keep 4 --free-genes widest");
}

// Islands in the screened mode (every gene searched, or the unpriced ones held at 8 bits): each
// island screens its own batches, so islands evolved one after the other (one worker) or side by
// side (two) give the same front.
TEST_F(SearchRun, ScreenedIslandsGiveTheSameFrontInThreadsOrOneAfterTheOther) {
  for (const bool widest : {false, true}) {
    SearchConfig c = screened_config();
    c.free_widest = widest;
    c.generations = 2;
    c.islands.islands = 2;
    c.islands.migrate_every = 1;
    testing::TempDir one, two;
    run_search(c, one.path());
    c.workers = 2;
    run_search(c, two.path());
    EXPECT_EQ(read(one / "front.csv"), read(two / "front.csv")) << widest;
    EXPECT_EQ(read(one / "baseline.csv"), read(two / "baseline.csv")) << widest;
  }
}

// --free-genes widest: every genome the search meets holds the genes the size does not price (all
// but the weights') at 8 bits, the reported baseline stays homogeneous, the screened search
// fine-tunes its weight-homogeneous seeds as beacons, and a resume repeats nothing.
TEST_F(SearchRun, FreeGenesWidestHoldsTheUnpricedGenesAtEightBits) {
  SearchConfig c = screened_config();
  c.free_widest = true;
  testing::TempDir dir;
  const SearchResult r = run_search(c, dir.path());
  ASSERT_FALSE(r.front.empty());
  const core::Genome& any = r.front.front().genome;
  const auto weight = [&](size_t i) {
    const std::string& name = any.table()[i].name;
    return name.rfind("w_", 0) == 0 || name == "emb";
  };
  std::istringstream csv(read(dir / "evaluated.csv"));
  std::string line;
  std::getline(csv, line);  // the header
  std::set<int> seed_widths;
  int genomes = 0;
  while (std::getline(csv, line)) {
    const std::string compact = line.substr(0, line.find(','));
    ++genomes;
    std::set<char> weights;
    for (size_t i = 0; i < compact.size(); ++i) {
      if (weight(i)) {
        weights.insert(compact[i]);
      } else {
        EXPECT_EQ(compact[i], '8') << compact << " gene " << any.table()[i].name;
      }
    }
    if (weights.size() == 1) seed_widths.insert(*weights.begin() - '0');
  }
  EXPECT_GT(genomes, 7);
  EXPECT_EQ(seed_widths, (std::set<int>{2, 3, 4, 5, 6, 7, 8})) << "the beacons, fine-tuned";
  ASSERT_EQ(r.baseline.size(), 7u);
  for (const report::ScoredGenome& b : r.baseline) {
    EXPECT_EQ(b.genome, core::Genome::homogeneous(b.genome.layout(), b.genome.bits(0)));
  }
  EXPECT_NE(read(dir / "config.json").find("\"free_genes\": \"widest\""), std::string::npos);
  const SearchResult again = run_search(load_search_config(dir.path()), dir.path());
  EXPECT_EQ(again.evaluations, 0);
  EXPECT_EQ(again.effort.qat_steps(), r.effort.qat_steps());
}

TEST(SearchConfig, FreeGenesAreCheckedAndKeptInTheConfig) {
  EXPECT_FALSE(parse_free_genes("search"));
  EXPECT_TRUE(parse_free_genes("widest"));
  EXPECT_THROW(parse_free_genes("narrowest"), std::invalid_argument);
  SearchConfig c;
  c.checkpoint = "x";
  EXPECT_FALSE(search_config_json(c).contains("free_genes"));  // older folders unchanged
  c.free_widest = true;
  EXPECT_NO_THROW(validate(c));
  EXPECT_TRUE(search_config_from_json(search_config_json(c)).free_widest);
  EXPECT_FALSE(search_config_from_json(search_config_json(SearchConfig{})).free_widest);
  c.objectives = Objectives::error_size_bops;  // BOPs price every gene
  EXPECT_THROW(validate(c), std::invalid_argument);
}

TEST(SearchConfig, ScreenedFidelityIsCheckedAndKeptInTheConfig) {
  SearchConfig c;
  c.checkpoint = "x";
  c.fidelity = Fidelity::screened;
  EXPECT_THROW(validate(c), std::invalid_argument);  // PTQ fitness: nothing to screen
  c.fitness.mode = FitnessMode::qat;
  EXPECT_NO_THROW(validate(c));
  c.screen.promote = 0;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c.screen.promote = 0.3;
  c.final_keep = 0;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c.final_keep = 5;
  const SearchConfig back = search_config_from_json(search_config_json(c));
  EXPECT_EQ(back.fidelity, Fidelity::screened);
  EXPECT_DOUBLE_EQ(back.screen.promote, 0.3);
  EXPECT_EQ(back.final_keep, 5u);
  EXPECT_FALSE(search_config_json(SearchConfig{}).contains("fidelity"));  // older folders unchanged
}

// Distillation is kept in config.json only when on (older folders load as before, without it),
// the final fine-tunes distil as the search's do, and it needs QAT fitness.
TEST(SearchConfig, DistillationIsKeptInTheConfigAndTheFinalFineTunesInheritIt) {
  SearchConfig c;
  c.checkpoint = "x";
  c.fitness.mode = FitnessMode::qat;
  const nlohmann::json plain = search_config_json(c);
  EXPECT_EQ(plain.dump().find("distill"), std::string::npos) << plain.dump();
  const SearchConfig older = search_config_from_json(plain);
  EXPECT_EQ(older.fitness.qat.distill_weight, 0);
  EXPECT_EQ(older.fitness.qat.distill_temperature, train::QatConfig{}.distill_temperature);
  c.fitness.qat.distill_weight = 0.7;
  c.fitness.qat.distill_temperature = 3;
  c.final_steps = 50;
  EXPECT_NO_THROW(validate(c));
  const SearchConfig back = search_config_from_json(search_config_json(c));
  EXPECT_EQ(back.fitness.qat.distill_weight, 0.7);
  EXPECT_EQ(back.fitness.qat.distill_temperature, 3);
  const FitnessSettings final = final_settings(back);
  EXPECT_EQ(final.qat.steps, 50);
  EXPECT_EQ(final.qat.distill_weight, 0.7);
  EXPECT_EQ(final.qat.distill_temperature, 3);
  EXPECT_NE(final.canonical().find(";distill=0.700000;temperature=3.000000"), std::string::npos)
      << final.canonical();
  c.fitness.qat.distill_weight = 1.5;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c.fitness.qat.distill_weight = 0.7;
  c.fitness.mode = FitnessMode::ptq;
  try {
    validate(c);
    ADD_FAILURE() << "distillation accepted with PTQ fitness";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--fitness qat"), std::string::npos) << e.what();
  }
}

// Dampening is kept in config.json only when on (older folders load as before, without it), the
// final fine-tunes dampen as the search's do, and it needs QAT fitness.
TEST(SearchConfig, DampeningIsKeptInTheConfigAndTheFinalFineTunesInheritIt) {
  SearchConfig c;
  c.checkpoint = "x";
  c.fitness.mode = FitnessMode::qat;
  const nlohmann::json plain = search_config_json(c);
  EXPECT_EQ(plain.dump().find("dampen"), std::string::npos) << plain.dump();
  EXPECT_EQ(search_config_from_json(plain).fitness.qat.dampen, 0);
  c.fitness.qat.dampen = 3e-3;
  c.final_steps = 50;
  EXPECT_NO_THROW(validate(c));
  const SearchConfig back = search_config_from_json(search_config_json(c));
  EXPECT_EQ(back.fitness.qat.dampen, 3e-3);
  const FitnessSettings final = final_settings(back);
  EXPECT_EQ(final.qat.steps, 50);
  EXPECT_EQ(final.qat.dampen, 3e-3);
  EXPECT_NE(final.canonical().find(";dampen=0.003"), std::string::npos) << final.canonical();
  for (double bad : {-1.0, std::nan("")}) {
    c.fitness.qat.dampen = bad;
    try {
      validate(c);
      ADD_FAILURE() << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("dampen"), std::string::npos) << e.what();
    }
  }
  c.fitness.qat.dampen = 3e-3;
  c.fitness.mode = FitnessMode::ptq;
  try {
    validate(c);
    ADD_FAILURE() << "dampening accepted with PTQ fitness";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--fitness qat"), std::string::npos) << e.what();
  }
}

// QAT fitness with a longer final fine-tune: the report's figures come from final_steps, the
// search's from its own budget (different store keys, so both are kept).
TEST_F(SearchRun, FinalStepsRescoreTheFrontAndBaseline) {
  SearchConfig c = tiny_config();
  c.generations = 1;
  c.fitness.mode = FitnessMode::qat;
  c.fitness.qat.steps = 2;
  c.fitness.qat.batch = 32;
  testing::TempDir plain, longer;
  const SearchResult a = run_search(c, plain.path());
  c.final_steps = 12;
  const SearchResult b = run_search(c, longer.path());
  ASSERT_EQ(a.baseline.size(), b.baseline.size());
  bool differs = false;
  for (size_t i = 0; i < a.baseline.size(); ++i) {
    differs = differs || a.baseline[i].test_accuracy != b.baseline[i].test_accuracy;
  }
  EXPECT_TRUE(differs);
  EXPECT_EQ(load_search_config(longer.path()).final_steps, 12);
}

}  // namespace
}  // namespace mpgru::search
