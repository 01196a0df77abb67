// Task `file` (data/sequence_file.hpp): each layout of x and y from hand-made arrays, the split
// aliases, carving by sequence hash, the content hash and every refusal with its message; then
// .npz and PyTorch files written by /usr/bin/python3 (numpy, torch), skipped with a message
// where those are not installed.
#include "data/sequence_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "data/npz_writer.hpp"
#include "fixtures/messages.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

using Type = NumericArray::Type;
using testing::contains;
using testing::TempDir;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
const char* const kFile = "mine.npz";

// ---- Arrays by hand.

int64_t product(const std::vector<int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
}

NumericArray real(const std::string& name, std::vector<int64_t> shape, std::vector<float> values) {
  return float_array(name, std::move(shape), std::move(values));
}

NumericArray integer(const std::string& name, std::vector<int64_t> shape,
                     std::vector<int64_t> values) {
  return integer_array(name, std::move(shape), std::move(values));
}

// A real array of `shape`, uniform in [-1, 1), drawn from a seed made of its name and shape (the
// same name and shape: the same values).
NumericArray random_real(const std::string& name, const std::vector<int64_t>& shape) {
  std::seed_seq seed(name.begin(), name.end());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(product(shape)));
  for (float& v : values) v = uniform(rng);
  return real(name, shape, std::move(values));
}

// `n` values cycling through first, first + 1, ..., last.
std::vector<int64_t> cycle(int64_t n, int64_t first, int64_t last) {
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = first + i % (last - first + 1);
  return out;
}

// Per-step targets [n, steps, outputs] in [0, 1].
NumericArray targets(const std::string& name, int64_t n, int64_t steps, int64_t outputs) {
  std::vector<float> values(static_cast<size_t>(n * steps * outputs));
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 5) / 4.0f;
  return real(name, {n, steps, outputs}, std::move(values));
}

constexpr const char* kSplitNames[3] = {"train", "validation", "test"};
constexpr int64_t kSplitCounts[3] = {6, 3, 3};
constexpr int64_t kSteps = 4;
constexpr int64_t kFeatures = 2;

// One split's array ("x_test", n sequences).
using ArrayMaker = std::function<NumericArray(const std::string& name, int64_t n)>;

// x_ and y_ of train (6 sequences), validation and test (3 each), made by `x` and `y`.
std::vector<NumericArray> file_of(const ArrayMaker& x, const ArrayMaker& y) {
  std::vector<NumericArray> out;
  for (int s = 0; s < 3; ++s) {
    out.push_back(x(std::string("x_") + kSplitNames[s], kSplitCounts[s]));
    out.push_back(y(std::string("y_") + kSplitNames[s], kSplitCounts[s]));
  }
  return out;
}

NumericArray real_x(const std::string& name, int64_t n) {
  return random_real(name, {n, kSteps, kFeatures});
}
NumericArray labels_0_to_2(const std::string& name, int64_t n) {
  return integer(name, {n}, cycle(n, 0, 2));
}
NumericArray step_targets(const std::string& name, int64_t n) {
  return targets(name, n, kSteps, 1);
}
NumericArray token_ids(const std::string& name, int64_t n) {
  return integer(name, {n, kSteps}, cycle(n * kSteps, 0, 4));
}

// A valid file: real features [N, 4, 2], labels 0..2, every split given.
std::vector<NumericArray> real_file() {
  return file_of(real_x, labels_0_to_2);
}

// `arrays` with `a` in place of the array of its name, or added.
void put(std::vector<NumericArray>& arrays, NumericArray a) {
  for (NumericArray& old : arrays) {
    if (old.name == a.name) {
      old = std::move(a);
      return;
    }
  }
  arrays.push_back(std::move(a));
}

void drop(std::vector<NumericArray>& arrays, const std::string& name) {
  arrays.erase(std::remove_if(arrays.begin(), arrays.end(),
                              [&](const NumericArray& a) { return a.name == name; }),
               arrays.end());
}

NumericArray& find(std::vector<NumericArray>& arrays, const std::string& name) {
  for (NumericArray& a : arrays) {
    if (a.name == name) return a;
  }
  throw std::logic_error("no array " + name);
}

FileDataset read(const std::vector<NumericArray>& arrays,
                 std::vector<std::string> class_names = {}) {
  SequenceFileInfo info;
  info.path = kFile;
  info.format = "npz";
  info.class_names = std::move(class_names);
  return sequences_from_arrays(arrays, std::move(info));
}

// The message of the std::runtime_error `f` throws; a failure (and "") if it throws none.
template <typename F>
std::string runtime_error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::runtime_error";
  return "";
}

void expect_parts(const std::string& message, const std::vector<std::string>& parts) {
  for (const std::string& part : parts) {
    EXPECT_TRUE(contains(message, part)) << "'" << part << "' not in: " << message;
  }
}

// An array's values as the float32 a Sequences holds.
std::vector<float> as_floats(const NumericArray& a) {
  return a.type == Type::floating ? a.floats
                                  : std::vector<float>(a.integers.begin(), a.integers.end());
}

// A parameterised case's name, for the test's name.
template <typename Case>
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

// ---- Layouts: what x and y may be.

struct LayoutCase {
  const char* name;
  std::vector<NumericArray> arrays;  // every split given: nothing carved, the order kept
  int64_t steps, features, outputs;
  int classes;
  int64_t vocabulary;
};

void PrintTo(const LayoutCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<LayoutCase> layout_cases() {
  // Token ids 0..4, and 8 in the test split only: the vocabulary counts every split.
  std::vector<NumericArray> tokens = file_of(token_ids, labels_0_to_2);
  find(tokens, "x_test").integers[5] = 8;
  std::vector<NumericArray> tokens_and_vocabulary = tokens;
  tokens_and_vocabulary.push_back(integer("vocabulary", {}, {20}));
  // Labels 0..1 in train and validation, 4 in test: 5 classes.
  std::vector<NumericArray> labels_up_to_4 = real_file();
  for (int s = 0; s < 3; ++s) {
    find(labels_up_to_4, std::string("y_") + kSplitNames[s]).integers =
        cycle(kSplitCounts[s], 0, 1);
  }
  find(labels_up_to_4, "y_test").integers[1] = 4;
  const ArrayMaker integer_x = [](const std::string& name, int64_t n) {
    return integer(name, {n, kSteps, kFeatures}, cycle(n * kSteps * kFeatures, -5, 9));
  };
  const ArrayMaker integer_targets = [](const std::string& name, int64_t n) {
    return integer(name, {n, kSteps, 3}, cycle(n * kSteps * 3, 0, 1));
  };
  return {
      {"real_features", real_file(), kSteps, kFeatures, 0, 3, 0},
      {"integer_features_read_as_reals", file_of(integer_x, labels_0_to_2), kSteps, kFeatures, 0, 3,
       0},
      {"token_ids_vocabulary_largest_plus_one", tokens, kSteps, 1, 0, 3, 9},
      {"token_ids_vocabulary_array", tokens_and_vocabulary, kSteps, 1, 0, 3, 20},
      {"per_step_targets", file_of(real_x, step_targets), kSteps, kFeatures, 1, 0, 0},
      {"per_step_integer_targets", file_of(real_x, integer_targets), kSteps, kFeatures, 3, 0, 0},
      {"classes_largest_label_of_any_split_plus_one", labels_up_to_4, kSteps, kFeatures, 0, 5, 0},
  };
}

class SequenceFileLayout : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(SequenceFileLayout, ReadsTheShapesClassesAndValues) {
  const LayoutCase& c = GetParam();
  const FileDataset d = read(c.arrays);
  EXPECT_EQ(d.name(), "file");
  EXPECT_EQ(d.steps(), c.steps);
  EXPECT_EQ(d.features(), c.features);
  EXPECT_EQ(d.outputs(), c.outputs);
  EXPECT_EQ(d.num_classes(), c.classes);
  EXPECT_EQ(d.vocabulary(), c.vocabulary);
  EXPECT_FALSE(d.info().carved_validation);
  EXPECT_FALSE(d.info().carved_test);
  std::vector<NumericArray> arrays = c.arrays;
  for (int s = 0; s < 3; ++s) {
    SCOPED_TRACE(kSplitNames[s]);
    const Sequences& got = d.split(static_cast<Split>(s));
    EXPECT_NO_THROW(got.check_shape(d.num_classes()));
    EXPECT_EQ(got.count(), kSplitCounts[s]);
    EXPECT_EQ(got.values, as_floats(find(arrays, std::string("x_") + kSplitNames[s])));
    const NumericArray& y = find(arrays, std::string("y_") + kSplitNames[s]);
    if (c.outputs > 0) {
      EXPECT_EQ(got.targets, as_floats(y));
      EXPECT_TRUE(got.labels.empty());
    } else {
      EXPECT_EQ(std::vector<int64_t>(got.labels.begin(), got.labels.end()), y.integers);
      EXPECT_TRUE(got.targets.empty());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SequenceFileLayout, ::testing::ValuesIn(layout_cases()),
                         case_name<LayoutCase>);

TEST(SequenceFileClassNames, TheMetadataSetsTheClassCount) {
  const FileDataset d = read(real_file(), {"a", "b", "c", "d", "e"});
  EXPECT_EQ(d.num_classes(), 5);  // labels 0..2 only
  EXPECT_EQ(d.info().class_names.size(), 5u);
}

// Every accepted name of the validation split; each read as given, nothing carved.
TEST(SequenceFileAliases, ValidationUnderEveryName) {
  for (const char* alias : {"validation", "val", "valid"}) {
    SCOPED_TRACE(alias);
    std::vector<NumericArray> arrays = real_file();
    const std::vector<float> x = find(arrays, "x_validation").floats;
    find(arrays, "x_validation").name = std::string("x_") + alias;
    find(arrays, "y_validation").name = std::string("y_") + alias;
    const FileDataset d = read(arrays);
    EXPECT_FALSE(d.info().carved_validation);
    EXPECT_EQ(d.split(Split::validation).values, x);
    EXPECT_EQ(d.split(Split::validation).labels, (std::vector<int32_t>{0, 1, 2}));
    EXPECT_TRUE(d.info().ignored.empty());
  }
}

TEST(SequenceFileAliases, ArraysNotReadAreListed) {
  std::vector<NumericArray> arrays = real_file();
  arrays.push_back(random_real("notes", {3}));
  const FileDataset d = read(arrays);
  EXPECT_EQ(d.info().ignored, (std::vector<std::string>{"notes"}));
  const std::vector<std::string> notes = split_notes(d);
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(),
                          [](const std::string& n) { return n == "arrays not read: notes"; }));
}

// ---- Carving a missing split from train.

// The documented rule, written out again: FNV-1a 64 of "mpgru-split-v1" then the sequence's
// float32 values (little-endian), modulo 10.
int bucket_by_the_rule(const float* values, int64_t count) {
  uint64_t h = 0xcbf29ce484222325;
  const auto add = [&](unsigned char byte) {
    h ^= byte;
    h *= 0x100000001b3;
  };
  for (const char* c = "mpgru-split-v1"; *c != '\0'; ++c) add(static_cast<unsigned char>(*c));
  for (int64_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, values + i, sizeof bits);
    for (int b = 0; b < 4; ++b) add(static_cast<unsigned char>(bits >> (8 * b)));
  }
  return static_cast<int>(h % 10);
}

TEST(SequenceFileCarvingBucket, IsTheDocumentedHash) {
  const NumericArray x = random_real("x", {300, kSteps, kFeatures});
  int counts[10] = {};
  for (int64_t i = 0; i < 300; ++i) {
    const float* seq = x.floats.data() + i * kSteps * kFeatures;
    const int bucket = carving_bucket(seq, kSteps * kFeatures);
    EXPECT_EQ(bucket, bucket_by_the_rule(seq, kSteps * kFeatures)) << "sequence " << i;
    ++counts[bucket];
  }
  for (int b = 0; b < 10; ++b) EXPECT_GT(counts[b], 10) << "bucket " << b << " of 300";
  EXPECT_EQ(std::string(kSplitSeed), "mpgru-split-v1");
}

// A sequence (its values) and its label.
using Row = std::pair<std::vector<float>, int32_t>;

std::vector<Row> sorted_rows(const Sequences& s) {
  std::vector<Row> rows;
  for (int64_t i = 0; i < s.count(); ++i) {
    const float* x = s.sequence(i);
    rows.emplace_back(std::vector<float>(x, x + s.steps * s.features),
                      s.labels[static_cast<size_t>(i)]);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

struct CarveCase {
  const char* name;
  bool carve_validation;
  bool carve_test;
};

void PrintTo(const CarveCase& c, std::ostream* os) {
  *os << c.name;
}

class SequenceFileCarving : public ::testing::TestWithParam<CarveCase> {
 protected:
  static constexpr int64_t kTrain = 200;

  // Train of 200 sequences (20 of them copies of others, with other labels), and the splits not
  // carved.
  std::vector<NumericArray> file() const {
    NumericArray x = random_real("x_train", {kTrain, kSteps, kFeatures});
    const int64_t size = kSteps * kFeatures;
    for (int64_t i = 0; i < 20; ++i) {
      std::copy_n(x.floats.begin() + i * size, size, x.floats.begin() + (kTrain - 1 - i) * size);
    }
    std::vector<NumericArray> out = {x, integer("y_train", {kTrain}, cycle(kTrain, 0, 3))};
    if (!GetParam().carve_validation) {
      out.push_back(real_x("x_validation", 3));
      out.push_back(integer("y_validation", {3}, {0, 1, 2}));
    }
    if (!GetParam().carve_test) {
      out.push_back(real_x("x_test", 3));
      out.push_back(integer("y_test", {3}, {3, 2, 1}));
    }
    return out;
  }

  // Where each sequence of x_train belongs by its bucket, sorted.
  std::vector<Row> expected(const std::vector<NumericArray>& arrays, Split split) const {
    const NumericArray& x = arrays[0];
    const NumericArray& y = arrays[1];
    std::vector<Row> rows;
    const int64_t size = kSteps * kFeatures;
    for (int64_t i = 0; i < kTrain; ++i) {
      const float* seq = x.floats.data() + i * size;
      const int bucket = carving_bucket(seq, size);
      const Split to = GetParam().carve_test && bucket == 0         ? Split::test
                       : GetParam().carve_validation && bucket == 1 ? Split::validation
                                                                    : Split::train;
      if (to == split) {
        rows.emplace_back(std::vector<float>(seq, seq + size),
                          static_cast<int32_t>(y.integers[static_cast<size_t>(i)]));
      }
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }
};

TEST_P(SequenceFileCarving, EachSequenceGoesWhereItsBucketSays) {
  const std::vector<NumericArray> arrays = file();
  const FileDataset d = read(arrays);
  EXPECT_EQ(d.info().carved_validation, GetParam().carve_validation);
  EXPECT_EQ(d.info().carved_test, GetParam().carve_test);
  int64_t from_train = 0;
  for (const Split s : {Split::train, Split::validation, Split::test}) {
    SCOPED_TRACE(to_string(s));
    const bool carved = (s == Split::validation && GetParam().carve_validation) ||
                        (s == Split::test && GetParam().carve_test);
    if (s == Split::train || carved) {
      const std::vector<Row> want = expected(arrays, s);
      EXPECT_EQ(sorted_rows(d.split(s)), want);
      EXPECT_GT(want.size(), 0u);
      from_train += d.split(s).count();
    } else {
      EXPECT_EQ(d.split(s).count(), 3);  // as given
    }
  }
  EXPECT_EQ(from_train, kTrain);
  // Each carved bucket (0: test, 1: validation) holds about a tenth of train.
  for (const Split s : {Split::validation, Split::test}) {
    const bool carved =
        s == Split::validation ? GetParam().carve_validation : GetParam().carve_test;
    if (carved) {
      EXPECT_NEAR(static_cast<double>(d.split(s).count()), 20.0, 10.0) << to_string(s);
    }
  }
}

TEST_P(SequenceFileCarving, TheFileOrderDoesNotChangeTheSplits) {
  std::vector<NumericArray> arrays = file();
  const FileDataset in_order = read(arrays);
  // The same sequences (with their labels) in another order.
  std::vector<size_t> order(kTrain);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  const NumericArray x = arrays[0];
  const NumericArray y = arrays[1];
  const int64_t size = kSteps * kFeatures;
  for (size_t i = 0; i < order.size(); ++i) {
    std::copy_n(x.floats.begin() + static_cast<int64_t>(order[i]) * size, size,
                arrays[0].floats.begin() + static_cast<int64_t>(i) * size);
    arrays[1].integers[i] = y.integers[order[i]];
  }
  const FileDataset shuffled = read(arrays);
  for (const Split s : {Split::train, Split::validation, Split::test}) {
    EXPECT_EQ(sorted_rows(shuffled.split(s)), sorted_rows(in_order.split(s))) << to_string(s);
  }
}

TEST_P(SequenceFileCarving, EqualSequencesShareASplit) {
  const FileDataset d = read(file());
  std::map<std::vector<float>, Split> seen;
  for (const Split s : {Split::train, Split::validation, Split::test}) {
    for (const Row& row : sorted_rows(d.split(s))) {
      const auto [it, added] = seen.emplace(row.first, s);
      EXPECT_EQ(it->second, s) << "a sequence in " << to_string(it->second) << " and "
                               << to_string(s);
    }
  }
  EXPECT_LT(seen.size(), static_cast<size_t>(kTrain + 6));  // the 20 copies were there
}

TEST_P(SequenceFileCarving, TheNotesSayWhatWasCarved) {
  const std::vector<std::string> notes = split_notes(read(file()));
  ASSERT_FALSE(notes.empty());
  expect_parts(notes[0], {kFile, "content hash", " train / "});
  for (const Split s : {Split::validation, Split::test}) {
    const bool carved =
        s == Split::validation ? GetParam().carve_validation : GetParam().carve_test;
    const std::string start = std::string(to_string(s)) + ": not in the file, carved from x_train";
    const bool noted = std::any_of(notes.begin(), notes.end(), [&](const std::string& n) {
      return n.rfind(start, 0) == 0 && contains(n, s == Split::test ? "== 0" : "== 1");
    });
    EXPECT_EQ(noted, carved) << to_string(s);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SequenceFileCarving,
                         ::testing::Values(CarveCase{"validation_and_test", true, true},
                                           CarveCase{"validation_only", true, false},
                                           CarveCase{"test_only", false, true}),
                         case_name<CarveCase>);

TEST(SequenceFileCarvingNotes, NothingCarvedNothingSaid) {
  for (const std::string& note : split_notes(read(real_file()))) {
    EXPECT_FALSE(contains(note, "carved")) << note;
  }
}

// ---- The content hash.

TEST(SequenceFileHash, TheSameArraysGiveTheSameHash) {
  const std::string hash = read(real_file()).info().hash;
  EXPECT_EQ(hash.size(), 16u);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos) << hash;
  EXPECT_EQ(read(real_file()).info().hash, hash);
  std::vector<NumericArray> reordered = real_file();  // the arrays' order in the file
  std::reverse(reordered.begin(), reordered.end());
  EXPECT_EQ(read(reordered).info().hash, hash);
}

TEST(SequenceFileHash, OneChangedValueChangesIt) {
  const std::string hash = read(real_file()).info().hash;
  const std::vector<std::pair<const char*, std::function<void(std::vector<NumericArray>&)>>>
      changes = {
          {"a train value", [](auto& a) { find(a, "x_train").floats[7] += 1e-3f; }},
          {"a validation value", [](auto& a) { find(a, "x_validation").floats[0] *= -1.0f; }},
          {"a test label", [](auto& a) { find(a, "y_test").integers[2] = 0; }},
          {"a train label", [](auto& a) { find(a, "y_train").integers[0] = 1; }},
      };
  for (const auto& [what, change] : changes) {
    std::vector<NumericArray> arrays = real_file();
    change(arrays);
    EXPECT_NE(read(arrays).info().hash, hash) << what;
  }
}

// ---- Refusals: each names the file, the array and the problem.

using Edit = std::function<void(std::vector<NumericArray>&)>;

struct Refusal {
  const char* name;
  Edit edit;                                  // applied to real_file()
  std::vector<std::string> parts;             // besides the file name
  std::vector<std::string> class_names = {};  // the metadata's
};

void PrintTo(const Refusal& r, std::ostream* os) {
  *os << r.name;
}

void every_label_zero(std::vector<NumericArray>& a) {
  for (const char* y : {"y_train", "y_validation", "y_test"}) {
    for (int64_t& label : find(a, y).integers) label = 0;
  }
}

// real_file() with per-step targets [N, 4, 1] for labels, then `edit`.
Edit with_targets(const Edit& edit) {
  return [edit](std::vector<NumericArray>& a) {
    for (int s = 0; s < 3; ++s) {
      const std::string y = std::string("y_") + kSplitNames[s];
      put(a, step_targets(y, kSplitCounts[s]));
    }
    edit(a);
  };
}

// real_file() with token ids [N, 4] (0..4) for x, then `edit`.
Edit with_tokens(const Edit& edit) {
  return [edit](std::vector<NumericArray>& a) {
    for (int s = 0; s < 3; ++s) {
      put(a, token_ids(std::string("x_") + kSplitNames[s], kSplitCounts[s]));
    }
    edit(a);
  };
}

std::vector<Refusal> refusals() {
  return {
      {"missing_x_train",
       [](auto& a) {
         drop(a, "x_train");
         drop(a, "y_train");
       },
       {"no x_train and y_train", "the file's arrays: x_validation"}},
      {"x_without_y", [](auto& a) { drop(a, "y_train"); }, {"x_train without y_train"}},
      {"y_without_x", [](auto& a) { drop(a, "x_test"); }, {"y_test without x_test"}},
      {"x_of_rank_4",
       [](auto& a) {
         put(a, random_real("x_train", {6, kSteps, kFeatures, 1}));
       },
       {"array x_train", "[6, 4, 2, 1]", "expected [sequences, steps, features]"}},
      {"real_x_of_rank_2",
       [](auto& a) {
         put(a, random_real("x_train", {6, kSteps}));
       },
       {"array x_train", "real features need 3 axes", "x[..., None]"}},
      {"y_of_rank_2",
       [](auto& a) {
         put(a, integer("y_train", {6, kSteps}, cycle(6 * kSteps, 0, 2)));
       },
       {"array y_train",
        "expected [sequences] (integer class labels) or [sequences, steps, "
        "outputs]"}},
      {"targets_in_test_labels_in_train",
       [](auto& a) { put(a, step_targets("y_test", 3)); },
       {"array y_test", "expected [sequences] class labels, as y_train"}},
      {"float_labels",
       [](auto& a) {
         put(a, real("y_train", {6}, {0, 1, 2, 0, 1, 2}));
       },
       {"array y_train", "must be integers"}},
      {"float_labels_in_validation",
       [](auto& a) {
         put(a, real("y_validation", {3}, {0, 1, 2}));
       },
       {"array y_validation", "must be integers"}},
      {"negative_label",
       [](auto& a) { find(a, "y_train").integers[3] = -1; },
       {"array y_train", "label -1 of sequence 3", "outside 0..2"}},
      {"one_class", every_label_zero, {"array y_train", "at least 2 classes"}},
      // One class named in the metadata is still one class.
      {"one_class_named_in_the_metadata",
       every_label_zero,
       {"array y_train", "at least 2 classes"},
       {"only"}},
      {"label_beyond_the_class_names",
       [](auto&) {},
       {"array y_train", "label 2 of sequence 2", "outside 0..1"},
       {"cat", "dog"}},
      {"steps_disagree",
       [](auto& a) {
         put(a, random_real("x_test", {3, kSteps + 1, kFeatures}));
       },
       {"array x_test", "[3, 5, 2]", "disagrees with the training split's [N, 4, 2]"}},
      {"features_disagree",
       [](auto& a) {
         put(a, random_real("x_validation", {3, kSteps, kFeatures + 1}));
       },
       {"array x_validation", "disagrees with the training split's [N, 4, 2]"}},
      {"x_and_y_counts_disagree",
       [](auto& a) { put(a, integer("y_train", {5}, cycle(5, 0, 2))); },
       {"array y_train", "holds 5 entries for the 6 sequences of x_train"}},
      {"empty_split",
       [](auto& a) {
         put(a, real("x_test", {0, kSteps, kFeatures}, {}));
         put(a, integer("y_test", {0}, {}));
       },
       {"array x_test", "an empty split"}},
      {"nan_in_x",
       [](auto& a) { find(a, "x_train").floats[1 * 8 + 2 * 2 + 0] = kNaN; },
       {"array x_train", "at [1, 2, 0]", "is not finite", "value nan at [1, 2, 0]"}},
      {"inf_in_x",
       [](auto& a) { find(a, "x_validation").floats[2 * 8 + 3 * 2 + 1] = -kInf; },
       {"array x_validation", "at [2, 3, 1]", "is not finite", "value -inf at"}},
      {"integer_x_beyond_float32",
       [](auto& a) {
         put(a, integer("x_train", {6, kSteps, kFeatures}, std::vector<int64_t>(48, 1 << 25)));
       },
       {"array x_train", "33554432", "beyond 2^24"}},
      {"nan_in_targets",
       with_targets([](auto& a) { find(a, "y_train").floats[1 * 4 + 2] = kNaN; }),
       {"array y_train", "target nan at [1, 2, 0]", "outside [0, 1]"}},
      {"inf_in_targets",
       with_targets([](auto& a) { find(a, "y_test").floats[3] = kInf; }),
       {"array y_test", "target inf at [0, 3, 0]", "outside [0, 1]"}},
      {"target_above_one",
       with_targets([](auto& a) { find(a, "y_validation").floats[5] = 1.5f; }),
       {"array y_validation", "target 1.5", "at [1, 1, 0]", "outside [0, 1]", "sigmoid"}},
      {"target_below_zero",
       with_targets([](auto& a) { find(a, "y_train").floats[0] = -0.25f; }),
       {"array y_train", "target -0.25", "outside [0, 1]"}},
      {"targets_of_other_outputs",
       with_targets([](auto& a) { put(a, targets("y_test", 3, kSteps, 2)); }),
       {"array y_test", "expected per-step targets [N, 4, 1], as y_train"}},
      {"token_id_beyond_the_vocabulary",
       with_tokens([](auto& a) {
         a.push_back(integer("vocabulary", {}, {5}));
         find(a, "x_test").integers[6] = 5;
       }),
       {"array x_test", "token id 5 at [1, 2]", "outside 0..4 (the vocabulary)"}},
      {"negative_token_id",
       with_tokens([](auto& a) { find(a, "x_train").integers[0] = -1; }),
       {"array x_train", "token id -1 at [0, 0]"}},
      {"float_token_ids_in_one_split",
       with_tokens([](auto& a) {
         put(a, random_real("x_validation", {3, kSteps}));
       }),
       {"array x_validation", "token ids must be integers"}},
      {"vocabulary_not_an_integer",
       with_tokens([](auto& a) { a.push_back(real("vocabulary", {}, {5})); }),
       {"array vocabulary", "expected one integer"}},
      {"a_lengths_array",
       [](auto& a) { a.push_back(integer("lengths", {6}, cycle(6, 1, 4))); },
       {"array lengths", "variable-length", "Pad each one", "drop 'lengths'"}},
      {"carving_leaves_a_split_empty",
       [](auto& a) {
         a = {random_real("x_train", {2, kSteps, kFeatures}), integer("y_train", {2}, {0, 1})};
       },
       {"carving validation and test from x_train (2 sequences)", "split empty",
        "give it in the file"}},
  };
}

class SequenceFileRefusal : public ::testing::TestWithParam<Refusal> {};

TEST_P(SequenceFileRefusal, NamesTheFileTheArrayAndTheProblem) {
  std::vector<NumericArray> arrays = real_file();
  GetParam().edit(arrays);
  const std::string message = runtime_error_of([&] { read(arrays, GetParam().class_names); });
  EXPECT_EQ(message.rfind(std::string(kFile) + ": ", 0), 0u) << message;
  expect_parts(message, GetParam().parts);
}

INSTANTIATE_TEST_SUITE_P(Cases, SequenceFileRefusal, ::testing::ValuesIn(refusals()),
                         case_name<Refusal>);

// ---- Files written by NumPy and PyTorch (/usr/bin/python3).

bool python_has(const std::string& module) {
  return std::system(("/usr/bin/python3 -c 'import " + module + "' >/dev/null 2>&1").c_str()) == 0;
}

// Arrays of 40 sequences of 5 steps x 3 features, x[i, t, f] = (15 i + 3 t + f) / 7 as float32
// (np.float32 division, the same as C++'s), labels i % 3; 30 train, 5 validation, 5 test.
constexpr const char* kArraysScript = R"(import json
import numpy as np
x = (np.arange(40 * 5 * 3, dtype=np.float32).reshape(40, 5, 3) / np.float32(7)).astype(np.float32)
y = np.arange(40, dtype=np.int64) % 3
splits = dict(x_train=x[:30], y_train=y[:30], x_validation=x[30:35], y_validation=y[30:35],
              x_test=x[35:], y_test=y[35:])
)";

constexpr int64_t kDiskCounts[3] = {30, 5, 5};

// Runs kArraysScript then `script` in `dir` (the working folder); true when python3 succeeds.
bool run_python(const TempDir& dir, const std::string& script) {
  std::ofstream(dir / "write.py") << kArraysScript << script;
  const std::string command =
      "cd '" + dir.path().string() + "' && OPENBLAS_NUM_THREADS=1 /usr/bin/python3 write.py";
  return std::system(command.c_str()) == 0;
}

// The sequences of kArraysScript's splits, as read.
void expect_script_arrays(const FileDataset& d) {
  EXPECT_EQ(d.steps(), 5);
  EXPECT_EQ(d.features(), 3);
  EXPECT_EQ(d.outputs(), 0);
  int64_t first = 0;
  for (int s = 0; s < 3; ++s) {
    SCOPED_TRACE(kSplitNames[s]);
    const Sequences& got = d.split(static_cast<Split>(s));
    ASSERT_EQ(got.count(), kDiskCounts[s]);
    for (int64_t i = 0; i < got.count(); ++i) {
      EXPECT_EQ(got.labels[static_cast<size_t>(i)], (first + i) % 3);
      for (int64_t k = 0; k < 15; ++k) {
        const float want = static_cast<float>((first + i) * 15 + k) / 7.0f;
        ASSERT_EQ(got.sequence(i)[k], want) << "sequence " << i << " value " << k;
      }
    }
    first += got.count();
  }
}

class SequenceFileOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!python_has("numpy")) {
      GTEST_SKIP() << "/usr/bin/python3 with numpy not found (Debian: python3-numpy)";
    }
  }
  TempDir dir_;
};

TEST_F(SequenceFileOnDisk, StoredAndCompressedNpzAreTheSameSequencesAndHash) {
  ASSERT_TRUE(run_python(dir_,
                         "np.savez('stored.npz', **splits)\n"
                         "np.savez_compressed('compressed.npz', **splits)\n"));
  const FileDataset stored = load_sequence_file(dir_ / "stored.npz");
  const FileDataset compressed = load_sequence_file(dir_ / "compressed.npz");
  for (const FileDataset* d : {&stored, &compressed}) {
    expect_script_arrays(*d);
    EXPECT_EQ(d->info().format, "npz");
    EXPECT_EQ(d->num_classes(), 3);
    EXPECT_TRUE(d->info().description.empty());
  }
  EXPECT_EQ(stored.info().path, (dir_ / "stored.npz").string());
  EXPECT_EQ(stored.info().hash, compressed.info().hash);
}

TEST_F(SequenceFileOnDisk, MetadataBesideTheFile) {
  ASSERT_TRUE(run_python(dir_, R"(np.savez('d.npz', **splits)
json.dump({'description': 'three pulses', 'features': 'three sensors, volts',
           'class_names': ['low', 'mid', 'high', 'none']}, open('d.npz.json', 'w'))
)"));
  const FileDataset d = load_sequence_file(dir_ / "d.npz");
  EXPECT_EQ(d.num_classes(), 4);  // the class names, though labels go to 2 only
  EXPECT_EQ(d.info().class_names, (std::vector<std::string>{"low", "mid", "high", "none"}));
  EXPECT_EQ(d.info().description, "three pulses");
  EXPECT_EQ(d.info().features, "three sensors, volts");
  const nlohmann::json source = d.source();
  EXPECT_EQ(source.at("hash"), d.info().hash);
  EXPECT_EQ(source.at("description"), "three pulses");
  EXPECT_TRUE(std::filesystem::path(source.at("file").get<std::string>()).is_absolute());
}

TEST_F(SequenceFileOnDisk, CarvedSplitsWhenTheFileHasOnlyTrain) {
  ASSERT_TRUE(run_python(dir_, "np.savez('d.npz', x_train=x, y_train=y)\n"));
  const FileDataset d = load_sequence_file(dir_ / "d.npz");
  EXPECT_TRUE(d.info().carved_validation);
  EXPECT_TRUE(d.info().carved_test);
  EXPECT_EQ(d.split(Split::train).count() + d.split(Split::validation).count() +
                d.split(Split::test).count(),
            40);
}

TEST_F(SequenceFileOnDisk, APyTorchFileReadsAsTheSameNpz) {
  if (!python_has("torch")) {
    GTEST_SKIP() << "/usr/bin/python3 with torch not found (Debian: python3-torch)";
  }
  ASSERT_TRUE(run_python(dir_, R"(import torch
np.savez('d.npz', **splits)
torch.save({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in splits.items()}, 'd.pt')
)"));
  const FileDataset npz = load_sequence_file(dir_ / "d.npz");
  const FileDataset torch = load_sequence_file(dir_ / "d.pt");
  expect_script_arrays(torch);
  EXPECT_EQ(torch.info().format, "torch");
  EXPECT_EQ(torch.num_classes(), npz.num_classes());
  for (const Split s : {Split::train, Split::validation, Split::test}) {
    EXPECT_EQ(torch.split(s).values, npz.split(s).values) << to_string(s);
    EXPECT_EQ(torch.split(s).labels, npz.split(s).labels) << to_string(s);
  }
  EXPECT_EQ(torch.info().hash, npz.info().hash);
}

struct FileRefusal {
  const char* name;
  const char* file;    // read from the temporary folder
  const char* script;  // writes it with numpy ("": nothing written)
  std::vector<std::string> parts;
};

void PrintTo(const FileRefusal& r, std::ostream* os) {
  *os << r.name;
}

class SequenceFileDiskRefusal : public ::testing::TestWithParam<FileRefusal> {
 protected:
  TempDir dir_;
};

TEST_P(SequenceFileDiskRefusal, NamesTheFileAndTheProblem) {
  const FileRefusal& r = GetParam();
  if (*r.script != '\0') {
    if (!python_has("numpy")) {
      GTEST_SKIP() << "/usr/bin/python3 with numpy not found (Debian: python3-numpy)";
    }
    ASSERT_TRUE(run_python(dir_, r.script));
  }
  const std::string path = (dir_ / r.file).string();
  const std::string message = runtime_error_of([&] { load_sequence_file(path); });
  EXPECT_TRUE(contains(message, path)) << message;
  expect_parts(message, r.parts);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SequenceFileDiskRefusal,
    ::testing::Values(
        FileRefusal{
            "a_lone_npy", "d.npy", "np.save('d.npy', x)\n", {"a .npy holds one array", "np.savez"}},
        FileRefusal{"an_unknown_extension",
                    "d.csv",
                    "open('d.csv', 'w').write('1,2\\n')\n",
                    {"not a data file mpgru reads", ".npz"}},
        FileRefusal{"no_such_file", "missing.npz", "", {"no such data file"}},
        FileRefusal{"metadata_not_json",
                    "d.npz",
                    "np.savez('d.npz', **splits)\nopen('d.npz.json', 'w').write('{\"a\": ')\n",
                    {"d.npz.json: metadata not read", "class_names"}},
        FileRefusal{"a_label_beyond_the_metadata_class_names",
                    "d.npz",
                    "np.savez('d.npz', **splits)\n"
                    "json.dump({'class_names': ['a', 'b']}, open('d.npz.json', 'w'))\n",
                    {"array y_train", "label 2 of sequence 2", "outside 0..1"}},
        FileRefusal{
            "a_broken_npz", "d.npz", "open('d.npz', 'wb').write(b'PK\\x03\\x04broken')\n", {}}),
    case_name<FileRefusal>);

}  // namespace
}  // namespace mpgru::data
