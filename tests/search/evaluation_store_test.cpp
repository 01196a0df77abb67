// The evaluation store: round trips, first-row-wins, resume, concurrent writers, and refusal of
// every file that is not an mpgru store without touching a byte of it.
#include "search/evaluation_store.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "fixtures/temp_dir.hpp"

namespace mpgru::search {
namespace {

using mpgru::testing::TempDir;
using mpgru::testing::write_bytes;
using Bytes = std::vector<uint8_t>;

constexpr const char* kStoreName = "evaluations.sqlite";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::set<std::string> listing(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

Bytes random_bytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  Bytes bytes(size);
  for (auto& b : bytes) b = static_cast<uint8_t>(byte(rng));
  return bytes;
}

// Runs fixed SQL on `path` with a plain connection (creating the file if needed), closing it
// afterwards so that no WAL is left beside it.
void raw_exec(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK) << path;
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// The first column of every row of `sql`, as text.
std::vector<std::string> raw_column(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> values;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK) << path;
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sql;
  while (statement && sqlite3_step(statement) == SQLITE_ROW) {
    values.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return values;
}

EvaluationKey key_for(const std::string& genome) {
  return {"smnist", "0123456789abcdef", "qat;steps=200;seed=1", genome};
}

// Distinct values in every field, with integers beyond 32 bits and accuracies that are not
// exact in decimal, so a lossy column would show.
// A consistent row (the store checks rows on read): accuracy = the share of set bits of the first
// `sequences` bits of `correct`, which holds a NUL byte.
Evaluation sample(int i) {
  Evaluation evaluation;
  evaluation.size_bits = (int64_t{1} << 40) + i;
  evaluation.footprint_bytes = std::numeric_limits<int64_t>::max() - i;
  evaluation.bops = int64_t{123456789012} * (i + 1);
  evaluation.seconds = 2.5 + i;
  evaluation.sequences = 17 + i;
  evaluation.correct.assign(static_cast<size_t>((evaluation.sequences + 7) / 8), '\x5a');
  evaluation.correct[0] = '\x00';
  evaluation.correct[1] = static_cast<char>(i);
  int64_t right = 0;
  for (int64_t k = 0; k < evaluation.sequences; ++k)
    right += predicted_right(evaluation.correct, k);
  evaluation.accuracy = static_cast<double>(right) / static_cast<double>(evaluation.sequences);
  return evaluation;
}

// Every field but the timestamp, which the store sets.
void expect_same_values(const Evaluation& actual, const Evaluation& expected) {
  EXPECT_EQ(actual.accuracy, expected.accuracy);
  EXPECT_EQ(actual.sequences, expected.sequences);
  EXPECT_EQ(actual.correct, expected.correct);
  EXPECT_EQ(actual.size_bits, expected.size_bits);
  EXPECT_EQ(actual.footprint_bytes, expected.footprint_bytes);
  EXPECT_EQ(actual.bops, expected.bops);
  EXPECT_EQ(actual.seconds, expected.seconds);
}

// Opening `path` must throw std::runtime_error naming the path and `reason`, and leave the
// file (bytes and modification time) and its folder (no -wal, -shm or -journal) as they were.
void expect_refused_unchanged(const std::filesystem::path& path, const std::string& reason) {
  const Bytes before = read_bytes(path);
  const auto modified = std::filesystem::last_write_time(path);
  const std::set<std::string> files = listing(path.parent_path());
  try {
    EvaluationStore store(path);
    ADD_FAILURE() << path << " was opened; expected refusal with '" << reason << "'";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), path.string())) << e.what();
    EXPECT_TRUE(contains(e.what(), reason)) << e.what();
  }
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_EQ(std::filesystem::last_write_time(path), modified);
  EXPECT_EQ(listing(path.parent_path()), files);
}

// ---------------------------------------------------------------------------------------------
// Round trips and first-row-wins.

TEST(EvaluationStoreTest, NewStoreCarriesTheMarkerAndWal) {
  TempDir dir;
  { EvaluationStore store(dir / kStoreName); }
  const auto path = dir / kStoreName;
  EXPECT_EQ(raw_column(path, "PRAGMA application_id"),
            std::vector<std::string>{"1297106770"});  // 0x4D504752 'MPGR'
  EXPECT_EQ(raw_column(path, "PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  EXPECT_EQ(raw_column(path, "SELECT key || '=' || value FROM meta ORDER BY key"),
            (std::vector<std::string>{"format=mpgru-evaluations", "schema_version=2"}));
}

TEST(EvaluationStoreTest, InsertThenFindReturnsEveryField) {
  TempDir dir;
  EvaluationStore store(dir / kStoreName);
  EXPECT_EQ(store.count(), 0);
  EXPECT_FALSE(store.find(key_for("1234")).has_value());

  EXPECT_TRUE(store.insert(key_for("1234"), sample(7)));
  const std::optional<Evaluation> found = store.find(key_for("1234"));
  ASSERT_TRUE(found.has_value());
  expect_same_values(*found, sample(7));
  EXPECT_TRUE(
      std::regex_match(found->timestamp, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")))
      << found->timestamp;
  EXPECT_EQ(store.count(), 1);
}

// A stored row is input like any file: one that mpgru cannot have written is refused on read,
// naming the store, the genome and the problem, by find and by all.
TEST(EvaluationStoreTest, InvalidStoredRowsAreRefusedOnRead) {
  const std::vector<std::pair<std::string, std::string>> corruptions = {
      {"UPDATE evaluations SET accuracy = 2.5", "outside [0, 1]"},
      {"UPDATE evaluations SET accuracy = accuracy / 2", "disagrees with its per-sequence results"},
      {"UPDATE evaluations SET sequences = 1000", "bytes of per-sequence results for 1000"},
      {"UPDATE evaluations SET sequences = -7", "below -1"},
      {"UPDATE evaluations SET size_bits = -1", "negative size"}};
  for (const auto& [sql, problem] : corruptions) {
    TempDir dir;
    {
      EvaluationStore store(dir / kStoreName);
      ASSERT_TRUE(store.insert(key_for("1234"), sample(3)));
    }
    raw_exec(dir / kStoreName, sql);
    EvaluationStore store(dir / kStoreName);
    for (int call = 0; call < 2; ++call) {
      try {
        if (call == 0) {
          store.find(key_for("1234"));
        } else {
          const EvaluationKey k = key_for("1234");
          store.all(k.task, k.checkpoint_hash, k.fitness);
        }
        ADD_FAILURE() << sql << ": accepted";
      } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find((dir / kStoreName).string()), std::string::npos) << message;
        EXPECT_NE(message.find("genome '1234'"), std::string::npos) << message;
        EXPECT_NE(message.find(problem), std::string::npos) << message;
      }
    }
  }
}

TEST(EvaluationStoreTest, DuplicateInsertKeepsTheFirstRow) {
  TempDir dir;
  EvaluationStore store(dir / kStoreName);
  ASSERT_TRUE(store.insert(key_for("1234"), sample(1)));
  const Evaluation first = *store.find(key_for("1234"));

  EXPECT_FALSE(store.insert(key_for("1234"), sample(2)));
  const Evaluation kept = *store.find(key_for("1234"));
  expect_same_values(kept, sample(1));
  EXPECT_EQ(kept.timestamp, first.timestamp);
  EXPECT_EQ(store.count(), 1);
}

// Each key differs from the base in one field; all must be separate rows. Values travel as
// bound parameters, so quotes and SQL in a key are just text.
TEST(EvaluationStoreTest, EveryKeyFieldSeparatesRows) {
  const EvaluationKey base = key_for("1234");
  auto with = [&base](auto field, const std::string& value) {
    EvaluationKey key = base;
    key.*field = value;
    return key;
  };
  const std::vector<EvaluationKey> keys = {
      base,
      with(&EvaluationKey::task, "smnist-permuted"),
      with(&EvaluationKey::checkpoint_hash, "fedcba9876543210"),
      with(&EvaluationKey::fitness, "qat;steps=200;seed=2"),
      with(&EvaluationKey::fitness, "ptq;seed=1"),
      with(&EvaluationKey::genome, "1235"),
      with(&EvaluationKey::genome, "1234'); DROP TABLE evaluations; --"),
  };
  TempDir dir;
  EvaluationStore store(dir / kStoreName);
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_TRUE(store.insert(keys[i], sample(static_cast<int>(i)))) << i;
  }
  EXPECT_EQ(store.count(), static_cast<int64_t>(keys.size()));
  for (size_t i = 0; i < keys.size(); ++i) {
    SCOPED_TRACE(i);
    const std::optional<Evaluation> found = store.find(keys[i]);
    ASSERT_TRUE(found.has_value());
    expect_same_values(*found, sample(static_cast<int>(i)));
  }
}

TEST(EvaluationStoreTest, AllListsOneGroupOldestFirst) {
  TempDir dir;
  EvaluationStore store(dir / kStoreName);
  // Genomes out of lexical order, interleaved with rows of three neighbouring groups.
  const std::vector<std::string> genomes = {"3333", "1111", "2222", "0000"};
  for (size_t i = 0; i < genomes.size(); ++i) {
    const int value = static_cast<int>(i);
    ASSERT_TRUE(store.insert(key_for(genomes[i]), sample(value)));
    EvaluationKey other = key_for(genomes[i]);
    other.fitness = "ptq;seed=1";
    ASSERT_TRUE(store.insert(other, sample(100 + value)));
    other = key_for(genomes[i]);
    other.checkpoint_hash = "fedcba9876543210";
    ASSERT_TRUE(store.insert(other, sample(200 + value)));
    other = key_for(genomes[i]);
    other.task = "other-task";
    ASSERT_TRUE(store.insert(other, sample(300 + value)));
  }
  const EvaluationKey group = key_for("");
  const auto rows = store.all(group.task, group.checkpoint_hash, group.fitness);
  ASSERT_EQ(rows.size(), genomes.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(rows[i].first, genomes[i]);
    expect_same_values(rows[i].second, sample(static_cast<int>(i)));
    EXPECT_FALSE(rows[i].second.timestamp.empty());
  }
  EXPECT_TRUE(store.all(group.task, group.checkpoint_hash, "never-used").empty());
}

TEST(EvaluationStoreTest, ReopenedStoreResumesWithItsRows) {
  TempDir dir;
  const std::vector<std::string> genomes = {"22", "11", "33"};
  {
    EvaluationStore store(dir / kStoreName);
    for (size_t i = 0; i < genomes.size(); ++i) {
      ASSERT_TRUE(store.insert(key_for(genomes[i]), sample(static_cast<int>(i))));
    }
  }
  EvaluationStore store(dir / kStoreName);
  EXPECT_EQ(store.count(), 3);
  const EvaluationKey group = key_for("");
  const auto rows = store.all(group.task, group.checkpoint_hash, group.fitness);
  ASSERT_EQ(rows.size(), genomes.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].first, genomes[i]);
    expect_same_values(rows[i].second, sample(static_cast<int>(i)));
  }
  EXPECT_FALSE(store.insert(key_for("11"), sample(9)));
  EXPECT_TRUE(store.insert(key_for("44"), sample(9)));
  EXPECT_EQ(store.count(), 4);
}

// A bound NaN becomes NULL in SQLite; the NOT NULL column turns it into an error, not a row.
TEST(EvaluationStoreTest, NanAccuracyIsRejectedWithThePath) {
  TempDir dir;
  EvaluationStore store(dir / kStoreName);
  Evaluation evaluation = sample(1);
  evaluation.accuracy = std::nan("");
  try {
    store.insert(key_for("1234"), evaluation);
    ADD_FAILURE() << "NaN accuracy was stored";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), (dir / kStoreName).string())) << e.what();
    EXPECT_TRUE(contains(e.what(), "NOT NULL")) << e.what();
  }
  EXPECT_EQ(store.count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Opening: what becomes a store, what is refused.

// SQLite creates the file before its first commit, so a concurrent opener may find it empty.
TEST(EvaluationStoreTest, EmptyExistingFileBecomesAStore) {
  TempDir dir;
  write_bytes(dir / kStoreName, {});
  EvaluationStore store(dir / kStoreName);
  EXPECT_TRUE(store.insert(key_for("1"), sample(1)));
  EXPECT_EQ(store.count(), 1);
}

TEST(EvaluationStoreTest, MissingFolderIsAnErrorNamingThePath) {
  TempDir dir;
  const auto path = dir / "no-such-folder" / kStoreName;
  try {
    EvaluationStore store(path);
    ADD_FAILURE() << "opened " << path;
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), path.string())) << e.what();
  }
}

class CorruptedFileTest : public ::testing::TestWithParam<size_t> {};

TEST_P(CorruptedFileTest, RandomBytesAreRefusedUnchanged) {
  TempDir dir;
  write_bytes(dir / kStoreName, random_bytes(GetParam(), static_cast<uint32_t>(GetParam())));
  // SQLite reads a file of a few bytes as an empty database (no application_id), anything
  // longer as "file is not a database".
  expect_refused_unchanged(dir / kStoreName, "not an mpgru evaluation store: ");
}

INSTANTIATE_TEST_SUITE_P(Sizes, CorruptedFileTest,
                         ::testing::Values(1, 2, 16, 99, 100, 511, 512, 4096, 65536));

// Half a store: the header still promises every page, SQLite finds the file shorter.
TEST(EvaluationStoreTest, TruncatedStoreIsRefusedUnchanged) {
  TempDir dir;
  const auto path = dir / kStoreName;
  {
    EvaluationStore store(path);
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(store.insert(key_for(std::string(40, '0') + std::to_string(i)), sample(i)));
    }
  }
  const Bytes whole = read_bytes(path);
  ASSERT_GE(whole.size(), 4u * 4096u);
  write_bytes(path, Bytes(whole.begin(), whole.begin() + whole.size() / 2));
  expect_refused_unchanged(path, "damaged evaluation store: database disk image is malformed");
}

struct RefusedCase {
  const char* name;
  bool from_store;     // start from a valid store, else from a new SQLite database
  const char* sql;     // what makes it unacceptable
  const char* reason;  // expected in the message
};

void PrintTo(const RefusedCase& c, std::ostream* out) {
  *out << c.name;
}

class RefusedDatabaseTest : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(RefusedDatabaseTest, IsRefusedUnchanged) {
  TempDir dir;
  const auto path = dir / kStoreName;
  if (GetParam().from_store) EvaluationStore store(path);
  raw_exec(path, GetParam().sql);
  expect_refused_unchanged(path, GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RefusedDatabaseTest,
    ::testing::Values(
        RefusedCase{"ForeignDatabase", false,
                    "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');",
                    "not an mpgru evaluation store: application_id is 0x00000000"},
        RefusedCase{"ForeignWalDatabaseWithoutTables", false, "PRAGMA journal_mode = WAL;",
                    "not an mpgru evaluation store: application_id"},
        RefusedCase{"MetaRowsWithoutApplicationId", false,
                    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                    "INSERT INTO meta VALUES ('format', 'mpgru-evaluations'),"
                    "('schema_version', '1');",
                    "not an mpgru evaluation store: application_id"},
        RefusedCase{"OtherApplicationId", true, "PRAGMA application_id = 1;",
                    "application_id is 0x00000001, expected 0x4D504752"},
        RefusedCase{"NoMetaTable", true, "DROP TABLE meta;", "no meta table"},
        RefusedCase{"OtherFormat", true, "UPDATE meta SET value = 'x' WHERE key = 'format';",
                    "meta format is 'x'"},
        RefusedCase{"NoSchemaVersion", true, "DELETE FROM meta WHERE key = 'schema_version';",
                    "schema_version is missing"},
        RefusedCase{"SchemaVersion3", true,
                    "UPDATE meta SET value = '3' WHERE key = 'schema_version';",
                    "schema_version '3' is not supported (expected '2')"},
        RefusedCase{"SchemaOneWithoutTimestamp", true,
                    "ALTER TABLE evaluations DROP COLUMN correct; ALTER TABLE evaluations DROP "
                    "COLUMN sequences; ALTER TABLE evaluations DROP COLUMN timestamp; UPDATE meta "
                    "SET value = '1' WHERE key = 'schema_version';",
                    "timestamp"},
        RefusedCase{"NoEvaluationsTable", true, "DROP TABLE evaluations;",
                    "no such table: evaluations"},
        RefusedCase{"EvaluationsWithoutTimestamp", true,
                    "ALTER TABLE evaluations DROP COLUMN timestamp;", "timestamp"}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(EvaluationStoreTest, SchemaOneStoreIsUpgradedKeepingItsRows) {
  TempDir dir;
  const auto path = dir / kStoreName;
  {
    EvaluationStore store(path);
    store.insert(key_for("kept"), sample(1));
  }
  // Back to schema 1: the per-sequence columns did not exist.
  raw_exec(path,
           "ALTER TABLE evaluations DROP COLUMN correct; ALTER TABLE evaluations DROP COLUMN "
           "sequences; UPDATE meta SET value = '1' WHERE key = 'schema_version';");
  EvaluationStore store(path);
  const std::optional<Evaluation> kept = store.find(key_for("kept"));
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->accuracy, sample(1).accuracy);
  EXPECT_EQ(kept->sequences, 0);
  EXPECT_TRUE(kept->correct.empty());
  EXPECT_EQ(raw_column(path, "SELECT value FROM meta WHERE key = 'schema_version'"),
            std::vector<std::string>{"2"});
  Evaluation with_bits = sample(2);
  with_bits.sequences = 10;
  with_bits.correct = std::string("\xff\x01", 2);
  with_bits.accuracy = 0.9;  // 9 of the 10 bits
  store.insert(key_for("new"), with_bits);
  const std::optional<Evaluation> found = store.find(key_for("new"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->sequences, 10);
  EXPECT_EQ(found->correct, with_bits.correct);
}

TEST(EvaluationStoreTest, InsertOrCompleteFillsOnlyRowsWithoutSequences) {
  TempDir dir;
  EvaluationStore store(dir / kStoreName);
  Evaluation old = sample(1);
  old.sequences = 0;  // as a schema-1 row
  old.correct.clear();
  ASSERT_TRUE(store.insert(key_for("old"), old));
  EXPECT_TRUE(store.insert_or_complete(key_for("old"), sample(2)));
  expect_same_values(*store.find(key_for("old")), sample(2));
  // A complete row wins.
  EXPECT_FALSE(store.insert_or_complete(key_for("old"), sample(3)));
  expect_same_values(*store.find(key_for("old")), sample(2));
  // A new key is inserted.
  EXPECT_TRUE(store.insert_or_complete(key_for("new"), sample(4)));
  expect_same_values(*store.find(key_for("new")), sample(4));
  EXPECT_EQ(store.count(), 2);
}

// ---------------------------------------------------------------------------------------------
// Concurrent writers: search workers sharing one store, or one connection each (as separate
// processes would), all starting together on a file that does not exist yet.

class ConcurrentInsertTest : public ::testing::TestWithParam<bool> {};

TEST_P(ConcurrentInsertTest, TwoWritersInsertEveryRowOnce) {
  constexpr int kThreads = 2;
  constexpr int kPerThread = 500;
  const bool shared_store = GetParam();
  TempDir dir;
  const auto path = dir / kStoreName;
  std::optional<EvaluationStore> shared;
  if (shared_store) shared.emplace(path);

  std::promise<void> go;
  const std::shared_future<void> start = go.get_future().share();
  std::vector<std::future<int>> inserted;
  for (int t = 0; t < kThreads; ++t) {
    inserted.push_back(std::async(std::launch::async, [&, t] {
      start.wait();
      std::optional<EvaluationStore> own;
      if (!shared_store) own.emplace(path);
      EvaluationStore& store = shared_store ? *shared : *own;
      int count = 0;
      for (int i = 0; i < kPerThread; ++i) {
        count += store.insert(key_for(std::to_string(t) + ":" + std::to_string(i)), sample(i));
      }
      return count;
    }));
  }
  go.set_value();
  for (auto& result : inserted) EXPECT_EQ(result.get(), kPerThread);  // rethrows a failure

  EvaluationStore store(path);
  EXPECT_EQ(store.count(), kThreads * kPerThread);
  // Each writer's rows keep its own order within the merged insertion order.
  const EvaluationKey group = key_for("");
  std::map<std::string, int> next;
  for (const auto& [genome, evaluation] :
       store.all(group.task, group.checkpoint_hash, group.fitness)) {
    const std::string writer = genome.substr(0, genome.find(':'));
    EXPECT_EQ(genome, writer + ":" + std::to_string(next[writer]++));
  }
}

INSTANTIATE_TEST_SUITE_P(Writers, ConcurrentInsertTest, ::testing::Bool(), [](const auto& test) {
  return test.param ? "OneSharedStore" : "OneStorePerThread";
});

// ---------------------------------------------------------------------------------------------
// Per-step models: per-clip scores as float32 in `correct`, their mean in `accuracy`.

uint32_t bits_of(float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float float_of(uint32_t bits) {
  float value = 0;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

TEST(ScoresTest, PackUnpackRoundTripsBitExactly) {
  const std::vector<float> scores = {-3.5f,
                                     0.0f,
                                     -0.0f,
                                     7.92f,
                                     0.1f,
                                     -1e30f,
                                     std::numeric_limits<float>::max(),
                                     std::numeric_limits<float>::lowest(),
                                     std::numeric_limits<float>::min(),
                                     std::numeric_limits<float>::denorm_min(),
                                     float_of(0x7FC01234)};  // a NaN with a payload
  const std::string bytes = pack_scores(scores);
  ASSERT_EQ(bytes.size(), 4 * scores.size());
  const std::vector<float> back = unpack_scores(bytes);
  ASSERT_EQ(back.size(), scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    EXPECT_EQ(bits_of(back[i]), bits_of(scores[i])) << i;
  }
  EXPECT_TRUE(unpack_scores(pack_scores({})).empty());
}

// Little-endian float32 on every host: the store is a file other machines may read.
TEST(ScoresTest, BytesAreLittleEndianFloat32) {
  EXPECT_EQ(pack_scores({1.0f}), std::string("\x00\x00\x80\x3f", 4));  // 0x3F800000
  EXPECT_EQ(pack_scores({-3.5f, 0.5f}), std::string("\x00\x00\x60\xc0\x00\x00\x00\x3f", 8));
  EXPECT_EQ(unpack_scores(std::string("\x00\x00\x60\xc0", 4)), std::vector<float>{-3.5f});
  // A trailing partial value is ignored.
  EXPECT_EQ(unpack_scores(std::string("\x00\x00\x80\x3f\x01\x02\x03", 7)),
            std::vector<float>{1.0f});
}

// A consistent per-step row: `scores` packed, accuracy their mean as the store checks it (a
// double sum of the float values over their count).
Evaluation quality_sample(const std::vector<float>& scores) {
  Evaluation evaluation = sample(5);
  evaluation.sequences = static_cast<int64_t>(scores.size());
  evaluation.correct = pack_scores(scores);
  double sum = 0;
  for (const float v : scores) sum += v;
  evaluation.accuracy = sum / static_cast<double>(scores.size());
  return evaluation;
}

// Clips' SI-SDR improvements in dB, some negative, none exact in decimal; the mean is negative
// (no accuracy) and lies outside [0, 1].
const std::vector<float> kClipScores = {-3.5f, 7.92f, -12.125f, 0.1f, -0.3f, 1e-3f, -4.75f};

TEST(EvaluationStoreTest, PerClipScoresAreStoredAndReadBack) {
  TempDir dir;
  const Evaluation stored = quality_sample(kClipScores);
  ASSERT_LT(stored.accuracy, 0.0);
  {
    EvaluationStore store(dir / kStoreName);
    ASSERT_TRUE(store.insert(key_for("1234"), stored));
    const std::optional<Evaluation> found = store.find(key_for("1234"));
    ASSERT_TRUE(found.has_value());
    expect_same_values(*found, stored);
  }
  EvaluationStore store(dir / kStoreName);  // and after reopening
  const EvaluationKey k = key_for("");
  const auto rows = store.all(k.task, k.checkpoint_hash, k.fitness);
  ASSERT_EQ(rows.size(), 1u);
  expect_same_values(rows[0].second, stored);
  EXPECT_EQ(unpack_scores(rows[0].second.correct), kClipScores);
}

TEST(EvaluationStoreTest, OneClipAndPositiveScoresToo) {
  TempDir dir;
  EvaluationStore store(dir / kStoreName);
  const Evaluation one = quality_sample({7.92f});
  const Evaluation positive = quality_sample({8.5f, 9.25f, 7.0f});
  ASSERT_TRUE(store.insert(key_for("1"), one));
  ASSERT_TRUE(store.insert(key_for("2"), positive));
  expect_same_values(*store.find(key_for("1")), one);
  expect_same_values(*store.find(key_for("2")), positive);
}

// SQL for a `correct` blob of `bytes`.
std::string blob_literal(const std::string& bytes) {
  constexpr const char* kDigits = "0123456789ABCDEF";
  std::string hex = "X'";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0xF];
  }
  return hex + "'";
}

std::string with_score(size_t i, float value) {
  std::vector<float> scores = kClipScores;
  scores[i] = value;
  return "UPDATE evaluations SET correct = " + blob_literal(pack_scores(scores));
}

// Refused on read like the classifier rows of InvalidStoredRowsAreRefusedOnRead: by find and by
// all, naming the store, the genome and the problem.
TEST(EvaluationStoreTest, InvalidPerClipRowsAreRefusedOnRead) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<std::pair<std::string, std::string>> corruptions = {
      {"UPDATE evaluations SET accuracy = accuracy + 0.001", "disagrees with its per-clip scores"},
      {"UPDATE evaluations SET accuracy = -accuracy", "disagrees with its per-clip scores"},
      // Off by about a float32 rounding (a mean summed in float, say).
      {"UPDATE evaluations SET accuracy = accuracy * (1 + 1e-7)",
       "disagrees with its per-clip scores"},
      {with_score(2, -12.0f), "disagrees with its per-clip scores"},
      {with_score(0, nan), "not finite"},
      {with_score(6, inf), "not finite"},
      {with_score(3, -inf), "not finite"},
      {"UPDATE evaluations SET bops = -1", "negative size"},
      {"UPDATE evaluations SET seconds = -2", "seconds"}};
  for (const auto& [sql, problem] : corruptions) {
    SCOPED_TRACE(sql);
    TempDir dir;
    {
      EvaluationStore store(dir / kStoreName);
      ASSERT_TRUE(store.insert(key_for("1234"), quality_sample(kClipScores)));
    }
    raw_exec(dir / kStoreName, sql);
    EvaluationStore store(dir / kStoreName);
    for (int call = 0; call < 2; ++call) {
      try {
        if (call == 0) {
          store.find(key_for("1234"));
        } else {
          const EvaluationKey k = key_for("1234");
          store.all(k.task, k.checkpoint_hash, k.fitness);
        }
        ADD_FAILURE() << "accepted";
      } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_TRUE(contains(message, (dir / kStoreName).string())) << message;
        EXPECT_TRUE(contains(message, "genome '1234'")) << message;
        EXPECT_TRUE(contains(message, problem)) << message;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// file_hash: FNV-1a 64-bit.

uint64_t fnv1a_reference(const Bytes& bytes) {
  uint64_t hash = 0xcbf29ce484222325;
  for (uint8_t b : bytes) hash = (hash ^ b) * 0x100000001b3;
  return hash;
}

TEST(FileHashTest, KnownValues) {
  struct Case {
    std::string content;
    const char* hash;
  };
  const std::vector<Case> cases = {
      {"", "cbf29ce484222325"},
      {"a", "af63dc4c8601ec8c"},
      {"foobar", "85944171f73967e8"},
  };
  TempDir dir;
  for (const auto& c : cases) {
    write_bytes(dir / "file", Bytes(c.content.begin(), c.content.end()));
    EXPECT_EQ(file_hash(dir / "file"), c.hash) << "'" << c.content << "'";
  }
}

// Longer than the read buffer and not a multiple of it.
TEST(FileHashTest, LargeFileMatchesTheByteLoop) {
  TempDir dir;
  const Bytes bytes = random_bytes(100000, 7);
  write_bytes(dir / "file", bytes);
  char expected[17];
  std::snprintf(expected, sizeof expected, "%016llx",
                static_cast<unsigned long long>(fnv1a_reference(bytes)));
  EXPECT_EQ(file_hash(dir / "file"), expected);
}

TEST(FileHashTest, UnreadablePathIsAnErrorNamingIt) {
  TempDir dir;
  for (const auto& path : {dir / "missing", dir.path()}) {
    try {
      file_hash(path);
      ADD_FAILURE() << "hashed " << path;
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(contains(e.what(), path.string())) << e.what();
    }
  }
}

}  // namespace
}  // namespace mpgru::search
