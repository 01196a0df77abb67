// The run report from run folders written by the search's own writer (write_front_files): the
// headline figures exactly as headline() gives them on the same rows, the pick made on validation
// where test would pick another, both hypervolumes, the evaluated.csv cloud or a note that it is
// missing, plots and a self-contained page, front.json of older runs, and errors naming the file.
#include "report/run_report.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/json_file.hpp"
#include "fixtures/quality_rows.hpp"
#include "fixtures/scored_rows.hpp"
#include "fixtures/temp_dir.hpp"
#include "report/front_file.hpp"
#include "report/headline.hpp"
#include "report/report_format.hpp"

namespace mpgru::report {
namespace {

using mpgru::testing::TempDir;

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kFloatAccuracy = 0.9869;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

using mpgru::testing::kEightTest;
using mpgru::testing::kEightVal;
using mpgru::testing::kTest;
using mpgru::testing::kVal;
using mpgru::testing::Row;
using mpgru::testing::scored;

std::vector<ScoredGenome> baseline() {
  return mpgru::testing::scored_baseline();
}

const std::string kTestPick = "8222222228456577886457726";  // smallest, out on validation
const std::string kValPick = "8222222228476577776457886";   // next, in on validation
const std::string kFewestBops = "7876333523777777777775536";
const std::string kLargest = "8383435558556547788687687";

// The smallest genome is 0.7 pp below 8-bit on validation (out) but beats 8-bit on test: a rule
// that looked at test would pick it. The next is 0.4 pp below on validation (in), worse on test.
const std::vector<Row> kFront = {{kTestPick, 4915, 9905, 147264, 21100000, 50},
                                 {kValPick, 4930, 9860, 154944, 24800000, 40},
                                 {kFewestBops, 4945, 9885, 251456, 15000000, 35},
                                 {kLargest, 4960, 9895, 281920, 60000000, 20}};
// Every genome more than 0.5 pp below 8-bit on validation.
const std::vector<Row> kFrontOutside = {{kTestPick, 4900, 9905, 147264, 21100000, 50},
                                        {kLargest, 4920, 9895, 281920, 60000000, 20}};

json search_config(const fs::path& float_dir, const std::string& objectives) {
  return {{"checkpoint", float_dir.string()},
          {"task", "smnist"},
          {"fitness", "qat"},
          {"qat_steps", 60},
          {"objectives", objectives},
          {"population", 8},
          {"generations", 2},
          {"seed", 1},
          {"workers", 2},
          {"final_steps", 0}};
}

// A finished run folder as mpgru search leaves it: config.json, front.json (and front.csv,
// baseline.csv), optionally evaluated.csv; its float model's metrics.json beside it.
FrontFile make_run(const fs::path& dir, const std::string& objectives,
                   const std::vector<Row>& front, bool evaluated_csv) {
  const fs::path float_dir = dir / "float";
  fs::create_directories(float_dir);
  core::write_json_file({{"test_accuracy", kFloatAccuracy}}, float_dir / "metrics.json");
  FrontFile f;
  f.task = "smnist";
  f.checkpoint_hash = "00000000000000aa";
  f.config = search_config(float_dir, objectives);
  for (const Row& r : front) f.front.push_back(scored(r));
  f.baseline = baseline();
  f.evaluations = 1559;
  f.session_evaluations = 40;
  f.session_cache_hits = 2;
  f.seconds = 125;
  core::write_json_file({{"search", f.config}}, dir / "config.json");
  write_front_files(f, dir);
  if (evaluated_csv) {
    write_evaluated_csv({{"5555555555555555555555555", 0.95, 200000, 30000000},
                         {"3456734567345673456734567", 0.90, 180000, 25000000}},
                        dir / "evaluated.csv");
  }
  return f;
}

bool bops_objective(const std::string& objectives) {
  return objectives == "error,size,bops";
}

std::string kv_row(const std::string& name, const std::string& value) {
  return "<tr><th>" + name + "</th><td>" + value + "</td></tr>";
}

// "98.60 % [98.36, 98.81] (n = 5000)": as the report writes an accuracy beside its interval.
std::string with_interval(double accuracy, const Interval& i, int64_t count) {
  if (count <= 0) return pct(accuracy);
  return pct(accuracy) + " [" + fmt("%.2f", 100 * i.low) + ", " + fmt("%.2f", 100 * i.high) +
         "] (n = " + std::to_string(count) + ")";
}

// The rows of one pick in the headline table.
void expect_pick(const std::string& html, const Pick& p, const std::string& label) {
  const ScoredGenome& g = *p.genome;
  EXPECT_TRUE(contains(html, "<tr><th>" + label + " (chosen on validation)</th><td><code>" +
                                 g.genome.to_compact() + "</code>"))
      << label;
  EXPECT_TRUE(contains(html, kv_row("&nbsp;&nbsp;its validation accuracy",
                                    with_interval(g.val_accuracy, p.val_interval, g.val_count))));
  EXPECT_TRUE(
      contains(html, kv_row("&nbsp;&nbsp;its test accuracy (reported)",
                            with_interval(g.test_accuracy, p.test_interval, g.test_count))));
  std::string difference = fmt("%+.2f pp", 100 * p.test_difference);
  if (p.paired) {
    difference += " [" + fmt("%+.2f", 100 * p.test_difference_interval.low) + ", " +
                  fmt("%+.2f", 100 * p.test_difference_interval.high) +
                  "] paired 95 % (Newcombe); McNemar exact p = " + fmt("%.3g", p.mcnemar_p);
  }
  EXPECT_TRUE(contains(html, "<tr><th>&nbsp;&nbsp;test difference to 8-bit</th><td>" + difference))
      << difference;
}

// Every headline figure of `h` as the report prints it.
void expect_headline(const std::string& html, const Headline& h) {
  if (h.size) {
    expect_pick(html, *h.size, "smallest front genome within 0.5 pp of 8-bit");
    EXPECT_TRUE(
        contains(html, kv_row("size reduction at iso-accuracy",
                              "<b>" + fmt("%.1f %%", 100 * h.size->size_reduction) + "</b> (BOPs " +
                                  fmt("%.1f %%", 100 * h.size->bops_reduction) + ")")));
    EXPECT_TRUE(contains(html, kv_row("BOPs reduction at iso-accuracy",
                                      fmt("%.1f %%", 100 * h.bops->bops_reduction))));
    const bool separate = h.bops->genome != h.size->genome;
    EXPECT_EQ(contains(html, "fewest-BOPs front genome within 0.5 pp of 8-bit"), separate);
    if (separate) expect_pick(html, *h.bops, "fewest-BOPs front genome within 0.5 pp of 8-bit");
    EXPECT_TRUE(contains(html, "<p>The iso-accuracy genome <code>" +
                                   h.size->genome->genome.to_compact() + "</code> lowers"));
  } else {
    EXPECT_TRUE(contains(html, kv_row("size reduction at iso-accuracy",
                                      "no front genome is within 0.5 pp of 8-bit on validation")));
    EXPECT_TRUE(contains(
        html, "<p>No front genome is within 0.5 pp of homogeneous 8-bit on validation.</p>"));
    EXPECT_FALSE(contains(html, "(chosen on validation)"));
  }
  const std::string axes = std::string("error, size / size<sub>8</sub>") +
                           (h.bops_axis ? ", BOPs / BOPs<sub>8</sub>" : "");
  EXPECT_TRUE(contains(html, kv_row("hypervolume on validation (" + axes + ")",
                                    "mixed " + fmt("%.4f", h.validation.front) +
                                        " vs homogeneous " + fmt("%.4f", h.validation.baseline))));
  EXPECT_TRUE(contains(html, kv_row("hypervolume on test (reported)",
                                    "mixed " + fmt("%.4f", h.test.front) + " vs homogeneous " +
                                        fmt("%.4f", h.test.baseline))));
}

struct ReportCase {
  const char* name;
  const char* objectives;
  const std::vector<Row>* front;
  bool evaluated_csv;
};

void PrintTo(const ReportCase& c, std::ostream* os) {
  *os << c.name;
}

class RunReportFigures : public ::testing::TestWithParam<ReportCase> {};

TEST_P(RunReportFigures, PrintWhatHeadlineReturns) {
  const ReportCase& c = GetParam();
  TempDir dir;
  const FrontFile f = make_run(dir.path(), c.objectives, *c.front, c.evaluated_csv);
  const std::string html = read(write_run_report(dir.path()));
  const Headline h = headline(f.front, f.baseline, bops_objective(c.objectives));
  expect_headline(html, h);
  EXPECT_TRUE(contains(html, kv_row("float model (test)", pct(kFloatAccuracy))));
  const ScoredGenome& eight = *h.eight;
  EXPECT_TRUE(contains(
      html, kv_row("homogeneous 8-bit", "validation " + pct(eight.val_accuracy) + ", test " +
                                            pct(eight.test_accuracy) + ", 64296 B, 108.2 MBOPs")));
  EXPECT_TRUE(contains(html,
                       "<tr><th>evaluations</th><td>1559 distinct evaluations over all sessions; "
                       "40 evaluations and 2 cache hits in the last session; 2 min 5 s"));

  const bool bops = bops_objective(c.objectives);
  EXPECT_EQ(fs::exists(dir / "pareto_bops.svg"), bops);
  EXPECT_EQ(count(html, "<svg"), bops ? 3u : 2u);  // pareto (and BOPs), genomes: inlined
  EXPECT_EQ(contains(read(dir / "pareto.svg"), "every evaluated genome"), c.evaluated_csv);
  EXPECT_EQ(contains(html,
                     "No evaluated.csv in this folder: the cloud of evaluated genomes is "
                     "not shown."),
            !c.evaluated_csv);
}

INSTANTIATE_TEST_SUITE_P(
    Runs, RunReportFigures,
    ::testing::Values(ReportCase{"SizeObjective", "error,size", &kFront, true},
                      ReportCase{"BopsObjective", "error,size,bops", &kFront, true},
                      ReportCase{"NoGenomeWithinTolerance", "error,size", &kFrontOutside, true},
                      ReportCase{"WithoutEvaluatedCsv", "error,size", &kFront, false}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(RunReport, PicksOnValidationWhereTestWouldPickAnother) {
  TempDir dir;
  const FrontFile f = make_run(dir.path(), "error,size", kFront, true);
  // The fixture is what it claims: the smallest genome beats 8-bit and the pick on test.
  const ScoredGenome &smallest = f.front[0], &next = f.front[1], &eight = f.baseline.back();
  ASSERT_EQ(smallest.genome.to_compact(), kTestPick);
  ASSERT_GT(smallest.test_accuracy, eight.test_accuracy);
  ASSERT_GT(smallest.test_accuracy, next.test_accuracy);
  ASSERT_FALSE(within_tolerance(smallest, eight));
  const Headline h = headline(f.front, f.baseline, false);
  ASSERT_TRUE(h.size.has_value());
  ASSERT_EQ(h.size->genome->genome.to_compact(), kValPick);

  const std::string html = read(write_run_report(dir.path()));
  EXPECT_TRUE(contains(
      html, "within 0.5 pp of 8-bit (chosen on validation)</th><td><code>" + kValPick + "</code>"));
  EXPECT_EQ(count(html, kValPick), 3u);   // headline, lowered genes, front table
  EXPECT_EQ(count(html, kTestPick), 1u);  // front table only
  EXPECT_TRUE(contains(html, "weights: w_i.r=2, w_i.z=2, w_i.n=2, w_h.r=2, w_h.z=2, w_h.n=2<br>"));
  EXPECT_TRUE(contains(html, "act.r=7"));
  // The ceiling: homogeneous 2-bit's 18,408 B against 8-bit's 64,296 B.
  EXPECT_TRUE(contains(html, kv_row("size reduction at most (homogeneous 2-bit: every weight at 2 "
                                    "bits, the int32 biases stay)",
                                    "71.4 %")));
}

TEST(RunReport, WritesPlotsAndASelfContainedPage) {
  TempDir dir;
  make_run(dir.path(), "error,size", kFront, true);
  const fs::path path = write_run_report(dir.path());
  EXPECT_EQ(path, dir.path() / "report.html");
  for (const char* f : {"pareto.svg", "genomes.svg", "report.html"}) {
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  }
  EXPECT_FALSE(fs::exists(dir / ".plots"));
  const std::string html = read(path);
  EXPECT_EQ(count(html, "<?xml"), 0u);
  EXPECT_EQ(count(html, "src=\""), 0u);  // nothing external
  EXPECT_TRUE(contains(html, "Families of front genomes"));
  EXPECT_EQ(count(html, kLargest), 1u);
  const std::string pareto = read(dir / "pareto.svg");
  EXPECT_TRUE(contains(pareto, "(validation)"));
  EXPECT_TRUE(contains(pareto, "(test)"));
  EXPECT_TRUE(contains(read(dir / "genomes.svg"), "mul.zh"));
}

TEST(RunReport, RegeneratingGivesTheSamePlots) {
  TempDir dir;
  make_run(dir.path(), "error,size", kFront, true);
  write_run_report(dir.path());
  const std::string first = read(dir / "pareto.svg");
  write_run_report(dir.path());
  EXPECT_EQ(read(dir / "pareto.svg"), first);
}

// front.json as written before sequence counts, a layout and all-session counts existed, with
// the figures it then stored; the report recomputes them and prints no interval.
TEST(RunReport, ReadsAnOlderRunsFrontJson) {
  TempDir dir;
  const FrontFile made = make_run(dir.path(), "error,size", kFront, false);
  std::vector<ScoredGenome> front = made.front, base = made.baseline;
  const auto old_point = [](ScoredGenome& g) {
    g.val_count = g.test_count = 0;
    g.test_only_this = g.test_only_eight = -1;
    return json{{"genome", g.genome.to_pairs()},
                {"compact", g.genome.to_compact()},
                {"val_accuracy", g.val_accuracy},
                {"test_accuracy", g.test_accuracy},
                {"size_bits", g.size_bits},
                {"footprint_bytes", g.footprint_bytes},
                {"bops", g.bops}};
  };
  json doc = {{"task", "smnist"},        {"checkpoint_hash", "00000000000000aa"},
              {"config", made.config},   {"hypervolume_front", 0.75},
              {"size_reduction", 0.123}, {"evaluations", 40},
              {"cache_hits", 2},         {"seconds", 125.0},
              {"front", json::array()},  {"baseline", json::array()}};
  for (ScoredGenome& g : front) doc["front"].push_back(old_point(g));
  for (ScoredGenome& g : base) doc["baseline"].push_back(old_point(g));
  doc["iso_accuracy_genome"] = doc["front"][0];
  core::write_json_file(doc, dir / "front.json");

  const std::string html = read(write_run_report(dir.path()));
  const Headline h = headline(front, base, false);
  ASSERT_TRUE(h.size.has_value());
  ASSERT_FALSE(h.size->paired);
  expect_headline(html, h);
  EXPECT_FALSE(contains(html, "12.3 %"));  // the stored figure is not the report's
  EXPECT_FALSE(contains(html, "(n = "));
  EXPECT_FALSE(contains(html, "distinct evaluations"));
  EXPECT_TRUE(contains(html, "<tr><th>evaluations</th><td>40 evaluations and 2 cache hits"));
}

struct Broken {
  const char* name;
  std::function<void(const fs::path&)> spoil;
  const char* file;  // named in the error; "" for the folder itself
  std::string says;
};

void PrintTo(const Broken& b, std::ostream* os) {
  *os << b.name;
}

class RunReportBroken : public ::testing::TestWithParam<Broken> {};

TEST_P(RunReportBroken, IsRefusedNamingTheFile) {
  TempDir dir;
  make_run(dir.path(), "error,size", kFront, true);
  GetParam().spoil(dir.path());
  const std::string file =
      *GetParam().file ? (dir / GetParam().file).string() : dir.path().string();
  try {
    write_run_report(dir.path());
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_TRUE(contains(what, file + ": ")) << what;
    EXPECT_TRUE(contains(what, GetParam().says)) << what;
  }
  EXPECT_FALSE(fs::exists(dir / "report.html"));
}

INSTANTIATE_TEST_SUITE_P(
    Folders, RunReportBroken,
    ::testing::Values(
        Broken{"NoConfigJson", [](const fs::path& d) { fs::remove(d / "config.json"); }, "",
               "not a search run folder"},
        Broken{"NoFrontJson", [](const fs::path& d) { fs::remove(d / "front.json"); }, "front.json",
               "missing; the search has not finished (continue it with `mpgru "
               "search --resume"},
        Broken{"FrontJsonNotJson",
               [](const fs::path& d) { std::ofstream(d / "front.json") << "{\"front\": ["; },
               "front.json", "invalid JSON"},
        Broken{"FrontJsonNotASearchResult",
               [](const fs::path& d) { std::ofstream(d / "front.json") << "{\"task\": \"x\"}"; },
               "front.json", "not a search result"},
        Broken{"AccuracyAboveOne",
               [](const fs::path& d) {
                 json doc = core::read_json_file(d / "front.json");
                 doc["front"][0]["test_accuracy"] = 98.7;
                 core::write_json_file(doc, d / "front.json");
               },
               "front.json", "implausible"},
        Broken{"EightBitWithoutBops",
               [](const fs::path& d) {
                 json doc = core::read_json_file(d / "front.json");
                 doc["baseline"].back()["bops"] = 0;
                 core::write_json_file(doc, d / "front.json");
               },
               "front.json", "8888888888888888888888888"},
        Broken{"EvaluatedCsvMalformed",
               [](const fs::path& d) {
                 std::ofstream(d / "evaluated.csv") << "genome,val_accuracy,size_bits,bops\n"
                                                       "2222,zero,1,1\n";
               },
               "evaluated.csv:2", "not 'genome,val_score,size_bits,bops'"}),
    [](const auto& p) { return std::string(p.param.name); });

// ---- a speech-enhancement run: scores in dB, iso-quality within 0.3 dB, listening examples ----

using testing::kSeA;
using testing::kSeB;
using testing::kSeC;
using testing::kSeFront;
using testing::kSeNoPick;
using testing::kSeReference;
using testing::quality_baseline;
using testing::quality_scored;
using testing::QualityRow;

// A finished run of a per-step model scored on SI-SDR improvement (the float model's validation
// score 8.0 dB is the error's reference).
FrontFile make_quality_run(const fs::path& dir, const std::vector<QualityRow>& front) {
  FrontFile f;
  f.task = "se";
  f.checkpoint_hash = "00000000000000bb";
  f.config = search_config(dir / "float", "error,size");
  f.config["task"] = "se";
  f.metric = make_metric("sisdr", kSeReference);
  for (const QualityRow& r : front) f.front.push_back(quality_scored(r));
  f.baseline = quality_baseline();
  f.evaluations = 1559;
  f.session_evaluations = 40;
  f.session_cache_hits = 2;
  f.seconds = 125;
  core::write_json_file({{"search", f.config}}, dir / "config.json");
  write_front_files(f, dir);
  return f;
}

// What accuracy runs print and a quality run must not.
void expect_no_accuracy_wording(const std::string& html) {
  for (const char* word :
       {"McNemar", "Newcombe", "Wilson", "iso-accuracy", " pp", "accuracy", "float model (test)"}) {
    EXPECT_FALSE(contains(html, word)) << word;
  }
}

TEST(RunReportQuality, LabelsScoresInDecibels) {
  TempDir dir;
  const FrontFile f = make_quality_run(dir.path(), kSeFront);
  const std::string html = read(write_run_report(dir.path()));
  EXPECT_TRUE(contains(html, "Scores are SI-SDR improvement, means over clips"));
  EXPECT_TRUE(contains(
      html,
      kv_row("float model (validation SI-SDR improvement, the error's reference)", "8.00 dB")));
  EXPECT_TRUE(contains(
      html, kv_row("homogeneous 8-bit", "validation 7.90 dB, test 8.04 dB, 70000 B, 100.0 MBOPs")));
  EXPECT_TRUE(contains(html,
                       "<tr><th>smallest front genome within 0.3 dB of 8-bit (chosen on "
                       "validation)</th><td><code>" +
                           kSeB + "</code>, 28000 B, 45.0 MBOPs</td></tr>"))
      << html;
  EXPECT_TRUE(contains(html, kv_row("&nbsp;&nbsp;its validation SI-SDR improvement",
                                    "7.65 dB [7.20, 8.10] (n = 40)")));
  EXPECT_TRUE(contains(html, kv_row("&nbsp;&nbsp;its test SI-SDR improvement (reported)",
                                    "7.95 dB [7.51, 8.39] (n = 50)")));
  EXPECT_TRUE(contains(html, kv_row("&nbsp;&nbsp;test difference to 8-bit",
                                    "-0.09 dB [-0.17 dB, -0.01 dB] paired 95 % (mean per-clip "
                                    "difference +- 1.96 standard errors)")));
  EXPECT_TRUE(
      contains(html, kv_row("size reduction at iso-quality", "<b>60.0 %</b> (BOPs 55.0 %)")));
  EXPECT_TRUE(contains(html, kv_row("BOPs reduction at iso-quality", "55.0 %")));
  EXPECT_FALSE(contains(html, "fewest-BOPs front genome"));  // B is both picks
  EXPECT_TRUE(contains(html, "<h2>Genes lowered at iso-quality</h2>"));
  EXPECT_TRUE(contains(html, "<p>The iso-quality genome <code>" + kSeB + "</code> lowers"));
  const Headline h = headline(f.front, f.baseline, false, f.metric);
  EXPECT_TRUE(
      contains(html, kv_row("hypervolume on validation (1 - SI-SDR improvement / float's, size / "
                            "size<sub>8</sub>)",
                            "mixed " + fmt("%.4f", h.validation.front) + " vs homogeneous " +
                                fmt("%.4f", h.validation.baseline))));
  EXPECT_TRUE(contains(html, "<td>7.65 dB</td><td>7.95 dB</td>"));  // B in the front table
  EXPECT_EQ(count(html, kSeA), 1u);  // out on validation: the front table only
  expect_no_accuracy_wording(html);
  EXPECT_TRUE(contains(read(dir / "pareto.svg"), "SI-SDR improvement (dB), mean over clips"));
}

TEST(RunReportQuality, NoGenomeWithinTheToleranceInDecibels) {
  TempDir dir;
  make_quality_run(dir.path(), kSeNoPick);
  const std::string html = read(write_run_report(dir.path()));
  EXPECT_TRUE(contains(html, kv_row("size reduction at iso-quality",
                                    "no front genome is within 0.3 dB of 8-bit on validation")));
  EXPECT_TRUE(contains(
      html, "<p>No front genome is within 0.3 dB of homogeneous 8-bit on validation.</p>"));
  EXPECT_FALSE(contains(html, "(chosen on validation)"));
  expect_no_accuracy_wording(html);
}

// RUN/examples/examples.json as the search writes it: one clip, clean and iso-quality.
const char* const kExamplesJson = R"({"split": "test", "clips": [{"name": "a.wav", "versions": [
  {"key": "clean", "title": "clean", "wav": "clip0.clean.wav", "svg": "clip0.clean.svg"},
  {"key": "iso", "title": "iso", "wav": "clip0.iso.wav", "svg": "clip0.iso.svg",
   "si_sdr": 7.5, "stoi": 0.9}]}]})";

void write_examples(const fs::path& run_dir, const std::string& text) {
  fs::create_directories(run_dir / "examples");
  std::ofstream(run_dir / "examples" / "examples.json") << text;
}

TEST(RunReportQuality, ShowsTheListeningExamples) {
  TempDir dir;
  make_quality_run(dir.path(), kSeFront);
  write_examples(dir.path(), kExamplesJson);
  const std::string html = read(write_run_report(dir.path()));
  const size_t section = html.find("<h2>Listening examples</h2>");
  ASSERT_NE(section, std::string::npos) << html;
  EXPECT_GT(section, html.find("<h2>Genes lowered at iso-quality</h2>"));
  EXPECT_LT(section, html.find("<h2>Mixed-precision front"));
  EXPECT_TRUE(contains(html, "The first 1 clips of the test split"));
  EXPECT_TRUE(contains(html, "<h3>a.wav</h3>"));
  EXPECT_EQ(count(html, "<audio "), 2u);
  EXPECT_TRUE(contains(html, "<audio controls preload=\"none\" src=\"examples/clip0.clean.wav\">"));
  EXPECT_TRUE(contains(html, "<audio controls preload=\"none\" src=\"examples/clip0.iso.wav\">"));
  EXPECT_TRUE(contains(html, "<a href=\"examples/clip0.iso.wav\">WAV</a>"));
  EXPECT_TRUE(contains(html, "<img width=\"560\" src=\"examples/clip0.iso.svg\""));
  EXPECT_TRUE(contains(html, "<img width=\"560\" src=\"examples/clip0.clean.svg\""));
  EXPECT_TRUE(contains(html, "<td>7.50 dB</td><td>0.900</td>"));
  EXPECT_TRUE(contains(html, "<td>clean</td>"));
  EXPECT_TRUE(contains(html, "</td><td>–</td><td>–</td>"));  // the clean clip has no scores
}

TEST(RunReportQuality, NoExamplesNoSection) {
  TempDir dir;
  make_quality_run(dir.path(), kSeFront);
  fs::create_directories(dir / "examples");  // a folder without examples.json shows nothing
  const std::string html = read(write_run_report(dir.path()));
  EXPECT_FALSE(contains(html, "Listening examples"));
  EXPECT_FALSE(contains(html, "<audio"));
  EXPECT_FALSE(contains(html, "<img"));
}

struct BadExamples {
  const char* name;
  std::string text;
  std::string says;
};

void PrintTo(const BadExamples& b, std::ostream* os) {
  *os << b.name;
}

class RunReportBadExamples : public ::testing::TestWithParam<BadExamples> {};

TEST_P(RunReportBadExamples, IsRefusedNamingExamplesJson) {
  TempDir dir;
  make_quality_run(dir.path(), kSeFront);
  write_examples(dir.path(), GetParam().text);
  try {
    write_run_report(dir.path());
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_TRUE(contains(what, (dir / "examples" / "examples.json").string() + ": ")) << what;
    EXPECT_TRUE(contains(what, GetParam().says)) << what;
  }
  EXPECT_FALSE(fs::exists(dir / "report.html"));
  EXPECT_FALSE(fs::exists(dir / ".staging"));
}

INSTANTIATE_TEST_SUITE_P(
    Files, RunReportBadExamples,
    ::testing::Values(BadExamples{"NoClips", R"({"split": "test"})", "not an examples file"},
                      BadExamples{"NoSplit", R"({"clips": []})", "not an examples file"},
                      BadExamples{"VersionWithoutWav",
                                  R"({"split": "test", "clips": [{"name": "a.wav", "versions": [
                        {"key": "clean", "title": "clean", "svg": "clip0.clean.svg"}]}]})",
                                  "not an examples file"},
                      BadExamples{"ScoreNotANumber",
                                  R"({"split": "test", "clips": [{"name": "a.wav", "versions": [
                        {"key": "iso", "title": "iso", "wav": "a.wav", "svg": "a.svg",
                         "si_sdr": "high"}]}]})",
                                  "not an examples file"},
                      BadExamples{"NotJson", R"({"split": "test", "clips": [)", "invalid JSON"}),
    [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace mpgru::report
