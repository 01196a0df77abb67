// The run report from a hand-made run folder: plots, a self-contained page, the store's cloud of
// evaluated genomes, and clear errors for folders that are not finished runs.
#include "search/run_report.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/json_file.hpp"
#include "fixtures/temp_dir.hpp"
#include "search/evaluation_store.hpp"
#include "search/search_run.hpp"

namespace mpgru::search {
namespace {

using nlohmann::json;

std::string read(const std::filesystem::path& p) {
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

const char* kGenes[] = {"x",       "w_i.r",   "w_i.z",   "w_i.n",   "w_h.r",   "w_h.z",   "w_h.n",
                        "lin_i.r", "lin_i.z", "lin_i.n", "lin_h.r", "lin_h.z", "lin_h.n", "sum.r",
                        "sum.z",   "sum.n",   "act.r",   "act.z",   "act.n",   "mul.rn",  "mul.un",
                        "mul.zh",  "h",       "w_o",     "out"};

json point(const std::string& compact, double test, int64_t size_bits) {
  std::string pairs;
  for (size_t g = 0; g < compact.size(); ++g) {
    pairs += (g ? "," : "") + std::string(kGenes[g]) + "=" + compact[g];
  }
  return {{"genome", pairs},        {"compact", compact},     {"val_accuracy", test + 0.001},
          {"test_accuracy", test},  {"size_bits", size_bits}, {"footprint_bytes", size_bits / 7},
          {"bops", size_bits * 100}};
}

// A finished run folder: config.json, front.json (two families of front genomes), optionally a
// store with rows under the run's own key.
void make_run(const std::filesystem::path& dir, const std::string& objectives, bool store) {
  std::filesystem::create_directories(dir);
  json config = {{"search",
                  {{"checkpoint", "/nonexistent/ckpt"},
                   {"task", "smnist"},
                   {"data_dir", ""},
                   {"fitness", "qat"},
                   {"qat_steps", 60},
                   {"qat_epochs", 1.0},
                   {"qat_batch", 128},
                   {"qat_lr", 1e-3},
                   {"qat_scale_lr", 1e-3},
                   {"qat_seed", 1},
                   {"objectives", objectives},
                   {"calibration", "mse"},
                   {"calib_sequences", 1000},
                   {"population", 8},
                   {"generations", 2},
                   {"seed", 1},
                   {"workers", 2},
                   {"final_steps", 0},
                   {"crossover", 0.95},
                   {"eta_c", 10.0},
                   {"mutation", 0.1},
                   {"eta_m", 20.0}}}};
  core::write_json_file(config, dir / "config.json");
  json doc = {{"task", "smnist"},
              {"checkpoint_hash", "00000000000000aa"},
              {"config", config["search"]},
              {"hypervolume_front", 0.75},
              {"hypervolume_baseline", 0.70},
              {"size_reduction", 0.714},
              {"bops_reduction", 0.5},
              {"evaluations", 40},
              {"cache_hits", 2},
              {"seconds", 125.0},
              {"front",
               {point("8222222228456577886457726", 0.985, 147264),
                point("8222222228476577776457886", 0.986, 154944),
                point("7876333523777777777775536", 0.987, 251456),
                point("8383435558556547788687687", 0.988, 281920)}},
              {"baseline", json::array()}};
  for (int bits = 8; bits >= 2; --bits) {
    doc["baseline"].push_back(point(std::string(25, static_cast<char>('0' + bits)),
                                    0.99 - 0.01 * (8 - bits), 18408 * 8 + (bits - 2) * 7648 * 8));
  }
  doc["iso_accuracy_genome"] = doc["front"][0];
  core::write_json_file(doc, dir / "front.json");
  if (!store) return;
  EvaluationStore s(dir / "evaluations.sqlite");
  const std::string fitness = search_fitness_settings(load_search_config(dir)).canonical();
  for (const char* g : {"5555555555555555555555555", "3456734567345673456734567"}) {
    s.insert({"smnist", "00000000000000aa", fitness, g}, {0.9, 200000, 30000, 30000000, 1.0, ""});
  }
}

TEST(RunReport, WritesPlotsAndASelfContainedPage) {
  testing::TempDir dir;
  make_run(dir.path(), "error,size", true);
  const auto path = write_run_report(dir.path());
  EXPECT_EQ(path, dir.path() / "report.html");
  for (const char* f : {"pareto.svg", "genomes.svg", "report.html"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "pareto_bops.svg"));
  EXPECT_FALSE(std::filesystem::exists(dir / ".plots"));
  const std::string html = read(path);
  EXPECT_EQ(count(html, "<svg"), 2u);  // pareto and genomes, inlined
  EXPECT_EQ(count(html, "<?xml"), 0u);
  EXPECT_EQ(count(html, "src=\""), 0u);  // nothing external
  EXPECT_NE(html.find("71.4 %"), std::string::npos);
  EXPECT_NE(html.find("mixed 0.7500 vs homogeneous 0.7000"), std::string::npos);
  EXPECT_EQ(count(html, "8222222228456577886457726"), 3u);  // headline, lowered genes, table
  EXPECT_EQ(count(html, "8383435558556547788687687"), 1u);
  EXPECT_NE(html.find("Families of front genomes"), std::string::npos);
  EXPECT_NE(html.find("weights: w_i.r=2"), std::string::npos);
  EXPECT_NE(html.find("act.n=6"), std::string::npos);
  EXPECT_NE(read(dir / "pareto.svg").find("every evaluated genome"), std::string::npos);
  EXPECT_NE(read(dir / "genomes.svg").find("mul.zh"), std::string::npos);
}

TEST(RunReport, WithoutTheStoreTheCloudIsMissingAndSaidSo) {
  testing::TempDir dir;
  make_run(dir.path(), "error,size", false);
  const std::string html = read(write_run_report(dir.path()));
  EXPECT_NE(html.find("No evaluations.sqlite"), std::string::npos);
  EXPECT_EQ(read(dir / "pareto.svg").find("every evaluated genome"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "evaluations.sqlite"));  // not created by reading
}

TEST(RunReport, BopsRunsGetABopsPlot) {
  testing::TempDir dir;
  make_run(dir.path(), "error,size,bops", true);
  const std::string html = read(write_run_report(dir.path()));
  EXPECT_TRUE(std::filesystem::exists(dir / "pareto_bops.svg"));
  EXPECT_EQ(count(html, "<svg"), 3u);
  EXPECT_NE(html.find("BOPs / BOPs"), std::string::npos);
}

TEST(RunReport, RegeneratingGivesTheSamePlots) {
  testing::TempDir dir;
  make_run(dir.path(), "error,size", true);
  write_run_report(dir.path());
  const std::string first = read(dir / "pareto.svg");
  write_run_report(dir.path());
  EXPECT_EQ(read(dir / "pareto.svg"), first);
}

TEST(RunReport, UnfinishedOrForeignFoldersAreNamed) {
  testing::TempDir dir;
  try {
    write_run_report(dir.path());
    FAIL() << "no config.json";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a search run folder"), std::string::npos);
  }
  make_run(dir.path(), "error,size", false);
  std::filesystem::remove(dir / "front.json");
  try {
    write_run_report(dir.path());
    FAIL() << "no front.json";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("front.json: missing"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos);
  }
  std::ofstream(dir / "front.json") << "{\"task\": \"smnist\"}";
  EXPECT_THROW(write_run_report(dir.path()), std::runtime_error);
}

}  // namespace
}  // namespace mpgru::search
