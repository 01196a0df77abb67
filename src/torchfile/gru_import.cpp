// Finding the GRU, its head and its embedding among a file's tensors, with a specific error for
// every model mpgru cannot take.
#include "torchfile/gru_import.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

namespace mpgru::torchfile {
namespace {

using Tensors = std::map<std::string, const NamedTensor*>;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? " x " : "") + std::to_string(shape[i]);
  return out + "]";
}

std::string join(const std::string& module, const std::string& leaf) {
  return module.empty() ? leaf : module + "." + leaf;
}

// "a.b.c" -> "a.b"; "c" -> "".
std::string parent_of(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? std::string() : name.substr(0, dot);
}

std::string leaf_of(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

bool under(const std::string& name, const std::string& module) {
  return module.empty() || name.rfind(module + ".", 0) == 0;
}

std::string find_gru(const TorchFile& file, const GruImportOptions& options) {
  std::vector<std::string> found;
  for (const NamedTensor& t : file.tensors) {
    if (leaf_of(t.name) == "weight_ih_l0") found.push_back(parent_of(t.name));
  }
  if (!options.gru.empty()) {
    if (std::find(found.begin(), found.end(), options.gru) == found.end()) {
      fail("no recurrent module at '" + options.gru + "' (no tensor " +
           join(options.gru, "weight_ih_l0") + ")" +
           (found.empty() ? std::string() : "; found: " + found.front()));
    }
    return options.gru;
  }
  if (found.empty()) {
    std::string names;
    for (size_t i = 0; i < file.tensors.size() && i < 6; ++i) names += " " + file.tensors[i].name;
    fail("no nn.GRU: no tensor named *weight_ih_l0 (the file's tensors:" +
         (names.empty() ? std::string(" none") : names) + ")");
  }
  if (found.size() > 1) {
    std::string list;
    for (const std::string& m : found)
      list += (list.empty() ? "" : ", ") + (m.empty() ? "<root>" : m);
    fail(std::to_string(found.size()) + " recurrent modules (" + list +
         "): name the one to import (--gru)");
  }
  return found.front();
}

std::string class_of(const TorchFile& file, const std::string& module) {
  for (const auto& [path, cls] : file.modules) {
    if (path == module) return cls;
  }
  return "";
}

const NamedTensor& required(const Tensors& tensors, const std::string& name,
                            const std::string& missing_hint) {
  const auto it = tensors.find(name);
  if (it == tensors.end()) fail("missing " + name + missing_hint);
  if (!it->second->floating) fail(name + " is a " + it->second->storage_type + ", not floats");
  return *it->second;
}

void expect_shape(const NamedTensor& t, const std::vector<int64_t>& shape) {
  if (t.shape != shape) {
    fail(t.name + " has shape " + shape_text(t.shape) + ", expected " + shape_text(shape));
  }
}

quant::FloatLinear rows_of(const NamedTensor& weight, const NamedTensor& bias, int gate,
                           int32_t hidden) {
  quant::FloatLinear out;
  out.rows = hidden;
  out.cols = static_cast<int32_t>(weight.shape[1]);
  const size_t cols = static_cast<size_t>(out.cols);
  const size_t first = static_cast<size_t>(gate) * static_cast<size_t>(hidden);
  out.weights.assign(weight.values.begin() + static_cast<std::ptrdiff_t>(first * cols),
                     weight.values.begin() + static_cast<std::ptrdiff_t>((first + hidden) * cols));
  out.bias.assign(bias.values.begin() + static_cast<std::ptrdiff_t>(first),
                  bias.values.begin() + static_cast<std::ptrdiff_t>(first + hidden));
  return out;
}

// A leaf name of nn.RNNBase's parameters: (weight|bias)_(ih|hh|hr)_l<layer>[_reverse].
struct RnnParameter {
  std::string matrix;  // ih, hh or hr
  int layer = 0;
  bool reverse = false;
};

std::optional<RnnParameter> parse_rnn_parameter(std::string leaf) {
  RnnParameter p;
  const std::string reverse = "_reverse";
  if (leaf.size() > reverse.size() &&
      leaf.compare(leaf.size() - reverse.size(), reverse.size(), reverse) == 0) {
    p.reverse = true;
    leaf.resize(leaf.size() - reverse.size());
  }
  size_t at = 0;
  if (leaf.rfind("weight_", 0) == 0) {
    at = 7;
  } else if (leaf.rfind("bias_", 0) == 0) {
    at = 5;
  } else {
    return std::nullopt;
  }
  if (leaf.size() < at + 5) return std::nullopt;  // "ih_l" and at least one digit
  p.matrix = leaf.substr(at, 2);
  if ((p.matrix != "ih" && p.matrix != "hh" && p.matrix != "hr") ||
      leaf.compare(at + 2, 2, "_l") != 0) {
    return std::nullopt;
  }
  const std::string digits = leaf.substr(at + 4);
  if (digits.empty() || digits.size() > 4 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  p.layer = std::stoi(digits);
  return p;
}

// The recurrent module's own tensors checked for what mpgru cannot take; returns its layers.
// The first layer's input size: read off weight_ih_l0 when it is [3 x hidden, input] (a model on
// other features than the data's is named by the caller, which knows the task); when it is not,
// the data's features if known, else its transpose's, so that the message names the shape the
// file should have had.
int64_t first_input(const NamedTensor& wi, int64_t hidden, int64_t known) {
  if (wi.shape.size() != 2) return known > 0 ? known : -1;
  if (wi.shape[0] == 3 * hidden) return wi.shape[1];
  if (known > 0) return known;
  return wi.shape[1] == 3 * hidden ? wi.shape[0] : wi.shape[1];
}

std::vector<quant::FloatGruLayer> read_gru(const TorchFile& file, const Tensors& tensors,
                                           const std::string& gru, int64_t known_input) {
  const std::string cls = class_of(file, gru);
  if (cls.find("LSTM") != std::string::npos) fail(cls + ": an LSTM; mpgru takes nn.GRU");
  int layers = 0;
  for (const auto& [name, t] : tensors) {
    if (parent_of(name) != gru) continue;
    const std::optional<RnnParameter> p = parse_rnn_parameter(leaf_of(name));
    if (!p) continue;
    if (p->reverse) fail(name + ": a bidirectional GRU; mpgru takes a unidirectional one");
    if (p->matrix == "hr") fail(name + ": an LSTM with proj_size; mpgru takes nn.GRU");
    layers = std::max(layers, p->layer + 1);
  }
  const NamedTensor& hh0 = required(tensors, join(gru, "weight_hh_l0"), "");
  if (hh0.shape.size() != 2 || hh0.shape[1] <= 0) {
    fail(hh0.name + " has shape " + shape_text(hh0.shape) + ", expected [3 x hidden, hidden]");
  }
  const int64_t hidden = hh0.shape[1];
  if (hh0.shape[0] == 4 * hidden) fail(hh0.name + " has 4 gates: an LSTM; mpgru takes nn.GRU");
  if (hh0.shape[0] == hidden) fail(hh0.name + " has 1 gate: an nn.RNN; mpgru takes nn.GRU");
  if (hidden > 16384) fail(hh0.name + ": hidden size " + std::to_string(hidden) + " > 16384");
  std::vector<quant::FloatGruLayer> out;
  int64_t input = -1;
  const std::string no_bias = ": mpgru's GRU needs its biases (nn.GRU(..., bias=True))";
  for (int k = 0; k < layers; ++k) {
    const std::string l = "_l" + std::to_string(k);
    const NamedTensor& wi =
        required(tensors, join(gru, "weight_ih" + l), " (layers must be 0..N-1)");
    const NamedTensor& wh = required(tensors, join(gru, "weight_hh" + l), "");
    const NamedTensor& bi = required(tensors, join(gru, "bias_ih" + l), no_bias);
    const NamedTensor& bh = required(tensors, join(gru, "bias_hh" + l), no_bias);
    if (k == 0) input = first_input(wi, hidden, known_input);
    if (input <= 0 || input > 65536) fail(wi.name + " has shape " + shape_text(wi.shape));
    expect_shape(wi, {3 * hidden, input});
    expect_shape(wh, {3 * hidden, hidden});
    expect_shape(bi, {3 * hidden});
    expect_shape(bh, {3 * hidden});
    quant::FloatGruLayer layer;
    layer.input_size = static_cast<int32_t>(input);
    layer.hidden = static_cast<int32_t>(hidden);
    for (int g = 0; g < 3; ++g) {
      layer.lin_i[g] = rows_of(wi, bi, g, layer.hidden);
      layer.lin_h[g] = rows_of(wh, bh, g, layer.hidden);
    }
    out.push_back(std::move(layer));
    input = hidden;
  }
  return out;
}

// Tensors of `module` not yet placed, by leaf name.
std::map<std::string, const NamedTensor*> leaves(const Tensors& rest, const std::string& module) {
  std::map<std::string, const NamedTensor*> out;
  for (const auto& [name, t] : rest) {
    if (parent_of(name) == module) out[leaf_of(name)] = t;
  }
  return out;
}

std::set<std::string> modules_of(const Tensors& rest) {
  std::set<std::string> out;
  for (const auto& [name, t] : rest) out.insert(parent_of(name));
  return out;
}

bool is_linear(const Tensors& rest, const std::string& module, int64_t in) {
  const auto l = leaves(rest, module);
  const auto w = l.find("weight");
  const auto b = l.find("bias");
  return l.size() == 2 && w != l.end() && b != l.end() && w->second->shape.size() == 2 &&
         w->second->shape[1] == in && b->second->shape == std::vector<int64_t>{w->second->shape[0]};
}

bool is_embedding(const Tensors& rest, const std::string& module, int64_t dim) {
  const auto l = leaves(rest, module);
  const auto w = l.find("weight");
  return l.size() == 1 && w != l.end() && w->second->shape.size() == 2 &&
         w->second->shape[1] == dim;
}

std::optional<std::string> pick(const Tensors& rest, const std::string& given, const char* option,
                                const std::string& what,
                                bool (*fits)(const Tensors&, const std::string&, int64_t),
                                int64_t size) {
  if (!given.empty()) {
    if (!fits(rest, given, size))
      fail("--" + std::string(option) + " " + given + " is not " + what);
    return given;
  }
  std::vector<std::string> found;
  for (const std::string& m : modules_of(rest)) {
    if (fits(rest, m, size)) found.push_back(m);
  }
  if (found.size() > 1) {
    fail(std::to_string(found.size()) + " modules could be " + what + " (" + found[0] + ", " +
         found[1] + "): name one (--" + option + ")");
  }
  if (found.empty()) return std::nullopt;
  return found.front();
}

void erase_module(Tensors& rest, const std::string& module) {
  for (auto it = rest.begin(); it != rest.end();) {
    it = parent_of(it->first) == module ? rest.erase(it) : std::next(it);
  }
}

quant::FloatLinear linear_of(const NamedTensor& w, const NamedTensor& b) {
  quant::FloatLinear out;
  out.rows = static_cast<int32_t>(w.shape[0]);
  out.cols = static_cast<int32_t>(w.shape[1]);
  out.weights = w.values;
  out.bias = b.values;
  return out;
}

std::string leftovers(const Tensors& rest) {
  std::string out;
  int n = 0;
  for (const auto& [name, t] : rest) {
    if (n++ == 6) {
      out += ", ...";
      break;
    }
    out += (out.empty() ? "" : ", ") + name + " " + shape_text(t->shape);
  }
  return out;
}

}  // namespace

ImportedGru gru_from_torch(const TorchFile& file, const GruImportOptions& options) {
  ImportedGru out;
  out.gru = find_gru(file, options);
  const std::string parent = parent_of(out.gru);
  Tensors rest;  // every tensor of the GRU's parent module
  for (const NamedTensor& t : file.tensors) {
    if (under(t.name, parent)) rest[t.name] = &t;
  }
  out.model.layers = read_gru(file, rest, out.gru, options.input);
  erase_module(rest, out.gru);
  const quant::FloatGruLayer& first = out.model.layers.front();
  const quant::FloatGruLayer& last = out.model.layers.back();
  out.model.features = first.input_size;

  const std::optional<std::string> embedding = pick(
      rest, options.embedding, "embedding",
      "an nn.Embedding of " + std::to_string(first.input_size) + "-wide rows (the GRU's input)",
      is_embedding, first.input_size);
  if (embedding) {
    const NamedTensor& w = *leaves(rest, *embedding).at("weight");
    out.embedding = *embedding;
    out.has_embedding = true;
    out.model.embedding.vocabulary = static_cast<int32_t>(w.shape[0]);
    out.model.embedding.dim = static_cast<int32_t>(w.shape[1]);
    out.model.embedding.weights = w.values;
    erase_module(rest, *embedding);
  }
  const std::optional<std::string> head =
      pick(rest, options.head, "head",
           "an nn.Linear on the " + std::to_string(last.hidden) + "-unit hidden state", is_linear,
           last.hidden);
  if (!head) {
    fail("no classifier head: expected one nn.Linear with weight [classes x " +
         std::to_string(last.hidden) + "] and bias [classes] beside the GRU" +
         (rest.empty() ? std::string() : "; found " + leftovers(rest)));
  }
  const auto h = leaves(rest, *head);
  out.head = *head;
  out.model.classifier = linear_of(*h.at("weight"), *h.at("bias"));
  out.model.classes = out.model.classifier.rows;
  erase_module(rest, *head);
  if (!rest.empty()) {
    fail("parameters mpgru cannot place: " + leftovers(rest) +
         " (mpgru takes an nn.GRU, one nn.Linear head on its last hidden state and, for token "
         "tasks, an nn.Embedding before it)");
  }
  try {
    quant::validate(out.model);
  } catch (const std::invalid_argument& e) {
    fail(std::string("the imported model is not usable: ") + e.what());
  }
  return out;
}

std::vector<NamedTensor> torch_parameters(const quant::FloatGruModel& model, const std::string& gru,
                                          const std::string& head, const std::string& embedding) {
  std::vector<NamedTensor> out;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, std::vector<float> values) {
    NamedTensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.values = std::move(values);
    t.storage_type = "torch.FloatStorage";
    out.push_back(std::move(t));
  };
  if (model.embedding.vocabulary > 0) {
    add(join(embedding, "weight"), {model.embedding.vocabulary, model.embedding.dim},
        model.embedding.weights);
  }
  for (size_t k = 0; k < model.layers.size(); ++k) {
    const quant::FloatGruLayer& l = model.layers[k];
    const std::string suffix = "_l" + std::to_string(k);
    for (const char* side : {"ih", "hh"}) {
      const quant::FloatLinear* lin = side[0] == 'i' ? l.lin_i : l.lin_h;
      std::vector<float> w, b;
      for (int g = 0; g < 3; ++g) {
        w.insert(w.end(), lin[g].weights.begin(), lin[g].weights.end());
        b.insert(b.end(), lin[g].bias.begin(), lin[g].bias.end());
      }
      add(join(gru, std::string("weight_") + side + suffix), {3 * l.hidden, lin[0].cols}, w);
      add(join(gru, std::string("bias_") + side + suffix), {3 * l.hidden}, b);
    }
  }
  add(join(head, "weight"), {model.classes, model.classifier.cols}, model.classifier.weights);
  add(join(head, "bias"), {model.classes}, model.classifier.bias);
  return out;
}

}  // namespace mpgru::torchfile
