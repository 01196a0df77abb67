// The C generator: names, what it refuses, and what the generated files state.
#include "export/c_model.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "export/c_export.hpp"
#include "fixtures/random_model.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::codegen {
namespace {

engine::IntegerModel model(const core::GenomeLayout& layout = {1, false}, int bits = 4) {
  return testing::random_model(core::Genome::homogeneous(layout, bits), 6, 8, 3, 21);
}

ModelDescription description(const std::string& name = "kws_pick") {
  return {name, "pick.mpq", "kws", "log-mel frames", "mpgru test"};
}

TEST(CName, AcceptsIdentifiersAndRefusesTheRest) {
  EXPECT_EQ(check_c_name("kws_pick"), "");
  EXPECT_EQ(check_c_name("Model2"), "");
  const std::vector<std::string> bad_names = {
      "", "2model", "_model", "my-model", "int", "mpgru_x", "mpgru", std::string(41, 'a'), "a b"};
  for (const std::string& bad : bad_names) {
    EXPECT_NE(check_c_name(bad), "") << bad;
  }
}

TEST(CName, DefaultFromTheFileName) {
  EXPECT_EQ(default_model_name("runs/kws-pick.mpq"), "kws_pick");
  EXPECT_EQ(default_model_name("8bit.mpq"), "m_8bit");
  EXPECT_EQ(check_c_name(default_model_name("-.mpq")), "");
}

TEST(Generate, BannerStatesGenomeTaskInputAndVariant) {
  const engine::IntegerModel m = model();
  const CModel c = generate_c_model(m, description());
  for (const std::string& text : {c.header, c.source}) {
    EXPECT_NE(text.find("mpgru test (C generator version " + std::to_string(kGeneratorVersion)),
              std::string::npos);
    EXPECT_NE(text.find(m.genome.to_compact()), std::string::npos);
    EXPECT_NE(text.find("Task:   kws"), std::string::npos);
    EXPECT_NE(text.find("x: log-mel frames"), std::string::npos);
    EXPECT_NE(text.find("reset\n *         gate applied after the recurrent product"),
              std::string::npos);
  }
  EXPECT_NE(c.header.find("#define KWS_PICK_INPUT_MIN " + std::to_string(m.input.qmin())),
            std::string::npos);
  EXPECT_NE(c.header.find("int kws_pick_step(kws_pick_state* state, const kws_pick_input_t* x);"),
            std::string::npos);
}

TEST(Generate, TokenModelsStepOnTokenIds) {
  const CModel c = generate_c_model(model({1, true}), description("spam"));
  EXPECT_NE(c.header.find("int spam_step(spam_state* state, int32_t token);"), std::string::npos);
  EXPECT_NE(c.header.find("#define SPAM_VOCABULARY"), std::string::npos);
  EXPECT_NE(c.source.find("mpgru_embedding_row(&spam_embedding, token, in);"), std::string::npos);
}

TEST(Generate, DeterministicAndSymbolsPrefixed) {
  const engine::IntegerModel m = model({2, false});
  const CModel a = generate_c_model(m, description("one")),
               b = generate_c_model(m, description("one"));
  EXPECT_EQ(a.header, b.header);
  EXPECT_EQ(a.source, b.source);
  // Every file-scope symbol of the source starts with the prefix.
  size_t at = 0;
  while ((at = a.source.find("\nstatic const ", at)) != std::string::npos) {
    at += 14;
    const size_t name = a.source.find(' ', at) + 1;
    EXPECT_EQ(a.source.compare(name, 4, "one_"), 0) << a.source.substr(at, 60);
  }
}

// Pair words (export/pair_layout.hpp): 8 x 8 weights at 4 bits fill 8 words, one per row; at
// 2 bits a word holds 16 weights, so each row of 8 is padded to one word.
TEST(Generate, WeightsArePackedAtTheirBitWidths) {
  const engine::IntegerModel m4 = model({1, false}, 4), m2 = model({1, false}, 2);
  const std::string w = "static const uint32_t m_l0_lin_h_r_w[";
  // The array's words in Helium's layout (first, under #if MPGRU_MVE) or the scalar one (#else).
  const auto words = [&](const engine::IntegerModel& m, bool helium) {
    const std::string s = generate_c_model(m, description("m")).source;
    const size_t mve = s.find("#if MPGRU_MVE\n" + w);
    EXPECT_NE(mve, std::string::npos);
    const size_t at = helium ? mve : s.find("#else\n" + w, mve);
    EXPECT_NE(at, std::string::npos);
    return std::stoi(s.substr(s.find(w, at) + w.size()));
  };
  // 8 x 8: pair words at 4 bits and ternary words at 2 hold exactly the packed bits; Helium's
  // rows are padded to a whole vector (32 columns at 4 bits, 64 at 2).
  EXPECT_EQ(words(m4, false) * 32, 8 * 8 * 4);
  EXPECT_EQ(words(m2, false) * 32, 8 * 8 * 2);
  EXPECT_EQ(words(m4, true) * 32, 8 * 32 * 4);
  EXPECT_EQ(words(m2, true) * 32, 8 * 64 * 2);
}

TEST(ExportProblem, RefusesWhatTheRuntimeCannotHold) {
  EXPECT_EQ(export_problem(model()), "");
  engine::IntegerModel unsigned_h = model();
  unsigned_h.layers[0].h_add.output.is_signed = false;
  EXPECT_NE(export_problem(unsigned_h), "");

  engine::IntegerModel wide_add = model();
  wide_add.layers[0].sum[0].params.a = quant::decompose_multiplier(0.75);
  EXPECT_NE(export_problem(wide_add).find("sum.r"), std::string::npos) << export_problem(wide_add);

  engine::IntegerModel invalid = model();
  invalid.classifier.bias.pop_back();
  EXPECT_NE(export_problem(invalid).find("invalid model"), std::string::npos);
  EXPECT_THROW(generate_c_model(invalid, description()), std::invalid_argument);
  EXPECT_THROW(generate_c_model(model(), description("int")), std::invalid_argument);
}

TEST(Export, WritesNothingForAnUnexportableModel) {
  const testing::TempDir dir;
  engine::IntegerModel invalid = model();
  invalid.classifier.bias.pop_back();
  ExportOptions options;
  options.model = description();
  EXPECT_THROW(export_c(invalid, dir / "out", options), std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

TEST(Export, WritesModelRuntimeAndOptionalInputHelper) {
  const testing::TempDir dir;
  ExportOptions options;
  options.model = description();
  EXPECT_EQ(export_c(model(), dir / "a", options).size(), 6u);
  options.input_helper = false;
  const auto files = export_c(model(), dir / "b", options);
  EXPECT_EQ(files.size(), 4u);
  EXPECT_FALSE(std::filesystem::exists(dir / "b" / "mpgru_input.c"));
  EXPECT_TRUE(std::filesystem::exists(dir / "b" / "kws_pick.h"));
  EXPECT_TRUE(std::filesystem::exists(dir / "b" / "mpgru_rt.c"));
}

}  // namespace
}  // namespace mpgru::codegen
