// Task `file`: named arrays checked and turned into three splits of sequences.
#include "data/sequence_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>

#include "core/fnv1a.hpp"
#include "torchfile/torch_archive.hpp"

namespace mpgru::data {
namespace {

using Type = NumericArray::Type;

// Token ids and integer features must be exact as float32.
constexpr int64_t kMaxExactInteger = int64_t{1} << 24;

using core::Fnv1a;

void add_int(Fnv1a& h, int64_t v) {
  h.add(&v, sizeof v);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// The accepted names of each split's arrays, the canonical one first.
const std::vector<std::string>& split_aliases(Split split) {
  static const std::vector<std::string> names[3] = {
      {"train"}, {"validation", "val", "valid"}, {"test"}};
  return names[static_cast<int>(split)];
}

bool looks_like_lengths(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("length") != std::string::npos || lower.find("seq_len") != std::string::npos ||
         lower.find("lens") != std::string::npos || lower.find("mask") != std::string::npos;
}

class ArrayTable {
 public:
  ArrayTable(const std::vector<NumericArray>& arrays, const std::string& file) : file_(file) {
    for (const NumericArray& a : arrays) {
      if (looks_like_lengths(a.name)) {
        throw std::runtime_error(
            file_ + ": array " + a.name +
            ": variable-length sequences are not supported; every sequence of a file has one "
            "length. Pad each one to the longest at the front with zeros (x[i, :T - len] = 0, "
            "the data at the end, where the classifier reads) and drop '" +
            a.name + "' (docs/your-data.md)");
      }
      by_name_[a.name] = &a;
    }
  }

  // The array of a split's x or y ("x", Split::validation), under any accepted name.
  const NumericArray* find(const std::string& prefix, Split split) {
    for (const std::string& alias : split_aliases(split)) {
      if (const NumericArray* a = take(prefix + "_" + alias); a != nullptr) return a;
    }
    return nullptr;
  }

  const NumericArray* take(const std::string& name) {
    const auto it = by_name_.find(name);
    if (it == by_name_.end()) return nullptr;
    used_.push_back(name);
    return it->second;
  }

  std::vector<std::string> unused() const {
    std::vector<std::string> out;
    for (const auto& [name, array] : by_name_) {
      if (std::find(used_.begin(), used_.end(), name) == used_.end()) out.push_back(name);
    }
    return out;
  }

 private:
  std::string file_;
  std::map<std::string, const NumericArray*> by_name_;
  std::vector<std::string> used_;
};

// The x and y of one split, checked for shape against each other.
struct SplitArrays {
  const NumericArray* x = nullptr;
  const NumericArray* y = nullptr;
};

// How the file's sequences are shaped, from x_train and y_train.
struct Layout {
  bool tokens = false;
  int64_t steps = 0;
  int64_t features = 0;
  int64_t outputs = 0;  // 0: a label per sequence
};

class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const NumericArray& a, const std::string& problem) const {
    throw std::runtime_error(file_ + ": array " + a.name + " (" + a.dtype + ", shape " +
                             shape_text(a.shape) + "): " + problem);
  }

  Layout layout(const NumericArray& x, const NumericArray& y) const {
    Layout l;
    if (x.shape.size() == 2 && x.type != Type::floating) {
      l.tokens = true;
      l.features = 1;
    } else if (x.shape.size() == 3) {
      l.features = x.shape[2];
    } else if (x.shape.size() == 2) {
      fail(x,
           "real features need 3 axes [sequences, steps, features]: add a last axis of 1 "
           "(x[..., None]) for one feature per step; token ids are integers [sequences, steps]");
    } else {
      fail(x,
           "expected [sequences, steps, features] (real values) or [sequences, steps] "
           "(integer token ids)");
    }
    l.steps = x.shape[1];
    if (l.steps <= 0 || l.features <= 0) fail(x, "needs at least one step and one feature");
    if (y.shape.size() == 3) {
      l.outputs = y.shape[2];
      if (l.outputs <= 0) fail(y, "needs at least one output per step");
    } else if (y.shape.size() != 1) {
      fail(y,
           "expected [sequences] (integer class labels) or [sequences, steps, outputs] "
           "(per-step targets)");
    }
    return l;
  }

  void check_split(const SplitArrays& s, const Layout& l) const {
    const NumericArray& x = *s.x;
    const NumericArray& y = *s.y;
    const size_t x_rank = l.tokens ? 2 : 3;
    if (x.shape.size() != x_rank || x.shape[1] != l.steps ||
        (!l.tokens && x.shape[2] != l.features)) {
      fail(x, "disagrees with the training split's " +
                  std::string(l.tokens ? "[N, " + std::to_string(l.steps) + "] token ids"
                                       : "[N, " + std::to_string(l.steps) + ", " +
                                             std::to_string(l.features) + "]"));
    }
    if (l.tokens && x.type == Type::floating) fail(x, "token ids must be integers");
    if (x.shape[0] == 0) fail(x, "an empty split (0 sequences)");
    if (y.shape.empty() || y.shape[0] != x.shape[0]) {
      fail(y, "holds " + (y.shape.empty() ? std::string("no") : std::to_string(y.shape[0])) +
                  " entries for the " + std::to_string(x.shape[0]) + " sequences of " + x.name);
    }
    if (l.outputs == 0) {
      if (y.shape.size() != 1) fail(y, "expected [sequences] class labels, as y_train");
      if (y.type == Type::floating) {
        fail(y,
             "class labels must be integers (save them as np.int64); per-step targets are "
             "[sequences, steps, outputs]");
      }
    } else if (y.shape.size() != 3 || y.shape[1] != l.steps || y.shape[2] != l.outputs) {
      fail(y, "expected per-step targets [N, " + std::to_string(l.steps) + ", " +
                  std::to_string(l.outputs) + "], as y_train");
    }
  }

  std::vector<float> features(const NumericArray& x) const {
    if (x.type == Type::floating) {
      for (size_t i = 0; i < x.floats.size(); ++i) {
        if (!std::isfinite(x.floats[i])) {
          fail(x, "value " + std::to_string(x.floats[i]) + position(x, i) + " is not finite");
        }
      }
      return x.floats;
    }
    std::vector<float> out(x.integers.size());
    for (size_t i = 0; i < out.size(); ++i) {
      const int64_t v = x.integers[i];
      if (v < -kMaxExactInteger || v > kMaxExactInteger) {
        fail(x, "value " + std::to_string(v) + position(x, i) +
                    " is beyond 2^24, not exact as float32");
      }
      out[i] = static_cast<float>(v);
    }
    return out;
  }

  void check_tokens(const NumericArray& x, int64_t vocabulary) const {
    for (size_t i = 0; i < x.integers.size(); ++i) {
      const int64_t v = x.integers[i];
      if (v < 0 || v >= vocabulary) {
        fail(x, "token id " + std::to_string(v) + position(x, i) + " outside 0.." +
                    std::to_string(vocabulary - 1) + " (the vocabulary)");
      }
    }
  }

  std::vector<int32_t> labels(const NumericArray& y, int classes) const {
    std::vector<int32_t> out(y.integers.size());
    for (size_t i = 0; i < out.size(); ++i) {
      const int64_t v = y.integers[i];
      if (v < 0 || v >= classes) {
        fail(y, "label " + std::to_string(v) + " of sequence " + std::to_string(i) +
                    " outside 0.." + std::to_string(classes - 1));
      }
      out[i] = static_cast<int32_t>(v);
    }
    return out;
  }

  std::vector<float> targets(const NumericArray& y) const {
    std::vector<float> out = y.type == Type::floating
                                 ? y.floats
                                 : std::vector<float>(y.integers.begin(), y.integers.end());
    for (size_t i = 0; i < out.size(); ++i) {
      if (!(out[i] >= 0.0f && out[i] <= 1.0f)) {
        fail(y, "target " + std::to_string(out[i]) + position(y, i) +
                    " outside [0, 1] (per-step outputs go through a sigmoid; scale the targets "
                    "into [0, 1])");
      }
    }
    return out;
  }

 private:
  // " at [i, t, f]" for flat index `i`.
  static std::string position(const NumericArray& a, size_t flat) {
    std::vector<int64_t> index(a.shape.size());
    auto rest = static_cast<int64_t>(flat);
    for (size_t d = a.shape.size(); d-- > 0;) {
      index[d] = a.shape[d] > 0 ? rest % a.shape[d] : 0;
      rest = a.shape[d] > 0 ? rest / a.shape[d] : 0;
    }
    return " at " + shape_text(index);
  }

  std::string file_;
};

int64_t max_integer(const NumericArray& a) {
  int64_t m = -1;
  for (const int64_t v : a.integers) m = std::max(m, v);
  return m;
}

// The vocabulary of token inputs: the file's `vocabulary` scalar, else the largest id + 1.
int64_t vocabulary_of(ArrayTable& table, const SplitArrays (&given)[3], const Checker& check) {
  if (const NumericArray* v = table.take("vocabulary"); v != nullptr) {
    if (v->type == Type::floating || v->count() != 1) check.fail(*v, "expected one integer");
    const int64_t n = v->integers.at(0);
    if (n < 1 || n > kMaxExactInteger) check.fail(*v, "expected 1..2^24 token ids");
    return n;
  }
  int64_t largest = 0;
  for (const SplitArrays& s : given) {
    if (s.x != nullptr) largest = std::max(largest, max_integer(*s.x));
  }
  return largest + 1;
}

int classes_of(const SplitArrays (&given)[3], const SequenceFileInfo& info, const Checker& check) {
  int64_t largest = 0;
  for (const SplitArrays& s : given) {
    if (s.y != nullptr) largest = std::max(largest, max_integer(*s.y));
  }
  const int64_t classes =
      info.class_names.empty() ? largest + 1 : static_cast<int64_t>(info.class_names.size());
  if (classes < 2) {
    check.fail(*given[0].y,
               "classification needs at least 2 classes (labels 0, 1; the metadata "
               "names " +
                   std::to_string(info.class_names.size()) + ")");
  }
  if (!info.class_names.empty()) return static_cast<int>(classes);
  if (largest >= (int64_t{1} << 20)) check.fail(*given[0].y, "more than 2^20 classes");
  return static_cast<int>(largest + 1);
}

Sequences to_sequences(const SplitArrays& s, const Layout& l, int classes, const Checker& check) {
  Sequences out;
  out.steps = l.steps;
  out.features = l.features;
  out.outputs = l.outputs;
  out.values = check.features(*s.x);
  if (l.outputs > 0) {
    out.targets = check.targets(*s.y);
  } else {
    out.labels = check.labels(*s.y, classes);
  }
  return out;
}

void append(Sequences& to, const Sequences& from, int64_t i) {
  const float* x = from.sequence(i);
  to.values.insert(to.values.end(), x, x + from.steps * from.features);
  if (from.outputs > 0) {
    const float* t = from.target(i);
    to.targets.insert(to.targets.end(), t, t + from.steps * from.outputs);
  } else {
    to.labels.push_back(from.labels[static_cast<size_t>(i)]);
  }
}

Sequences empty_like(const Sequences& s) {
  Sequences out;
  out.steps = s.steps;
  out.features = s.features;
  out.outputs = s.outputs;
  return out;
}

// Moves the sequences of train whose bucket is carved into validation or test.
void carve(Sequences (&splits)[3], bool carve_validation, bool carve_test,
           const std::string& file) {
  const Sequences all = std::move(splits[0]);
  splits[0] = empty_like(all);
  if (carve_validation) splits[1] = empty_like(all);
  if (carve_test) splits[2] = empty_like(all);
  for (int64_t i = 0; i < all.count(); ++i) {
    const int bucket = carving_bucket(all.sequence(i), all.steps * all.features);
    const int to = carve_test && bucket == 0 ? 2 : carve_validation && bucket == 1 ? 1 : 0;
    append(splits[to], all, i);
  }
  for (int s = 0; s < 3; ++s) {
    if (splits[s].count() == 0) {
      throw std::runtime_error(
          file + ": carving validation and test from x_train (" + std::to_string(all.count()) +
          " sequences) leaves the " + to_string(static_cast<Split>(s)) +
          " split empty: give it in the file (x_" + to_string(static_cast<Split>(s)) + ", y_" +
          to_string(static_cast<Split>(s)) + ")");
    }
  }
}

std::string content_hash(const Sequences (&splits)[3], int classes, int64_t vocabulary) {
  Fnv1a h;
  add_int(h, classes);
  add_int(h, vocabulary);
  for (const Sequences& s : splits) {
    for (const int64_t v : {s.count(), s.steps, s.features, s.outputs}) add_int(h, v);
    h.add(s.values.data(), s.values.size() * sizeof(float));
    h.add(s.labels.data(), s.labels.size() * sizeof(int32_t));
    h.add(s.targets.data(), s.targets.size() * sizeof(float));
  }
  return h.hex();
}

SplitArrays split_arrays(ArrayTable& table, Split split, const std::string& file) {
  SplitArrays s{table.find("x", split), table.find("y", split)};
  const std::string name = split_aliases(split).front();
  if ((s.x == nullptr) != (s.y == nullptr)) {
    throw std::runtime_error(file + ": " + (s.x == nullptr ? "y_" : "x_") + name + " without " +
                             (s.x == nullptr ? "x_" : "y_") + name +
                             ": a split needs both its sequences and their labels");
  }
  return s;
}

std::vector<NumericArray> arrays_of_torch_file(const std::filesystem::path& path) {
  const torchfile::TorchFile file = torchfile::read_torch_file(path);
  std::vector<NumericArray> out;
  for (const torchfile::NamedTensor& t : file.tensors) {
    NumericArray a;
    a.name = t.name;
    a.shape = t.shape;
    a.dtype = t.storage_type;
    if (t.floating) {
      a.type = Type::floating;
      a.floats = t.values;
    } else if (t.integer) {
      a.type = Type::integer;
      a.integers = t.integers;
    } else {
      throw std::runtime_error(path.string() + ": tensor " + t.name + " is a " + t.storage_type +
                               ": not numbers mpgru reads (floating, integer or bool tensors)");
    }
    out.push_back(std::move(a));
  }
  return out;
}

// The formats by file name: the one list data_file_format and the task registry read.
struct Extension {
  const char* extension;
  const char* format;
};
constexpr Extension kExtensions[] = {
    {".npz", "npz"}, {".npy", "npy"}, {".pt", "torch"}, {".pth", "torch"}};

std::string file_format(const std::filesystem::path& path) {
  if (const char* format = data_file_format(path); format != nullptr) return format;
  throw std::runtime_error(path.string() +
                           ": not a data file mpgru reads by its name: .npz (np.savez), .pt or "
                           ".pth (torch.save of a dict of tensors)");
}

void read_metadata(const std::filesystem::path& path, SequenceFileInfo& info) {
  const std::filesystem::path meta = path.string() + ".json";
  std::error_code ec;
  if (!std::filesystem::exists(meta, ec)) return;
  std::ifstream in(meta);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
    info.description = j.value("description", std::string());
    info.features = j.value("features", std::string());
    info.class_names = j.value("class_names", std::vector<std::string>());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(meta.string() + ": metadata not read: " + e.what() +
                             " (expected {\"description\": \"...\", \"features\": \"...\", "
                             "\"class_names\": [\"...\", ...]})");
  }
}

}  // namespace

const char* data_file_format(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  for (const Extension& e : kExtensions) {
    if (ext == e.extension) return e.format;
  }
  return nullptr;
}

int carving_bucket(const float* values, int64_t count) {
  Fnv1a h;
  h.add(kSplitSeed, std::strlen(kSplitSeed));
  for (int64_t i = 0; i < count; ++i) {
    uint32_t bits = 0;
    std::memcpy(&bits, values + i, sizeof bits);
    const unsigned char le[4] = {
        static_cast<unsigned char>(bits), static_cast<unsigned char>(bits >> 8),
        static_cast<unsigned char>(bits >> 16), static_cast<unsigned char>(bits >> 24)};
    h.add(le, sizeof le);
  }
  return static_cast<int>(h.value() % 10);
}

FileDataset::FileDataset(Sequences splits[3], int num_classes, int64_t vocabulary,
                         SequenceFileInfo info)
    : num_classes_(num_classes),
      vocabulary_(vocabulary),
      splits_{std::move(splits[0]), std::move(splits[1]), std::move(splits[2])},
      info_(std::move(info)) {}

nlohmann::json FileDataset::source() const {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(info_.path, ec);
  return {{"file", ec ? info_.path : absolute.lexically_normal().string()},
          {"format", info_.format},
          {"hash", info_.hash},
          {"carved_validation", info_.carved_validation},
          {"carved_test", info_.carved_test},
          {"description", info_.description},
          {"features_note", info_.features},
          {"class_names", info_.class_names}};
}

FileDataset sequences_from_arrays(const std::vector<NumericArray>& arrays, SequenceFileInfo info) {
  const std::string& file = info.path;
  ArrayTable table(arrays, file);
  const Checker check(file);
  SplitArrays given[3];
  for (int s = 0; s < 3; ++s) given[s] = split_arrays(table, static_cast<Split>(s), file);
  if (given[0].x == nullptr) {
    throw std::runtime_error(file + ": no x_train and y_train (the file's arrays: " + [&] {
      std::string names;
      for (const NumericArray& a : arrays) {
        names += (names.empty() ? "" : ", ") + a.name;
      }
      return names.empty() ? std::string("none") : names;
    }() + "); docs/your-data.md names the arrays mpgru reads");
  }
  const Layout l = check.layout(*given[0].x, *given[0].y);
  for (const SplitArrays& s : given) {
    if (s.x != nullptr) check.check_split(s, l);
  }
  const int64_t vocabulary = l.tokens ? vocabulary_of(table, given, check) : 0;
  for (const SplitArrays& s : given) {
    if (s.x != nullptr && l.tokens) check.check_tokens(*s.x, vocabulary);
  }
  const int classes = l.outputs > 0 ? 0 : classes_of(given, info, check);
  Sequences splits[3];
  for (int s = 0; s < 3; ++s) {
    if (given[s].x != nullptr) splits[s] = to_sequences(given[s], l, classes, check);
  }
  info.carved_validation = given[1].x == nullptr;
  info.carved_test = given[2].x == nullptr;
  if (info.carved_validation || info.carved_test) {
    carve(splits, info.carved_validation, info.carved_test, file);
  }
  info.ignored = table.unused();
  info.hash = content_hash(splits, classes, vocabulary);
  return FileDataset(splits, classes, vocabulary, std::move(info));
}

FileDataset load_sequence_file(const std::filesystem::path& path) {
  SequenceFileInfo info;
  info.path = path.string();
  info.format = file_format(path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw std::runtime_error(path.string() + ": no such data file");
  }
  read_metadata(path, info);
  const std::vector<NumericArray> arrays =
      info.format == "torch" ? arrays_of_torch_file(path) : read_numpy_file(path);
  if (info.format == "npy") {
    throw std::runtime_error(path.string() +
                             ": a .npy holds one array; mpgru needs x_train and y_train (and "
                             "optionally the validation and test splits): save them together "
                             "with np.savez(\"data.npz\", x_train=..., y_train=...)");
  }
  return sequences_from_arrays(arrays, std::move(info));
}

std::vector<std::string> split_notes(const FileDataset& dataset) {
  const SequenceFileInfo& info = dataset.info();
  std::vector<std::string> notes;
  const auto count = [&](Split s) { return std::to_string(dataset.split(s).count()); };
  std::string line = "data file " + info.path + " (" + info.format + ", content hash " + info.hash +
                     "): " + count(Split::train) + " train / " + count(Split::validation) +
                     " validation / " + count(Split::test) + " test sequences";
  notes.push_back(line);
  for (const Split s : {Split::validation, Split::test}) {
    const bool carved = s == Split::validation ? info.carved_validation : info.carved_test;
    if (!carved) continue;
    notes.push_back(std::string(to_string(s)) +
                    ": not in the file, carved from x_train by sequence hash (FNV-1a 64 of \"" +
                    kSplitSeed + "\" and the sequence, mod 10 == " +
                    (s == Split::test ? "0" : "1") + ": about 10 % of train)");
  }
  if (!info.ignored.empty()) {
    std::string names;
    for (const std::string& n : info.ignored) names += (names.empty() ? "" : ", ") + n;
    notes.push_back("arrays not read: " + names);
  }
  return notes;
}

}  // namespace mpgru::data
