// The gene table of a quantized GRU classifier and parsing/printing of bit-width genomes.
#include "core/genome.hpp"

#include <cctype>
#include <iterator>
#include <stdexcept>
#include <utility>

namespace mpgru::core {
namespace {

constexpr int kMaxLayers = 16;

// Indexed by Op; order must match the enum.
constexpr const char* kOpNames[] = {
    "emb",     "x",       "w_i.r",   "w_i.z",   "w_i.n",   "w_h.r", "w_h.z", "w_h.n", "lin_i.r",
    "lin_i.z", "lin_i.n", "lin_h.r", "lin_h.z", "lin_h.n", "sum.r", "sum.z", "sum.n", "act.r",
    "act.z",   "act.n",   "mul.rn",  "mul.un",  "mul.zh",  "h",     "w_o",   "out",   "gain",
};
static_assert(std::size(kOpNames) == static_cast<size_t>(Op::gain) + 1,
              "kOpNames must have one name per Op");

// emb, w_o, out and gain exist once per network, not once per layer.
bool is_global(Op op) {
  return op == Op::emb || op == Op::w_o || op == Op::out || op == Op::gain;
}

std::string gene_name(Op op, int layer) {
  std::string prefix = layer >= 1 ? "l" + std::to_string(layer) + "." : "";
  return prefix + op_name(op);
}

// "1 layer without embedding", for error messages that must say which table was expected.
std::string describe(const GenomeLayout& layout) {
  return std::to_string(layout.layers) + (layout.layers == 1 ? " layer" : " layers") +
         (layout.embedding ? " with embedding" : " without embedding") +
         (layout.per_step ? " and a per-step head" : "");
}

std::string range_text() {
  return std::to_string(kMinBits) + ".." + std::to_string(kMaxBits);
}

// `what` says whose bits these are, e.g. "gene 'h': ".
void check_bits(int bits, const std::string& what) {
  if (bits < kMinBits || bits > kMaxBits) {
    throw std::invalid_argument(what + "bits " + std::to_string(bits) + " outside " + range_text());
  }
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string trim(const std::string& s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && is_space(s[begin])) ++begin;
  while (end > begin && is_space(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t pos = s.find(sep); pos != std::string::npos; pos = s.find(sep, start)) {
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
  parts.push_back(s.substr(start));
  return parts;
}

// Parses the bits of one pair; only plain decimal digits, so "+8", "8.0" and "0x8" are rejected.
int parse_pair_bits(const std::string& gene, const std::string& value) {
  bool numeric = !value.empty();
  for (char c : value) numeric = numeric && is_digit(c);
  if (!numeric) {
    throw std::invalid_argument("gene '" + gene + "': bits '" + value + "' is not an integer in " +
                                range_text());
  }
  // More than two significant digits is out of range; checking first keeps stoi from overflowing.
  size_t first = value.find_first_not_of('0');
  bool short_enough = first == std::string::npos || value.size() - first <= 2;
  int bits = short_enough ? std::stoi(value) : kMaxBits + 1;
  if (bits < kMinBits || bits > kMaxBits) {
    throw std::invalid_argument("gene '" + gene + "': bits " + value + " outside " + range_text());
  }
  return bits;
}

size_t find_gene(const std::vector<Gene>& table, const std::string& name) {
  for (size_t i = 0; i < table.size(); ++i) {
    if (table[i].name == name) return i;
  }
  return table.size();
}

std::vector<int> parse_pairs(const GenomeLayout& layout, const std::vector<Gene>& table,
                             const std::string& text) {
  constexpr int kUnset = 0;
  std::vector<int> bits(table.size(), kUnset);
  std::vector<std::string> tokens = split(text, ',');
  for (size_t t = 0; t < tokens.size(); ++t) {
    std::string token = trim(tokens[t]);
    size_t eq = token.find('=');
    if (eq == std::string::npos) {
      throw std::invalid_argument("malformed token '" + token + "' (pair " + std::to_string(t + 1) +
                                  "): expected name=bits");
    }
    std::string name = trim(token.substr(0, eq));
    size_t index = find_gene(table, name);
    if (index == table.size()) {
      throw std::invalid_argument("unknown gene '" + name + "' (genome for " + describe(layout) +
                                  ")");
    }
    if (bits[index] != kUnset) throw std::invalid_argument("duplicate gene '" + name + "'");
    bits[index] = parse_pair_bits(name, trim(token.substr(eq + 1)));
  }
  std::string missing;
  for (size_t i = 0; i < table.size(); ++i) {
    if (bits[i] == kUnset) missing += (missing.empty() ? "" : ", ") + table[i].name;
  }
  if (!missing.empty()) {
    throw std::invalid_argument("missing gene(s) for " + describe(layout) + ": " + missing);
  }
  return bits;
}

std::vector<int> parse_compact(const GenomeLayout& layout, const std::vector<Gene>& table,
                               const std::string& text) {
  if (text.size() != table.size()) {
    throw std::invalid_argument("compact genome has " + std::to_string(text.size()) +
                                " characters, expected " + std::to_string(table.size()) +
                                " digits (one per gene for " + describe(layout) + ")");
  }
  std::vector<int> bits(table.size());
  for (size_t i = 0; i < text.size(); ++i) {
    std::string where = "digit " + std::to_string(i + 1) + " (gene '" + table[i].name + "'): ";
    if (!is_digit(text[i])) {
      throw std::invalid_argument(where + "'" + std::string(1, text[i]) + "' is not a digit in " +
                                  range_text());
    }
    bits[i] = text[i] - '0';
    if (bits[i] < kMinBits || bits[i] > kMaxBits) {
      throw std::invalid_argument(where + std::to_string(bits[i]) + " outside " + range_text());
    }
  }
  return bits;
}

}  // namespace

const char* op_name(Op op) {
  return kOpNames[static_cast<size_t>(op)];
}

bool is_weight(Op op) {
  switch (op) {
    case Op::emb:
    case Op::w_i_r:
    case Op::w_i_z:
    case Op::w_i_n:
    case Op::w_h_r:
    case Op::w_h_z:
    case Op::w_h_n:
    case Op::w_o:
      return true;
    default:
      return false;
  }
}

std::vector<Gene> genes(const GenomeLayout& layout) {
  if (layout.layers < 1 || layout.layers > kMaxLayers) {
    throw std::invalid_argument("genome layout: layers " + std::to_string(layout.layers) +
                                " outside 1.." + std::to_string(kMaxLayers));
  }
  std::vector<Gene> table;
  if (layout.embedding) table.push_back({Op::emb, -1, op_name(Op::emb)});
  for (int layer = 0; layer < layout.layers; ++layer) {
    // Deeper layers read the previous h, so only layer 0 quantizes its input.
    Op first = layer == 0 ? Op::x : Op::w_i_r;
    for (auto o = static_cast<int>(first); o <= static_cast<int>(Op::h); ++o) {
      auto op = static_cast<Op>(o);
      table.push_back({op, layer, gene_name(op, layer)});
    }
  }
  table.push_back({Op::w_o, -1, op_name(Op::w_o)});
  table.push_back({Op::out, -1, op_name(Op::out)});
  if (layout.per_step) table.push_back({Op::gain, -1, op_name(Op::gain)});
  return table;
}

Genome::Genome(const GenomeLayout& layout, std::vector<int> bits)
    : layout_(layout), table_(genes(layout)), bits_(std::move(bits)) {}

Genome Genome::homogeneous(const GenomeLayout& layout, int bits) {
  check_bits(bits, "homogeneous genome: ");
  return Genome(layout, std::vector<int>(genes(layout).size(), bits));
}

Genome Genome::parse(const GenomeLayout& layout, const std::string& text) {
  std::vector<Gene> table = genes(layout);
  std::string trimmed = trim(text);
  if (trimmed.empty()) {
    throw std::invalid_argument("empty genome: expected " + std::to_string(table.size()) +
                                " name=bits pairs or " + std::to_string(table.size()) +
                                " digits (for " + describe(layout) + ")");
  }
  bool pairs = trimmed.find('=') != std::string::npos;
  return Genome(
      layout, pairs ? parse_pairs(layout, table, trimmed) : parse_compact(layout, table, trimmed));
}

int Genome::bits(Op op, int layer) const {
  int wanted = is_global(op) ? -1 : layer;
  for (size_t i = 0; i < table_.size(); ++i) {
    if (table_[i].op == op && table_[i].layer == wanted) return bits_[i];
  }
  std::string gene = wanted < 0 && !is_global(op)
                         ? "'" + std::string(op_name(op)) + "' in layer " + std::to_string(layer)
                         : "'" + gene_name(op, wanted) + "'";
  throw std::out_of_range("genome for " + describe(layout_) + " has no gene " + gene);
}

void Genome::set_bits(size_t index, int bits) {
  if (index >= bits_.size()) {
    throw std::out_of_range("gene index " + std::to_string(index) + " outside a genome of " +
                            std::to_string(bits_.size()) + " genes");
  }
  check_bits(bits, "gene '" + table_[index].name + "': ");
  bits_[index] = bits;
}

std::string Genome::to_pairs() const {
  std::string text;
  for (size_t i = 0; i < bits_.size(); ++i) {
    text += (i == 0 ? "" : ",") + table_[i].name + "=" + std::to_string(bits_[i]);
  }
  return text;
}

std::string Genome::to_compact() const {
  std::string text;
  for (int b : bits_) text += static_cast<char>('0' + b);
  return text;
}

bool Genome::operator==(const Genome& other) const {
  return layout_.layers == other.layout_.layers && layout_.embedding == other.layout_.embedding &&
         layout_.per_step == other.layout_.per_step && bits_ == other.bits_;
}

}  // namespace mpgru::core
