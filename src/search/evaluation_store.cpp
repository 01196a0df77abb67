// The evaluation store on SQLite: a file is checked for the mpgru marker before anything is
// written to it; one mutex serialises the connection; every value travels as a bound parameter.
#include "search/evaluation_store.hpp"

#include <sqlite3.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace mpgru::search {
namespace {

// The marker. kApplicationId goes to the SQLite header (offset 68); kCreateSchema spells the
// same number in decimal because a PRAGMA takes no bound parameters, and check_marker() reads
// it back after creation, so the two cannot drift apart unnoticed.
constexpr int64_t kApplicationId = 0x4D504752;  // 'MPGR' = 1297106770
constexpr const char* kFormat = "mpgru-evaluations";
constexpr const char* kSchemaVersion = "2";
// Version 1 had no per-sequence columns; it is upgraded in place (rows kept, sequences = 0).
constexpr const char* kOldSchemaVersion = "1";
constexpr const char* kUpgradeSchema = R"sql(
ALTER TABLE evaluations ADD COLUMN sequences INTEGER NOT NULL DEFAULT 0;
ALTER TABLE evaluations ADD COLUMN correct BLOB;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
)sql";

// Long enough for another process's insert (one fsync'ed transaction) to finish.
constexpr int kBusyTimeoutMs = 10000;

// Fixed text only: the meta values are inserted through kInsertMeta with bound parameters. The
// table has a rowid (no WITHOUT ROWID) and rows are never deleted, so rowid is insertion order.
constexpr const char* kCreateSchema = R"sql(
PRAGMA application_id = 1297106770;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE evaluations (
  task TEXT NOT NULL,
  checkpoint_hash TEXT NOT NULL,
  fitness TEXT NOT NULL,
  genome TEXT NOT NULL,
  accuracy REAL NOT NULL,
  size_bits INTEGER NOT NULL,
  footprint_bytes INTEGER NOT NULL,
  bops INTEGER NOT NULL,
  seconds REAL NOT NULL,
  timestamp TEXT NOT NULL,
  sequences INTEGER NOT NULL DEFAULT 0,
  correct BLOB,
  PRIMARY KEY (task, checkpoint_hash, fitness, genome)
);
)sql";
constexpr const char* kInsertMeta = "INSERT INTO meta (key, value) VALUES (?1, ?2)";

// NOT NULL also turns a NaN accuracy or time (bound as NULL by SQLite) into an error.
constexpr const char* kInsert =
    "INSERT INTO evaluations (task, checkpoint_hash, fitness, genome, accuracy, size_bits, "
    "footprint_bytes, bops, seconds, timestamp, sequences, correct) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?10, ?11) "
    "ON CONFLICT (task, checkpoint_hash, fitness, genome) DO NOTHING";
// The Evaluation columns come first (0..7) in both reads; see read_evaluation().
constexpr const char* kFind =
    "SELECT accuracy, size_bits, footprint_bytes, bops, seconds, timestamp, sequences, correct "
    "FROM evaluations "
    "WHERE task = ?1 AND checkpoint_hash = ?2 AND fitness = ?3 AND genome = ?4";
constexpr const char* kAll =
    "SELECT accuracy, size_bits, footprint_bytes, bops, seconds, timestamp, sequences, correct, "
    "genome "
    "FROM evaluations WHERE task = ?1 AND checkpoint_hash = ?2 AND fitness = ?3 ORDER BY rowid";
constexpr const char* kCount = "SELECT count(*) FROM evaluations";
constexpr const char* kComplete =
    "UPDATE evaluations SET accuracy = ?5, size_bits = ?6, footprint_bytes = ?7, bops = ?8, "
    "seconds = ?9, timestamp = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), sequences = ?10, "
    "correct = ?11 WHERE task = ?1 AND checkpoint_hash = ?2 AND fitness = ?3 AND genome = ?4 "
    "AND sequences = 0";
// Every column of schema 1: an old store is checked for them before it is upgraded.
constexpr const char* kSchemaOneColumns =
    "SELECT task, checkpoint_hash, fitness, genome, accuracy, size_bits, footprint_bytes, bops, "
    "seconds, timestamp FROM evaluations LIMIT 0";

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;
using StatementPtr = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// A statement in use: it is reset and its bindings dropped however the use ends, so a reused
// statement never holds a read lock or points at a caller's string afterwards.
class InUse {
 public:
  explicit InUse(sqlite3_stmt* statement) : statement_(statement) {}
  ~InUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  InUse(const InUse&) = delete;
  InUse& operator=(const InUse&) = delete;
  sqlite3_stmt* get() const { return statement_; }

 private:
  sqlite3_stmt* statement_;
};

std::string column_string(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  const int bytes = sqlite3_column_bytes(statement, column);
  return text ? std::string(text, static_cast<size_t>(bytes)) : std::string();
}

Evaluation read_evaluation(sqlite3_stmt* statement) {
  Evaluation evaluation;
  evaluation.accuracy = sqlite3_column_double(statement, 0);
  evaluation.size_bits = sqlite3_column_int64(statement, 1);
  evaluation.footprint_bytes = sqlite3_column_int64(statement, 2);
  evaluation.bops = sqlite3_column_int64(statement, 3);
  evaluation.seconds = sqlite3_column_double(statement, 4);
  evaluation.timestamp = column_string(statement, 5);
  evaluation.sequences = sqlite3_column_int64(statement, 6);
  const auto* blob = static_cast<const char*>(sqlite3_column_blob(statement, 7));
  const int bytes = sqlite3_column_bytes(statement, 7);
  if (blob != nullptr) evaluation.correct.assign(blob, static_cast<size_t>(bytes));
  return evaluation;
}

// Why a stored row cannot be an evaluation mpgru wrote, or "". A row is input from a file like
// any other: it is checked before it is used as a result.
// A per-step model's row: its scores are float32 per clip and `accuracy` is their mean.
std::string quality_row_problem(const Evaluation& e) {
  const std::vector<float> scores = unpack_scores(e.correct);
  double sum = 0;
  for (float v : scores) {
    if (!std::isfinite(v)) return "a per-clip score that is not finite";
    sum += v;
  }
  const double mean = sum / static_cast<double>(scores.size());
  if (!(std::abs(mean - e.accuracy) <= 1e-9 * std::max(1.0, std::abs(mean)))) {
    return "mean score " + std::to_string(e.accuracy) + " disagrees with its per-clip scores (" +
           std::to_string(mean) + ")";
  }
  return {};
}

std::string row_problem(const Evaluation& e) {
  if (e.sequences > 0 && e.correct.size() == 4 * static_cast<size_t>(e.sequences)) {
    if (e.size_bits < 0 || e.footprint_bytes < 0 || e.bops < 0) return "a negative size or BOPs";
    if (!std::isfinite(e.seconds) || e.seconds < 0) return "seconds not finite and >= 0";
    return quality_row_problem(e);
  }
  if (!std::isfinite(e.accuracy) || e.accuracy < 0 || e.accuracy > 1) {
    return "accuracy " + std::to_string(e.accuracy) + " outside [0, 1]";
  }
  if (e.size_bits < 0 || e.footprint_bytes < 0 || e.bops < 0) return "a negative size or BOPs";
  if (!std::isfinite(e.seconds) || e.seconds < 0) return "seconds not finite and >= 0";
  if (e.sequences < -1) return "sequences " + std::to_string(e.sequences) + " below -1";
  if (e.sequences <= 0) {
    return e.correct.empty() ? "" : "per-sequence results without a sequence count";
  }
  if (e.correct.size() != static_cast<size_t>((e.sequences + 7) / 8)) {
    return std::to_string(e.correct.size()) + " bytes of per-sequence results for " +
           std::to_string(e.sequences) + " sequences";
  }
  int64_t right = 0;
  for (int64_t i = 0; i < e.sequences; ++i) right += predicted_right(e.correct, i) ? 1 : 0;
  const double accuracy = static_cast<double>(right) / static_cast<double>(e.sequences);
  if (std::abs(accuracy - e.accuracy) > 1e-9) {
    return "accuracy " + std::to_string(e.accuracy) + " disagrees with its per-sequence results (" +
           std::to_string(right) + " of " + std::to_string(e.sequences) + ")";
  }
  return {};
}

std::string hex32(int64_t value) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "0x%08X", static_cast<unsigned>(value & 0xFFFFFFFF));
  return text.data();
}

}  // namespace

struct EvaluationStore::Impl {
  std::string path;
  DbPtr db;
  // Serialises every use of the connection, its cached statements and sqlite3_changes/errmsg,
  // which is why the connection is opened SQLITE_OPEN_NOMUTEX.
  std::mutex mutex;
  StatementPtr insert;
  StatementPtr find;
  StatementPtr all;
  StatementPtr count;
  StatementPtr complete;

  explicit Impl(const std::filesystem::path& file);

  [[noreturn]] void fail(const std::string& doing) const {
    throw std::runtime_error(path + ": " + doing + ": " + sqlite3_errmsg(db.get()));
  }
  // `e` if it is a row mpgru could have written, else std::runtime_error naming the store,
  // the genome and the problem.
  Evaluation checked(const std::string& genome, Evaluation e) const {
    if (const std::string problem = row_problem(e); !problem.empty()) {
      throw std::runtime_error(path + ": the stored evaluation of genome '" + genome +
                               "' is invalid: " + problem);
    }
    return e;
  }
  [[noreturn]] void refuse(const std::string& reason) const {
    throw std::runtime_error(path + ": not an mpgru evaluation store: " + reason);
  }
  // While opening, the first read of a file is what tells a foreign or broken file apart.
  [[noreturn]] void fail_opening(const std::string& doing) const {
    switch (sqlite3_errcode(db.get())) {
      case SQLITE_NOTADB:
        refuse(sqlite3_errmsg(db.get()));
      case SQLITE_CORRUPT:
        fail("damaged evaluation store");
      default:
        fail(doing);
    }
  }
  void check(int rc, const char* doing) const {
    if (rc != SQLITE_OK) fail(doing);
  }

  void open_connection();
  StatementPtr prepare(const char* sql) const;
  // Steps `sql` (with `param` bound to ?1 if given) to its first row; nullptr if it has none.
  StatementPtr first_row(const char* sql, const char* param = nullptr) const;
  int64_t pragma_int(const char* sql) const;
  std::optional<std::string> meta_value(const char* key) const;
  void create_schema_if_empty();
  void create_schema();
  void check_marker() const;
  void upgrade_schema();
  void use_wal();
  void bind_text(sqlite3_stmt* statement, int index, const std::string& text) const;
  void bind_group(sqlite3_stmt* statement, const std::string& task,
                  const std::string& checkpoint_hash, const std::string& fitness) const;
  // Binds ?1..?11: the key and every stored field but the timestamp.
  void bind_row(sqlite3_stmt* statement, const EvaluationKey& key,
                const Evaluation& evaluation) const;
};

EvaluationStore::Impl::Impl(const std::filesystem::path& file) : path(file.string()) {
  if (path.empty()) throw std::runtime_error("evaluation store: empty path");
  open_connection();
  create_schema_if_empty();
  check_marker();
  upgrade_schema();
  // Preparing checks that the tables and columns exist before the one write below (WAL).
  insert = prepare(kInsert);
  find = prepare(kFind);
  all = prepare(kAll);
  count = prepare(kCount);
  complete = prepare(kComplete);
  use_wal();
}

void EvaluationStore::Impl::open_connection() {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  // An existing file is opened without CREATE: it is inspected, never created anew.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (exists ? 0 : SQLITE_OPEN_CREATE);
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db.reset(raw);
  if (rc != SQLITE_OK) {
    throw std::runtime_error(path + ": cannot open evaluation store: " +
                             (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  check(sqlite3_busy_timeout(db.get(), kBusyTimeoutMs), "cannot set the busy timeout");
}

StatementPtr EvaluationStore::Impl::prepare(const char* sql) const {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StatementPtr statement(raw);
  if (rc != SQLITE_OK) fail_opening("cannot read evaluation store");
  return statement;
}

StatementPtr EvaluationStore::Impl::first_row(const char* sql, const char* param) const {
  StatementPtr statement = prepare(sql);
  if (param) check(sqlite3_bind_text(statement.get(), 1, param, -1, SQLITE_STATIC), "bind");
  const int rc = sqlite3_step(statement.get());
  if (rc == SQLITE_ROW) return statement;
  if (rc != SQLITE_DONE) fail_opening("cannot read evaluation store");
  return nullptr;
}

int64_t EvaluationStore::Impl::pragma_int(const char* sql) const {
  const StatementPtr row = first_row(sql);
  return row ? sqlite3_column_int64(row.get(), 0) : 0;
}

std::optional<std::string> EvaluationStore::Impl::meta_value(const char* key) const {
  const StatementPtr row = first_row("SELECT value FROM meta WHERE key = ?1", key);
  if (!row) return std::nullopt;
  return column_string(row.get(), 0);
}

// Only an empty file without pages is taken for new: one just created, by this call or by a
// concurrent opener of the same path (SQLite creates the file before its first commit). Both
// tests are needed: SQLite reads a file of a few bytes as zero pages, and a WAL database can
// have all its pages in the -wal file. Anything else, even an SQLite database without tables,
// must carry the marker.
void EvaluationStore::Impl::create_schema_if_empty() {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) != 0 || ec) return;
  if (pragma_int("PRAGMA page_count") != 0) return;
  check(sqlite3_exec(db.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
        "cannot create evaluation store");
  try {
    // Re-checked under the write lock, where a concurrent opener's schema would show. Not by
    // page_count: a write transaction on an empty file has already set up page 1.
    if (!first_row("SELECT 1 FROM sqlite_master LIMIT 1")) create_schema();
    check(sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr),
          "cannot create evaluation store");
  } catch (...) {
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void EvaluationStore::Impl::create_schema() {
  check(sqlite3_exec(db.get(), kCreateSchema, nullptr, nullptr, nullptr),
        "cannot create evaluation store");
  const StatementPtr statement = prepare(kInsertMeta);
  for (const auto& [key, value] :
       {std::pair{"format", kFormat}, std::pair{"schema_version", kSchemaVersion}}) {
    InUse use(statement.get());
    check(sqlite3_bind_text(use.get(), 1, key, -1, SQLITE_STATIC), "bind");
    check(sqlite3_bind_text(use.get(), 2, value, -1, SQLITE_STATIC), "bind");
    if (sqlite3_step(use.get()) != SQLITE_DONE) fail("cannot create evaluation store");
  }
}

// A version-1 store gains the per-sequence columns, in one transaction; other stores are left
// alone.
void EvaluationStore::Impl::upgrade_schema() {
  if (meta_value("schema_version") != std::string(kOldSchemaVersion)) return;
  prepare(kSchemaOneColumns);  // a damaged old store is refused before anything changes
  check(sqlite3_exec(db.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
        "cannot upgrade evaluation store");
  try {
    if (meta_value("schema_version") == std::string(kOldSchemaVersion)) {
      check(sqlite3_exec(db.get(), kUpgradeSchema, nullptr, nullptr, nullptr),
            "cannot upgrade evaluation store to schema 2");
    }
    check(sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr),
          "cannot upgrade evaluation store");
  } catch (...) {
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

// Reads only: a refused file must be left exactly as it was.
void EvaluationStore::Impl::check_marker() const {
  const int64_t id = pragma_int("PRAGMA application_id");
  if (id != kApplicationId) {
    refuse("application_id is " + hex32(id) + ", expected " + hex32(kApplicationId) + " ('MPGR')");
  }
  if (!first_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", "meta")) {
    refuse("no meta table");
  }
  const std::optional<std::string> format = meta_value("format");
  if (format != kFormat) {
    refuse("meta format is " + (format ? "'" + *format + "'" : "missing") + ", expected '" +
           kFormat + "'");
  }
  const std::optional<std::string> version = meta_value("schema_version");
  if (!version) refuse("meta schema_version is missing");
  if (*version != kSchemaVersion && *version != kOldSchemaVersion) {
    throw std::runtime_error(path + ": evaluation store schema_version '" + *version +
                             "' is not supported (expected '" + kSchemaVersion + "')");
  }
}

// Persistent once set, so for a store this program created it is a no-op; a store copied or
// edited in rollback mode is switched back.
void EvaluationStore::Impl::use_wal() {
  // A journal mode change that meets another connection's lock fails with SQLITE_BUSY at once,
  // without the busy handler; two openers of a new store meet exactly here, so the busy
  // timeout is applied by hand.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  std::string mode;
  for (;;) {
    const StatementPtr statement = prepare("PRAGMA journal_mode = WAL");
    const int rc = sqlite3_step(statement.get());
    if (rc == SQLITE_ROW) {
      mode = column_string(statement.get(), 0);
      break;
    }
    if (rc != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) {
      fail_opening("cannot switch to a WAL journal");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (mode != "wal") {
    throw std::runtime_error(path + ": evaluation store cannot use a WAL journal (mode is '" +
                             mode + "')");
  }
  // FULL: an evaluation counts as done only once its row survives a power cut, not just a crash.
  check(sqlite3_exec(db.get(), "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr),
        "cannot set synchronous mode");
}

// SQLITE_STATIC: the caller's strings outlive the statement's use (InUse clears the bindings).
void EvaluationStore::Impl::bind_text(sqlite3_stmt* statement, int index,
                                      const std::string& text) const {
  check(sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8),
        "cannot bind a key");
}

void EvaluationStore::Impl::bind_group(sqlite3_stmt* statement, const std::string& task,
                                       const std::string& checkpoint_hash,
                                       const std::string& fitness) const {
  bind_text(statement, 1, task);
  bind_text(statement, 2, checkpoint_hash);
  bind_text(statement, 3, fitness);
}

EvaluationStore::EvaluationStore(const std::filesystem::path& path) : impl_(new Impl(path)) {}

EvaluationStore::~EvaluationStore() {
  delete impl_;
}

std::optional<Evaluation> EvaluationStore::find(const EvaluationKey& key) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  InUse use(impl_->find.get());
  impl_->bind_group(use.get(), key.task, key.checkpoint_hash, key.fitness);
  impl_->bind_text(use.get(), 4, key.genome);
  const int rc = sqlite3_step(use.get());
  if (rc == SQLITE_ROW) return impl_->checked(key.genome, read_evaluation(use.get()));
  if (rc != SQLITE_DONE) impl_->fail("cannot look up genome '" + key.genome + "'");
  return std::nullopt;
}

void EvaluationStore::Impl::bind_row(sqlite3_stmt* statement, const EvaluationKey& key,
                                     const Evaluation& evaluation) const {
  bind_group(statement, key.task, key.checkpoint_hash, key.fitness);
  bind_text(statement, 4, key.genome);
  check(sqlite3_bind_double(statement, 5, evaluation.accuracy), "bind accuracy");
  check(sqlite3_bind_int64(statement, 6, evaluation.size_bits), "bind size_bits");
  check(sqlite3_bind_int64(statement, 7, evaluation.footprint_bytes), "bind footprint");
  check(sqlite3_bind_int64(statement, 8, evaluation.bops), "bind bops");
  check(sqlite3_bind_double(statement, 9, evaluation.seconds), "bind seconds");
  check(sqlite3_bind_int64(statement, 10, evaluation.sequences), "bind sequences");
  check(evaluation.correct.empty() ? sqlite3_bind_null(statement, 11)
                                   : sqlite3_bind_blob64(statement, 11, evaluation.correct.data(),
                                                         evaluation.correct.size(), SQLITE_STATIC),
        "bind correct");
}

bool EvaluationStore::insert(const EvaluationKey& key, const Evaluation& evaluation) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  InUse use(impl_->insert.get());
  impl_->bind_row(use.get(), key, evaluation);
  if (sqlite3_step(use.get()) != SQLITE_DONE) {
    impl_->fail("cannot store genome '" + key.genome + "'");
  }
  // 0 when ON CONFLICT DO NOTHING kept the stored row.
  return sqlite3_changes(impl_->db.get()) == 1;
}

bool EvaluationStore::insert_or_complete(const EvaluationKey& key, const Evaluation& evaluation) {
  if (insert(key, evaluation)) return true;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  InUse use(impl_->complete.get());
  impl_->bind_row(use.get(), key, evaluation);
  if (sqlite3_step(use.get()) != SQLITE_DONE) {
    impl_->fail("cannot complete genome '" + key.genome + "'");
  }
  return sqlite3_changes(impl_->db.get()) == 1;
}

std::vector<std::pair<std::string, Evaluation>> EvaluationStore::all(
    const std::string& task, const std::string& checkpoint_hash, const std::string& fitness) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  InUse use(impl_->all.get());
  impl_->bind_group(use.get(), task, checkpoint_hash, fitness);
  std::vector<std::pair<std::string, Evaluation>> rows;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
    std::string genome = column_string(use.get(), 8);
    Evaluation e = impl_->checked(genome, read_evaluation(use.get()));
    rows.emplace_back(std::move(genome), std::move(e));
  }
  if (rc != SQLITE_DONE) impl_->fail("cannot list evaluations");
  return rows;
}

int64_t EvaluationStore::count() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  InUse use(impl_->count.get());
  if (sqlite3_step(use.get()) != SQLITE_ROW) impl_->fail("cannot count evaluations");
  return sqlite3_column_int64(use.get(), 0);
}

}  // namespace mpgru::search
