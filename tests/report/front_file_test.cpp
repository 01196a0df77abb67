// front.json / front.csv / evaluated.csv: round trips, the columns anyone can recompute the
// headline from, files of older runs, and errors that name the file.
#include "report/front_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "core/json_file.hpp"
#include "fixtures/temp_dir.hpp"
#include "report/headline.hpp"

namespace mpgru::report {
namespace {

using mpgru::testing::TempDir;

namespace fs = std::filesystem;
using nlohmann::json;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Predicted device costs as the search writes them (made up: size-proportional).
void add_device_costs(ScoredGenome& g) {
  g.device = {{"cortex-m4", g.size_bits * 3, g.size_bits / 6},
              {"cortex-m55", g.size_bits * 2, g.size_bits / 5}};
}

ScoredGenome scored(const std::string& compact, double val, double test, int64_t size_bits,
                    const core::GenomeLayout& layout = {}) {
  ScoredGenome g;
  g.genome = core::Genome::parse(layout, compact);
  g.val_accuracy = val;
  g.val_count = 5000;
  g.test_accuracy = test;
  g.test_count = 10000;
  g.size_bits = size_bits;
  g.footprint_bytes = size_bits / 7;
  g.bops = size_bits * 10;
  g.test_only_this = 31;
  g.test_only_eight = 45;
  return g;
}

FrontFile sample(const core::GenomeLayout& layout = {}) {
  FrontFile f;
  f.task = "smnist";
  f.checkpoint_hash = "00112233445566778899";
  f.config = {{"objectives", "error,size"}, {"seed", 3}};
  const std::string two(core::genes(layout).size(), '2');
  const std::string eight(core::genes(layout).size(), '8');
  std::string mixed = eight;
  mixed[1] = '3';
  f.front = {scored(two, 0.95, 0.951, 20000, layout), scored(mixed, 0.989, 0.987, 40000, layout)};
  f.baseline = {scored(two, 0.31, 0.30, 20000, layout),
                scored(eight, 0.991, 0.9898, 64000, layout)};
  f.evaluations = 512;
  f.session_evaluations = 20;
  f.session_cache_hits = 400;
  f.seconds = 1234.5;
  return f;
}

void expect_same(const ScoredGenome& a, const ScoredGenome& b) {
  EXPECT_EQ(a.genome, b.genome);
  EXPECT_EQ(a.val_accuracy, b.val_accuracy);
  EXPECT_EQ(a.val_count, b.val_count);
  EXPECT_EQ(a.test_accuracy, b.test_accuracy);
  EXPECT_EQ(a.test_count, b.test_count);
  EXPECT_EQ(a.size_bits, b.size_bits);
  EXPECT_EQ(a.footprint_bytes, b.footprint_bytes);
  EXPECT_EQ(a.bops, b.bops);
  EXPECT_EQ(a.test_only_this, b.test_only_this);
  EXPECT_EQ(a.test_only_eight, b.test_only_eight);
  ASSERT_EQ(a.device.size(), b.device.size());
  for (size_t i = 0; i < a.device.size(); ++i) {
    EXPECT_EQ(a.device[i].target, b.device[i].target);
    EXPECT_EQ(a.device[i].instructions, b.device[i].instructions);
    EXPECT_EQ(a.device[i].flash_bytes, b.device[i].flash_bytes);
  }
}

class FrontFileLayout : public ::testing::TestWithParam<core::GenomeLayout> {};

TEST_P(FrontFileLayout, RoundTripsEveryField) {
  TempDir dir;
  FrontFile f = sample(GetParam());
  add_device_costs(f.front[1]);
  add_device_costs(f.baseline[0]);
  write_front_files(f, dir.path());
  const FrontFile back = read_front_file(dir / "front.json");
  EXPECT_EQ(back.task, f.task);
  EXPECT_EQ(back.checkpoint_hash, f.checkpoint_hash);
  EXPECT_EQ(back.config, f.config);
  ASSERT_EQ(back.front.size(), f.front.size());
  ASSERT_EQ(back.baseline.size(), f.baseline.size());
  for (size_t i = 0; i < f.front.size(); ++i) expect_same(back.front[i], f.front[i]);
  for (size_t i = 0; i < f.baseline.size(); ++i) expect_same(back.baseline[i], f.baseline[i]);
  EXPECT_EQ(back.evaluations, 512);
  EXPECT_EQ(back.session_evaluations, 20);
  EXPECT_EQ(back.session_cache_hits, 400);
  EXPECT_EQ(back.seconds, 1234.5);
}

INSTANTIATE_TEST_SUITE_P(Layouts, FrontFileLayout,
                         ::testing::Values(core::GenomeLayout{1, false},
                                           core::GenomeLayout{2, false},
                                           core::GenomeLayout{1, true}));

TEST(FrontFile, JsonCarriesTheHeadlineOfItsRows) {
  TempDir dir;
  const FrontFile f = sample();
  write_front_files(f, dir.path());
  const json doc = core::read_json_file(dir / "front.json");
  const Headline h = headline(f.front, f.baseline, false);
  ASSERT_TRUE(h.size.has_value());
  const json& pick = doc.at("headline").at("iso_accuracy_size");
  EXPECT_EQ(pick.at("genome").get<std::string>(), h.size->genome->genome.to_compact());
  EXPECT_DOUBLE_EQ(pick.at("size_reduction").get<double>(), h.size->size_reduction);
  EXPECT_DOUBLE_EQ(pick.at("mcnemar_p").get<double>(), h.size->mcnemar_p);
  EXPECT_DOUBLE_EQ(doc.at("headline").at("hypervolume_validation").at("front").get<double>(),
                   h.validation.front);
  EXPECT_DOUBLE_EQ(doc.at("headline").at("hypervolume_test").at("front").get<double>(),
                   h.test.front);
  EXPECT_NE(doc.at("headline").at("rule").get<std::string>().find("validation"), std::string::npos);
}

TEST(FrontFile, CsvHasTheColumnsToRecomputeTheHeadline) {
  TempDir dir;
  const FrontFile f = sample();
  write_front_files(f, dir.path());
  std::istringstream csv(read(dir / "front.csv"));
  std::string header, row;
  std::getline(csv, header);
  for (const char* column : {"genome", "val_accuracy", "test_accuracy", "size_bytes", "val_count",
                             "test_only_this", "test_only_eight"}) {
    EXPECT_NE(header.find(column), std::string::npos) << column;
  }
  std::getline(csv, row);
  EXPECT_EQ(row.rfind(f.front[0].genome.to_compact() + ",", 0), 0u) << row;
  EXPECT_NE(row.find(",2500,"), std::string::npos) << row;  // size_bytes of 20000 bits
  EXPECT_EQ(read(dir / "baseline.csv").rfind(header, 0), 0u);
}

TEST(FrontFile, CsvAndJsonCarryEveryTargetsPredictedCosts) {
  TempDir dir;
  FrontFile f = sample();
  f.config = {{"objectives", "error,size,latency"}, {"target", "cortex-m55"}};
  for (ScoredGenome& g : f.front) add_device_costs(g);
  f.front[1].device.pop_back();  // a genome without a cortex-m55 figure: empty cells
  write_front_files(f, dir.path());
  std::istringstream csv(read(dir / "front.csv"));
  std::string header, first, second;
  std::getline(csv, header);
  std::getline(csv, first);
  std::getline(csv, second);
  const std::string columns =
      ",cortex-m4_instructions_per_step,cortex-m4_flash_bytes,cortex-m55_instructions_per_step,"
      "cortex-m55_flash_bytes";
  EXPECT_EQ(header.size() - header.rfind(columns), columns.size()) << header;
  EXPECT_NE(first.find(",60000,3333,40000,4000"), std::string::npos) << first;
  EXPECT_EQ(second.substr(second.size() - 2), ",,") << second;
  const FrontFile back = read_front_file(dir / "front.json");
  EXPECT_EQ(back.latency_target(), "cortex-m55");
  EXPECT_EQ(sample().latency_target(), "");
  for (size_t i = 0; i < f.front.size(); ++i) expect_same(back.front[i], f.front[i]);
  const json doc = core::read_json_file(dir / "front.json");
  EXPECT_EQ(doc.at("front").at(0).at("device").at(1).at("instructions_per_step").get<int64_t>(),
            40000);
  EXPECT_EQ(device_targets(f.front), (std::vector<std::string>{"cortex-m4", "cortex-m55"}));
}

TEST(FrontFile, ReadsAnOlderRunsFile) {
  // As written before sequence counts, layouts and all-session counts existed.
  TempDir dir;
  const std::string eight(25, '8'), two(25, '2');
  const auto point = [](const std::string& compact, double acc, int64_t size) {
    return json{{"genome", core::Genome::parse({}, compact).to_pairs()},
                {"compact", compact},
                {"val_accuracy", acc},
                {"test_accuracy", acc},
                {"size_bits", size},
                {"footprint_bytes", size / 7},
                {"bops", size * 10}};
  };
  const json doc = {{"task", "kws"},
                    {"config", {{"seed", 1}}},
                    {"evaluations", 77},
                    {"cache_hits", 5},
                    {"seconds", 10.0},
                    {"size_reduction", 0.6},
                    {"front", {point(two, 0.9, 100)}},
                    {"baseline", {point(eight, 0.95, 400), point(two, 0.3, 100)}}};
  core::write_json_file(doc, dir / "front.json");
  const FrontFile f = read_front_file(dir / "front.json");
  EXPECT_EQ(f.evaluations, -1);
  EXPECT_EQ(f.session_evaluations, 77);
  EXPECT_EQ(f.session_cache_hits, 5);
  EXPECT_EQ(f.front[0].val_count, 0);
  EXPECT_EQ(f.front[0].test_only_this, -1);
  EXPECT_EQ(f.baseline.front().size_bits, 100);  // sorted by size
}

struct Broken {
  const char* name;
  const char* text;
  const char* says;
};

class FrontFileBroken : public ::testing::TestWithParam<Broken> {};

TEST_P(FrontFileBroken, IsRefusedNamingTheFile) {
  TempDir dir;
  std::ofstream(dir / "front.json") << GetParam().text;
  try {
    read_front_file(dir / "front.json");
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((dir / "front.json").string()), std::string::npos) << what;
    EXPECT_NE(what.find(GetParam().says), std::string::npos) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FrontFileBroken,
    ::testing::Values(
        Broken{"NotJson", "{", "invalid JSON"},
        Broken{"NoTask", R"({"config": {}, "front": [], "baseline": []})", "task"},
        Broken{"NoBaseline",
               R"({"task": "t", "config": {}, "front": [], "baseline": [], "evaluations": 1,
                  "seconds": 1})",
               "no homogeneous baseline"},
        Broken{"BadGenome",
               R"({"task": "t", "config": {}, "front": [], "evaluations": 1, "seconds": 1,
                  "baseline": [{"genome": "x=9", "val_accuracy": 1, "test_accuracy": 1,
                  "size_bits": 1, "footprint_bytes": 1, "bops": 1}]})",
               "x"},
        Broken{"AccuracyAboveOne",
               R"({"task": "t", "config": {}, "front": [], "evaluations": 1, "seconds": 1,
                  "baseline": [{"genome": "8888888888888888888888888", "val_accuracy": 1.5,
                  "test_accuracy": 1, "size_bits": 1, "footprint_bytes": 1, "bops": 1}]})",
               "implausible"}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(EvaluatedCsv, RoundTripsAndAbsentIsEmpty) {
  TempDir dir;
  const std::vector<EvaluatedGenome> genomes = {{"2222", 0.5, 100, 1000}, {"8888", 0.25, 400, 9}};
  write_evaluated_csv(genomes, dir / "evaluated.csv");
  const std::vector<EvaluatedGenome> back = read_evaluated_csv(dir / "evaluated.csv");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].compact, "8888");
  EXPECT_EQ(back[1].val_accuracy, 0.25);
  EXPECT_EQ(back[1].size_bits, 400);
  EXPECT_EQ(back[1].bops, 9);
  EXPECT_TRUE(read_evaluated_csv(dir / "absent.csv").empty());
}

TEST(EvaluatedCsv, MalformedLineIsNamed) {
  TempDir dir;
  std::ofstream(dir / "evaluated.csv") << "genome,val_accuracy,size_bits,bops\n2222,0.5,100,1\n"
                                          "8888,zero,1,1\n";
  try {
    read_evaluated_csv(dir / "evaluated.csv");
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("evaluated.csv:3"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Quality runs (per-step models): scores in the metric's units, intervals over clips.

constexpr const char* kAccuracyHeader =
    "genome,genome_pairs,val_accuracy,val_count,test_accuracy,test_count,size_bits,size_bytes,"
    "footprint_bytes,bops,test_only_this,test_only_eight";

// sample() as a speech enhancer scored on SI-SDR improvement (float model: 8.0 dB on validation):
// scores in dB, negative for the 2-bit genomes, with their 95 % half-widths over clips.
FrontFile quality_sample() {
  FrontFile f = sample(core::GenomeLayout{1, false, true});
  f.task = "se";
  f.metric = Metric{Metric::Kind::sisdr, 8.0};
  const auto set = [](ScoredGenome& g, double val, double test, double ci) {
    g.val_accuracy = val;
    g.test_accuracy = test;
    g.val_count = g.test_count = 300;
    g.test_only_this = g.test_only_eight = -1;
    g.val_ci95 = ci;
    g.test_ci95 = ci + 0.0625;
    g.test_difference_ci95 = ci / 4;
  };
  set(f.front[0], -3.5, -3.25, 0.5);
  set(f.front[1], 7.75, 7.875, 0.4375);
  set(f.baseline[0], -3.5, -4.125, 0.625);
  set(f.baseline[1], 7.9, 8.1, 0.45);
  f.baseline[1].test_difference_ci95 = 0;  // 8-bit against itself
  return f;
}

std::string first_line(const fs::path& path) {
  std::istringstream in(read(path));
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(FrontFileQuality, RoundTripsTheMetricScoresAndIntervals) {
  TempDir dir;
  const FrontFile f = quality_sample();
  write_front_files(f, dir.path());
  const FrontFile back = read_front_file(dir / "front.json");
  EXPECT_EQ(back.task, "se");
  EXPECT_EQ(back.metric.kind, Metric::Kind::sisdr);
  EXPECT_EQ(back.metric.reference, 8.0);
  ASSERT_EQ(back.front.size(), f.front.size());
  ASSERT_EQ(back.baseline.size(), f.baseline.size());
  const auto expect_scores = [](const ScoredGenome& a, const ScoredGenome& b) {
    expect_same(a, b);
    EXPECT_EQ(a.val_ci95, b.val_ci95);
    EXPECT_EQ(a.test_ci95, b.test_ci95);
    EXPECT_EQ(a.test_difference_ci95, b.test_difference_ci95);
  };
  for (size_t i = 0; i < f.front.size(); ++i) expect_scores(back.front[i], f.front[i]);
  for (size_t i = 0; i < f.baseline.size(); ++i) expect_scores(back.baseline[i], f.baseline[i]);
  EXPECT_EQ(back.front[0].val_accuracy, -3.5);
  EXPECT_TRUE(back.front[0].genome.layout().per_step);
}

TEST(FrontFileQuality, JsonHeadlineIsInTheMetricsUnits) {
  TempDir dir;
  const FrontFile f = quality_sample();
  write_front_files(f, dir.path());
  const json doc = core::read_json_file(dir / "front.json");
  EXPECT_EQ(doc.at("metric"), json({{"name", "sisdr"}, {"reference", 8.0}}));
  EXPECT_EQ(doc.at("front").at(0).at("val_ci95").get<double>(), 0.5);
  const std::string rule = doc.at("headline").at("rule").get<std::string>();
  EXPECT_NE(rule.find("0.3 dB"), std::string::npos) << rule;
  // 7.75 dB is within 0.3 dB of 8-bit's 7.9: picked, with the paired interval over clips and
  // no McNemar test (that is for sequences predicted right or wrong).
  const Headline h = headline(f.front, f.baseline, false, f.metric);
  ASSERT_TRUE(h.size.has_value());
  const json& pick = doc.at("headline").at("iso_accuracy_size");
  EXPECT_EQ(pick.at("genome").get<std::string>(), h.size->genome->genome.to_compact());
  EXPECT_EQ(pick.at("test_difference_interval95").at(0).get<double>(),
            h.size->test_difference_interval.low);
  EXPECT_FALSE(pick.contains("mcnemar_p"));
  EXPECT_DOUBLE_EQ(doc.at("headline").at("hypervolume_validation").at("front").get<double>(),
                   h.validation.front);
}

TEST(FrontFileQuality, CsvNamesTheMetricAndTheIntervalColumns) {
  TempDir dir;
  const FrontFile f = quality_sample();
  write_front_files(f, dir.path());
  EXPECT_EQ(first_line(dir / "front.csv"),
            "genome,genome_pairs,val_sisdri_db,val_count,test_sisdri_db,test_count,size_bits,"
            "size_bytes,footprint_bytes,bops,test_only_this,test_only_eight,val_ci95,test_ci95,"
            "test_difference_ci95");
  EXPECT_EQ(first_line(dir / "baseline.csv"), first_line(dir / "front.csv"));
  std::istringstream csv(read(dir / "front.csv"));
  std::string row;
  std::getline(csv, row);
  std::getline(csv, row);
  EXPECT_EQ(row.rfind(f.front[0].genome.to_compact() + ",", 0), 0u) << row;
  EXPECT_NE(row.find("\",-3.5,300,-3.25,300,"), std::string::npos) << row;
  const std::string tail = ",0.5,0.5625,0.125";  // val_ci95, test_ci95, test_difference_ci95
  ASSERT_GE(row.size(), tail.size());
  EXPECT_EQ(row.substr(row.size() - tail.size()), tail) << row;
}

TEST(FrontFileQuality, StoiColumnIsNamedAfterIt) {
  TempDir dir;
  FrontFile f = quality_sample();
  f.metric = Metric{Metric::Kind::stoi, 0.05};
  write_front_files(f, dir.path());
  const std::string header = first_line(dir / "front.csv");
  EXPECT_EQ(
      header.rfind("genome,genome_pairs,val_stoi_improvement,val_count,test_stoi_improvement,", 0),
      0u)
      << header;
  EXPECT_EQ(read_front_file(dir / "front.json").metric.kind, Metric::Kind::stoi);
}

TEST(FrontFileQuality, AccuracyRunsKeepTheirColumnsAndFiles) {
  TempDir dir;
  const FrontFile f = sample();
  write_front_files(f, dir.path());
  EXPECT_EQ(first_line(dir / "front.csv"), kAccuracyHeader);
  EXPECT_EQ(first_line(dir / "baseline.csv"), kAccuracyHeader);
  json doc = core::read_json_file(dir / "front.json");
  EXPECT_EQ(doc.at("metric").at("name").get<std::string>(), "accuracy");
  EXPECT_FALSE(doc.at("front").at(0).contains("val_ci95"));  // no intervals over clips
  // A front.json from before quality metrics: no "metric", so accuracy.
  doc.erase("metric");
  core::write_json_file(doc, dir / "front.json");
  const FrontFile back = read_front_file(dir / "front.json");
  EXPECT_TRUE(back.metric.is_accuracy());
  EXPECT_EQ(back.metric.reference, 1.0);
  ASSERT_FALSE(back.front.empty());
  EXPECT_EQ(back.front[0].val_accuracy, f.front[0].val_accuracy);
  EXPECT_EQ(back.front[0].val_ci95, -1.0);
  EXPECT_EQ(back.front[0].test_difference_ci95, -1.0);
}

// A quality score outside [0, 1] is fine; one that is not a number is not a score.
TEST(FrontFileQuality, NonFiniteScoreIsRefused) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const double bad : {nan, inf, -inf}) {
    for (const bool test_split : {false, true}) {
      SCOPED_TRACE(std::to_string(bad) + (test_split ? " test" : " validation"));
      TempDir dir;
      FrontFile f = quality_sample();
      (test_split ? f.front[1].test_accuracy : f.front[1].val_accuracy) = bad;
      // Refused when written, or else when read back: never a result with a score.
      try {
        write_front_files(f, dir.path());
      } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("front.json"), std::string::npos) << e.what();
        continue;
      }
      try {
        read_front_file(dir / "front.json");
        ADD_FAILURE() << "a non-finite score was read back";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find((dir / "front.json").string()), std::string::npos)
            << e.what();
      }
    }
  }
}

// The same in a file written by hand: a null score (how JSON writes NaN) or one beyond a double.
TEST(FrontFileQuality, NonNumericScoreInTheFileIsRefused) {
  for (const char* score : {"null", "1e999", "\"7.5\""}) {
    SCOPED_TRACE(score);
    TempDir dir;
    write_front_files(quality_sample(), dir.path());
    std::string text = read(dir / "front.json");
    const std::string key = "\"val_accuracy\": 7.75";
    const size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, key.size(), std::string("\"val_accuracy\": ") + score);
    std::ofstream(dir / "front.json") << text;
    try {
      read_front_file(dir / "front.json");
      ADD_FAILURE() << "accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find((dir / "front.json").string()), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace mpgru::report
