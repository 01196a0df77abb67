// Task se from the command line: a small synthetic set, a float model trained on it with its
// SI-SDR and STOI reported and stored, its 8-bit integer model scored by the engine and exported
// as C, and searched on its SI-SDR improvement (with the refusals of what a per-step model cannot
// be searched with).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/mpgru_command.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru {
namespace {

namespace fs = std::filesystem;
using testing::run_mpgru;

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::string bytes_of(const fs::path& path) {
  std::stringstream s;
  s << std::ifstream(path, std::ios::binary).rdbuf();
  return s.str();
}

// Expects every file of folder `a` in `b` with the same bytes; returns how many were compared.
int expect_same_files(const fs::path& a, const fs::path& b) {
  int files = 0;
  for (const auto& f : fs::directory_iterator(a)) {
    EXPECT_EQ(bytes_of(f.path()), bytes_of(b / f.path().filename())) << f.path().filename();
    ++files;
  }
  return files;
}

TEST(SeTaskCli, SynthesiseTrainAndMeasure) {
  testing::TempDir dir;
  const std::string data = (dir / "se").string();
  const auto synth =
      run_mpgru("data se-synth --out " + data + " --train 12 --validation 4 --test 4");
  ASSERT_EQ(synth.code, 0) << synth.output;
  EXPECT_NE(synth.output.find("wrote 20 clean/noisy pairs"), std::string::npos) << synth.output;
  const auto again =
      run_mpgru("data se-synth --out " + data + " --train 12 --validation 4 --test 4");
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("already holds this se-synth set"), std::string::npos);

  const std::string ckpt = (dir / "float").string();
  const auto train = run_mpgru("train --task se --data " + data +
                               " --hidden 8 --epochs 2 --batch 4 --threads 1 --out " + ckpt);
  ASSERT_EQ(train.code, 0) << train.output;
  EXPECT_NE(train.output.find("float model on test (4 clips): SI-SDR "), std::string::npos)
      << train.output;
  const nlohmann::json metrics = read_json(fs::path(ckpt) / "metrics.json");
  const nlohmann::json& q = metrics.at("quality").at("test");
  EXPECT_EQ(q.at("clips"), 4);
  EXPECT_NEAR(q.at("si_sdri").get<double>(),
              q.at("si_sdr_enhanced").get<double>() - q.at("si_sdr_noisy").get<double>(), 1e-9);
  EXPECT_EQ(read_json(fs::path(ckpt) / "config.json").at("model").at("outputs"), 24);
  EXPECT_TRUE(fs::exists(fs::path(ckpt) / "front_end.json"));

  const std::string model = (dir / "m.mpq").string();
  const auto quantize = run_mpgru("quantize --ckpt " + ckpt + " --data " + data + " --genome " +
                                  std::string(26, '8') + " --calib-sequences 8 -o " + model);
  ASSERT_EQ(quantize.code, 0) << quantize.output;
  const fs::path examples = dir / "examples";
  const auto eval = run_mpgru("eval " + model + " --task se --data " + data +
                              " --json --examples " + examples.string() + " --example-count 2");
  ASSERT_EQ(eval.code, 0) << eval.output;
  const nlohmann::json e = nlohmann::json::parse(eval.output);
  EXPECT_EQ(e.at("quality").at("clips"), 4);
  EXPECT_EQ(e.at("quality").at("si_sdr_noisy"), q.at("si_sdr_noisy"));  // the same test clips
  int wavs = 0;
  for (const auto& f : fs::directory_iterator(examples)) wavs += f.path().extension() == ".wav";
  EXPECT_EQ(wavs, 6);  // 2 clips x noisy, clean, enhanced
  EXPECT_FALSE(fs::exists(examples / ".staging"));
  const auto c = run_mpgru("export " + model + " --out " + (dir / "c").string() + " --name m");
  EXPECT_EQ(c.code, 0) << c.output;
  EXPECT_NE(c.output.find("m_gains (every step)"), std::string::npos) << c.output;
  // Golden vectors: the first test clips through the C model, compared with the engine.
  const fs::path golden = dir / "golden";
  const auto g = run_mpgru("export " + model + " --out " + golden.string() +
                           " --name m --task se --data " + data + " --golden 2");
  ASSERT_EQ(g.code, 0) << g.output;
  ASSERT_TRUE(fs::exists(golden / "m_golden.c"));
  std::ofstream(golden / "main.c") << "int m_golden_check(void);\nint main(void) { return "
                                      "m_golden_check(); }\n";
  const int host = std::system(("cd " + golden.string() +
                                " && cc -std=c99 -O1 -Wall -Wextra -Werror -I. m.c mpgru_rt.c "
                                "m_golden.c main.c -o check && ./check > check.txt 2>&1")
                                   .c_str());
  std::stringstream check;
  check << std::ifstream(golden / "check.txt").rdbuf();
  EXPECT_EQ(host, 0) << check.str();
  EXPECT_NE(check.str().find("ok m 2 sequences"), std::string::npos) << check.str();
  const auto no_task =
      run_mpgru("export " + model + " --out " + (dir / "g2").string() + " --golden 2");
  EXPECT_EQ(no_task.code, 2) << no_task.output;
  EXPECT_NE(no_task.output.find("--golden needs --task"), std::string::npos) << no_task.output;
  const auto too_many = run_mpgru("export " + model + " --out " + (dir / "g3").string() +
                                  " --task se --data " + data + " --golden 5");
  EXPECT_EQ(too_many.code, 2) << too_many.output;
  EXPECT_NE(too_many.output.find("holds 4 sequences"), std::string::npos) << too_many.output;
  EXPECT_FALSE(fs::exists(dir / "g2" / "m.c"));  // refused before anything is written
  EXPECT_FALSE(fs::exists(dir / "g3" / "m.c"));
  const fs::path run = dir / "run";
  const auto search =
      run_mpgru("search --ckpt " + ckpt + " --data " + data + " --out " + run.string() +
                " --population 8 --generations 1 --calib-sequences 8");
  ASSERT_EQ(search.code, 0) << search.output;
  EXPECT_NE(search.output.find("SI-SDR improvement; float model on validation"), std::string::npos)
      << search.output;
  const nlohmann::json front = read_json(run / "front.json");
  EXPECT_EQ(front.at("metric").at("name"), "sisdr");
  EXPECT_EQ(read_json(run / "config.json").at("search").at("objective"), "sisdr");
  // The search's 8-bit score is the integer engine's, as mpgru eval measures it.
  const auto eval_val =
      run_mpgru("eval " + model + " --task se --data " + data + " --split validation --json");
  ASSERT_EQ(eval_val.code, 0) << eval_val.output;
  const double eight_val =
      nlohmann::json::parse(eval_val.output).at("quality").at("si_sdri").get<double>();
  const nlohmann::json& eight = front.at("baseline").back();
  EXPECT_EQ(eight.at("compact"), std::string(26, '8'));
  EXPECT_NEAR(eight.at("val_accuracy").get<double>(), eight_val, 1e-4);
  EXPECT_GE(eight.at("val_ci95").get<double>(), 0);
  std::ifstream csv(run / "front.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_NE(header.find("val_sisdri_db"), std::string::npos) << header;
  std::stringstream html;
  html << std::ifstream(run / "report.html").rdbuf();
  EXPECT_NE(html.str().find("iso-quality"), std::string::npos);
  EXPECT_NE(html.str().find("SI-SDR improvement"), std::string::npos);
  const auto refused =
      run_mpgru("search --ckpt " + ckpt + " --data " + data + " --out " +
                (dir / "refused").string() + " --population 8 --objective accuracy");
  EXPECT_EQ(refused.code, 2) << refused.output;
  EXPECT_NE(refused.output.find("per-step model"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(dir / "refused" / "front.json"));
  // QAT fitness: every genome fine-tuned on the gains' MSE before it is scored.
  const auto qat =
      run_mpgru("search --ckpt " + ckpt + " --data " + data + " --out " + (dir / "qat").string() +
                " --population 8 --generations 1 --calib-sequences 8 --fitness qat "
                "--qat-steps 3");
  ASSERT_EQ(qat.code, 0) << qat.output;
  EXPECT_EQ(read_json(dir / "qat" / "front.json").at("metric").at("name"), "sisdr");
  // Its listening examples' models are built side by side with two workers: the same files.
  const auto qat2 =
      run_mpgru("search --ckpt " + ckpt + " --data " + data + " --out " + (dir / "qat2").string() +
                " --population 8 --generations 1 --calib-sequences 8 --fitness qat "
                "--qat-steps 3 --workers 2");
  ASSERT_EQ(qat2.code, 0) << qat2.output;
  EXPECT_GT(expect_same_files(dir / "qat" / "examples", dir / "qat2" / "examples"), 3);
  // Those models are the final scores' own fine-tunes; a resumed run finds the final scores in its
  // store and fine-tunes the examples' models again: the same files.
  fs::rename(dir / "qat" / "examples", dir / "qat-first-examples");
  const auto resumed = run_mpgru("search --resume " + (dir / "qat").string());
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(read_json(dir / "qat" / "front.json").at("session_evaluations"), 0);  // store only
  ASSERT_TRUE(fs::exists(dir / "qat" / "examples" / "examples.json"));
  EXPECT_GT(expect_same_files(dir / "qat-first-examples", dir / "qat" / "examples"), 3);
  const auto wrong = run_mpgru("quantize --ckpt " + ckpt + " --data " + data + " --genome " +
                               std::string(25, '8') + " -o " + (dir / "x.mpq").string());
  EXPECT_EQ(wrong.code, 2) << wrong.output;
  EXPECT_NE(wrong.output.find("expected 26 digits"), std::string::npos) << wrong.output;
}

}  // namespace
}  // namespace mpgru
