// Gene table layout, genome lookup, both text forms, their round trip and every rejected input.
#include "core/genome.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <stdexcept>
#include <utility>

namespace mpgru::core {
namespace {

// Expects `f` to throw `E` whose message contains every string in `parts`.
template <typename E, typename F>
void expect_error(F f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& e) {
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "message '" << e.what() << "' lacks '" << part << "'";
    }
  }
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

const std::vector<std::string> kOneLayerNames = {
    "x",       "w_i.r",   "w_i.z",   "w_i.n",   "w_h.r", "w_h.z", "w_h.n", "lin_i.r", "lin_i.z",
    "lin_i.n", "lin_h.r", "lin_h.z", "lin_h.n", "sum.r", "sum.z", "sum.n", "act.r",   "act.z",
    "act.n",   "mul.rn",  "mul.un",  "mul.zh",  "h",     "w_o",   "out",
};

struct OpCase {
  Op op;
  const char* name;
  bool weight;
};

const OpCase kOps[] = {
    {Op::emb, "emb", true},          {Op::x, "x", false},
    {Op::w_i_r, "w_i.r", true},      {Op::w_i_z, "w_i.z", true},
    {Op::w_i_n, "w_i.n", true},      {Op::w_h_r, "w_h.r", true},
    {Op::w_h_z, "w_h.z", true},      {Op::w_h_n, "w_h.n", true},
    {Op::lin_i_r, "lin_i.r", false}, {Op::lin_i_z, "lin_i.z", false},
    {Op::lin_i_n, "lin_i.n", false}, {Op::lin_h_r, "lin_h.r", false},
    {Op::lin_h_z, "lin_h.z", false}, {Op::lin_h_n, "lin_h.n", false},
    {Op::sum_r, "sum.r", false},     {Op::sum_z, "sum.z", false},
    {Op::sum_n, "sum.n", false},     {Op::act_r, "act.r", false},
    {Op::act_z, "act.z", false},     {Op::act_n, "act.n", false},
    {Op::mul_rn, "mul.rn", false},   {Op::mul_un, "mul.un", false},
    {Op::mul_zh, "mul.zh", false},   {Op::h, "h", false},
    {Op::w_o, "w_o", true},          {Op::out, "out", false},
};

TEST(Op, NamesAndWeightFlags) {
  EXPECT_EQ(std::size(kOps), static_cast<size_t>(Op::out) + 1);
  for (const OpCase& c : kOps) {
    SCOPED_TRACE(c.name);
    EXPECT_STREQ(op_name(c.op), c.name);
    EXPECT_EQ(is_weight(c.op), c.weight);
  }
}

struct SizeCase {
  GenomeLayout layout;
  size_t size;
};

// 25 genes for the first layer (with x, w_o, out), 22 per deeper layer, +1 for emb.
const SizeCase kSizes[] = {
    {{1, false}, 25}, {{1, true}, 26},  {{2, false}, 47},
    {{2, true}, 48},  {{3, false}, 69}, {{16, true}, 26 + 15 * 22},
};

TEST(Genes, TableSizePerLayout) {
  for (const SizeCase& c : kSizes) {
    SCOPED_TRACE(std::to_string(c.layout.layers) + (c.layout.embedding ? " emb" : ""));
    EXPECT_EQ(genes(c.layout).size(), c.size);
    EXPECT_EQ(Genome::homogeneous(c.layout, 8).size(), c.size);
  }
}

TEST(Genes, OneLayerTableOrder) {
  std::vector<Gene> table = genes({1, false});
  ASSERT_EQ(table.size(), kOneLayerNames.size());
  for (size_t i = 0; i < table.size(); ++i) {
    SCOPED_TRACE(kOneLayerNames[i]);
    EXPECT_EQ(table[i].name, kOneLayerNames[i]);
    EXPECT_STREQ(op_name(table[i].op), kOneLayerNames[i].c_str());
    EXPECT_EQ(table[i].layer, i + 2 >= table.size() ? -1 : 0);
  }
}

TEST(Genes, DeeperLayersArePrefixedAndHaveNoInputGene) {
  std::vector<Gene> table = genes({3, true});
  std::vector<std::string> names;
  for (const Gene& g : table) names.push_back(g.name);
  std::vector<std::string> expected = {"emb"};
  for (int layer = 0; layer < 3; ++layer) {
    std::string prefix = layer == 0 ? "" : "l" + std::to_string(layer) + ".";
    for (size_t i = layer == 0 ? 0 : 1; i + 2 < kOneLayerNames.size(); ++i) {
      expected.push_back(prefix + kOneLayerNames[i]);
    }
  }
  expected.insert(expected.end(), {"w_o", "out"});
  EXPECT_EQ(names, expected);
}

TEST(Genes, EveryGeneIsUniqueAndNamedAfterItsOpAndLayer) {
  for (const SizeCase& c : kSizes) {
    SCOPED_TRACE(std::to_string(c.layout.layers) + (c.layout.embedding ? " emb" : ""));
    std::set<std::string> names;
    std::set<std::pair<Op, int>> keys;
    for (const Gene& g : genes(c.layout)) {
      bool global = g.op == Op::emb || g.op == Op::w_o || g.op == Op::out;
      EXPECT_EQ(g.layer == -1, global) << g.name;
      EXPECT_LT(g.layer, c.layout.layers) << g.name;
      std::string prefix = g.layer >= 1 ? "l" + std::to_string(g.layer) + "." : "";
      EXPECT_EQ(g.name, prefix + op_name(g.op));
      EXPECT_TRUE(names.insert(g.name).second) << g.name;
      EXPECT_TRUE(keys.insert({g.op, g.layer}).second) << g.name;
    }
  }
}

TEST(Genes, RejectsLayerCountOutside1To16) {
  for (int layers : {-1, 0, 17}) {
    SCOPED_TRACE(layers);
    expect_error<std::invalid_argument>(
        [&] {
          genes({layers, false});
        },
        {"layers " + std::to_string(layers), "1..16"});
    expect_error<std::invalid_argument>(
        [&] {
          Genome::parse({layers, false}, "x=8");
        },
        {"layers " + std::to_string(layers)});
  }
}

TEST(Genome, HomogeneousSetsEveryGene) {
  for (int bits = kMinBits; bits <= kMaxBits; ++bits) {
    Genome g = Genome::homogeneous({2, true}, bits);
    for (size_t i = 0; i < g.size(); ++i) EXPECT_EQ(g.bits(i), bits);
  }
}

TEST(Genome, HomogeneousRejectsBitsOutside2To8) {
  for (int bits : {-1, 0, 1, 9, 32}) {
    SCOPED_TRACE(bits);
    expect_error<std::invalid_argument>(
        [&] {
          Genome::homogeneous({1, false}, bits);
        },
        {"bits " + std::to_string(bits), "2..8"});
  }
}

// A genome whose genes all differ from their neighbours, so a lookup at the wrong index shows.
Genome patterned(const GenomeLayout& layout) {
  Genome g = Genome::homogeneous(layout, kMinBits);
  for (size_t i = 0; i < g.size(); ++i) g.set_bits(i, kMinBits + static_cast<int>(i % 7));
  return g;
}

// "name<eq>bits" pairs of `g` joined by `sep`, in table order or reversed.
std::string join_pairs(const Genome& g, bool reverse, const std::string& sep,
                       const std::string& eq) {
  std::string text;
  for (size_t k = 0; k < g.size(); ++k) {
    size_t i = reverse ? g.size() - 1 - k : k;
    text += (k == 0 ? "" : sep) + g.table()[i].name + eq + std::to_string(g.bits(i));
  }
  return text;
}

TEST(Genome, LookupByOpAndLayerMatchesTheTable) {
  for (const SizeCase& c : kSizes) {
    Genome g = patterned(c.layout);
    for (size_t i = 0; i < g.size(); ++i) {
      const Gene& gene = g.table()[i];
      EXPECT_EQ(g.bits(gene.op, gene.layer), g.bits(i)) << gene.name;
    }
  }
}

TEST(Genome, LookupIgnoresLayerForGlobalGenes) {
  Genome g = patterned({2, true});
  for (Op op : {Op::emb, Op::w_o, Op::out}) {
    for (int layer : {-1, 0, 1, 5}) EXPECT_EQ(g.bits(op, layer), g.bits(op)) << op_name(op);
  }
  EXPECT_EQ(g.bits(Op::emb), g.bits(0));
  EXPECT_EQ(g.bits(Op::out), g.bits(g.size() - 1));
}

struct MissingLookupCase {
  GenomeLayout layout;
  Op op;
  int layer;
  std::string gene;  // how the message names it
};

const MissingLookupCase kMissingLookups[] = {
    {{2, false}, Op::x, 1, "'l1.x'"},
    {{1, false}, Op::emb, 0, "'emb'"},
    {{2, true}, Op::w_i_r, 2, "'l2.w_i.r'"},
    {{1, false}, Op::h, -1, "'h' in layer -1"},
};

TEST(Genome, LookupOfAbsentGeneThrowsOutOfRangeNamingIt) {
  for (const MissingLookupCase& c : kMissingLookups) {
    SCOPED_TRACE(c.gene);
    Genome g = Genome::homogeneous(c.layout, 8);
    expect_error<std::out_of_range>([&] { g.bits(c.op, c.layer); }, {"no gene " + c.gene});
  }
}

TEST(Genome, SetBitsValidatesIndexAndBits) {
  Genome g = Genome::homogeneous({1, false}, 8);
  g.set_bits(4, 3);
  EXPECT_EQ(g.bits(Op::w_h_r), 3);
  for (int bits : {1, 9}) {
    expect_error<std::invalid_argument>([&] { g.set_bits(4, bits); },
                                        {"gene 'w_h.r'", "bits " + std::to_string(bits)});
  }
  expect_error<std::out_of_range>([&] { g.set_bits(25, 4); }, {"index 25", "25 genes"});
  EXPECT_EQ(g.bits(4), 3);
  EXPECT_THROW(g.bits(size_t{25}), std::out_of_range);
}

TEST(Genome, PrintsBothFormsInTableOrder) {
  Genome g = patterned({2, true});
  std::string compact;
  for (size_t i = 0; i < g.size(); ++i) compact += std::to_string(g.bits(i));
  EXPECT_EQ(g.to_compact(), compact);
  EXPECT_EQ(g.to_pairs(), join_pairs(g, false, ",", "="));
  EXPECT_EQ(g.to_pairs().substr(0, 29), "emb=2,x=3,w_i.r=4,w_i.z=5,w_i");
  EXPECT_EQ(patterned({1, false}).to_compact(), "2345678234567823456782345");
}

TEST(Genome, EqualityComparesLayoutAndBits) {
  Genome a = Genome::homogeneous({1, false}, 8);
  Genome b = a;
  EXPECT_EQ(a, b);
  b.set_bits(0, 7);
  EXPECT_NE(a, b);
  EXPECT_NE(Genome::homogeneous({1, true}, 8), Genome::homogeneous({1, false}, 8));
  EXPECT_NE(Genome::homogeneous({2, false}, 8), Genome::homogeneous({1, false}, 8));
}

const GenomeLayout kRoundTripLayouts[] = {{1, false}, {1, true}, {2, false}, {3, true}};

TEST(Genome, RandomGenomesRoundTripThroughBothForms) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> bits(kMinBits, kMaxBits);
  for (const GenomeLayout& layout : kRoundTripLayouts) {
    for (int trial = 0; trial < 50; ++trial) {
      Genome g = Genome::homogeneous(layout, kMinBits);
      for (size_t i = 0; i < g.size(); ++i) g.set_bits(i, bits(rng));
      SCOPED_TRACE(g.to_pairs());
      EXPECT_EQ(g.to_compact().size(), g.size());
      EXPECT_EQ(Genome::parse(layout, g.to_pairs()), g);
      EXPECT_EQ(Genome::parse(layout, g.to_compact()), g);
    }
  }
}

struct ParseCase {
  std::string what;
  GenomeLayout layout;
  std::string text;
};

// Texts that must parse to patterned({1, false}) = "2345678234567823456782345".
std::vector<ParseCase> accepted_texts() {
  Genome g = patterned({1, false});
  std::string pairs = join_pairs(g, false, ",", "=");
  return {
      {"pairs in table order", {1, false}, pairs},
      {"pairs in reverse order", {1, false}, join_pairs(g, true, ",", "=")},
      {"whitespace around tokens", {1, false}, " \t" + join_pairs(g, false, " , ", " = ") + "\n"},
      {"leading zeros in bits", {1, false}, replace_once(pairs, "x=2", "x=02")},
      {"compact", {1, false}, "2345678234567823456782345"},
      {"compact with surrounding whitespace", {1, false}, "  2345678234567823456782345\n"},
  };
}

TEST(GenomeParse, AcceptsBothFormsWithWhitespaceAndAnyOrder) {
  Genome expected = patterned({1, false});
  for (const ParseCase& c : accepted_texts()) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(Genome::parse(c.layout, c.text), expected);
  }
}

struct RejectCase {
  std::string what;
  GenomeLayout layout;
  std::string text;
  std::vector<std::string> message;  // substrings the error must contain
};

std::vector<RejectCase> rejected_texts() {
  const std::string p = Genome::homogeneous({1, false}, 8).to_pairs();
  const std::string p2 = Genome::homogeneous({2, false}, 8).to_pairs();
  const std::string c(25, '8');
  return {
      {"empty", {1, false}, "", {"empty genome", "25"}},
      {"only whitespace", {1, false}, " \t\n", {"empty genome"}},
      {"unknown gene", {1, false}, replace_once(p, "w_i.r=", "w_i.q="), {"unknown gene 'w_i.q'"}},
      {"names are case-sensitive", {1, false}, replace_once(p, "x=", "X="), {"unknown gene 'X'"}},
      {"x of a deeper layer", {2, false}, p2 + ",l1.x=8", {"unknown gene 'l1.x'"}},
      {"emb without embedding", {1, false}, "emb=8," + p, {"unknown gene 'emb'", "without"}},
      {"layer beyond the layout", {1, false}, p + ",l1.h=8", {"unknown gene 'l1.h'"}},
      {"duplicate gene", {1, false}, p + ",sum.z=4", {"duplicate gene 'sum.z'"}},
      {"missing genes are all listed",
       {1, false},
       replace_once(replace_once(p, "sum.z=8,", ""), ",h=8", ""),
       {"missing gene(s)", "sum.z, h"}},
      {"missing emb", {1, true}, p, {"missing gene(s)", ": emb"}},
      {"missing deeper layer", {2, false}, p, {"l1.w_i.r", "l1.h"}},
      {"bits above 8",
       {1, false},
       replace_once(p, ",h=8", ",h=9"),
       {"gene 'h': bits 9 outside 2..8"}},
      {"bits below 2", {1, false}, replace_once(p, "x=8", "x=1"), {"gene 'x': bits 1 outside"}},
      {"bits zero", {1, false}, replace_once(p, "x=8", "x=0"), {"gene 'x': bits 0 outside"}},
      {"bits huge", {1, false}, replace_once(p, "x=8", "x=99999999999"), {"gene 'x': bits 9999"}},
      {"bits not numeric", {1, false}, replace_once(p, "x=8", "x=abc"), {"gene 'x'", "'abc'"}},
      {"bits negative", {1, false}, replace_once(p, "x=8", "x=-4"), {"gene 'x'", "'-4'"}},
      {"bits with sign", {1, false}, replace_once(p, "x=8", "x=+4"), {"gene 'x'", "'+4'"}},
      {"bits fractional", {1, false}, replace_once(p, "x=8", "x=4.5"), {"gene 'x'", "'4.5'"}},
      {"bits empty", {1, false}, replace_once(p, "x=8", "x="), {"gene 'x'", "''"}},
      {"token without '='", {1, false}, replace_once(p, ",h=8", ",h8"), {"malformed token 'h8'"}},
      {"trailing comma", {1, false}, p + ",", {"malformed token ''"}},
      {"compact too short", {1, false}, c.substr(1), {"24 characters", "expected 25"}},
      {"compact too long", {1, false}, c + "8", {"26 characters", "expected 25"}},
      {"compact for another layout", {2, true}, c, {"expected 48", "2 layers with embedding"}},
      {"compact digit above 8",
       {1, false},
       replace_once(c, "88888", "88889"),
       {"digit 5 (gene 'w_h.r'): 9 outside 2..8"}},
      {"compact digit below 2", {1, false}, "1" + c.substr(1), {"digit 1 (gene 'x'): 1 outside"}},
      {"compact non-digit", {1, false}, c.substr(0, 24) + "a", {"digit 25 (gene 'out'): 'a'"}},
      {"compact inner space", {1, false}, c.substr(0, 12) + " " + c.substr(13), {"digit 13"}},
  };
}

TEST(GenomeParse, RejectsBadTextNamingTheOffender) {
  for (const RejectCase& c : rejected_texts()) {
    SCOPED_TRACE(c.what + ": '" + c.text + "'");
    expect_error<std::invalid_argument>([&] { Genome::parse(c.layout, c.text); }, c.message);
  }
}

}  // namespace
}  // namespace mpgru::core
