// The evaluation store of a search: one SQLite row per evaluated genome, so a search resumes
// after a crash and never evaluates a genome twice. WAL journal; every write is its own
// transaction, committed before the evaluation counts as done.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/file_hash.hpp"

namespace mpgru::search {

// What makes two evaluations interchangeable: same task, same float checkpoint (content hash),
// same fitness settings (mode, budget, seed, calibration ... serialised by the caller) and the
// same genome (compact form).
struct EvaluationKey {
  std::string task;
  std::string checkpoint_hash;
  std::string fitness;  // canonical text of the fitness settings, e.g. "qat;steps=200;seed=1"
  std::string genome;   // compact digit string
};

struct Evaluation {
  // Measured by the integer engine: validation accuracy (classifiers) or the mean per-clip quality
  // (per-step models: SI-SDR improvement in dB, or STOI improvement).
  double accuracy = 0;
  int64_t size_bits = 0;
  int64_t footprint_bytes = 0;
  int64_t bops = 0;
  double seconds = 0;     // wall time of the evaluation
  std::string timestamp;  // UTC, ISO 8601, set by the store on insert
  // Sequences scored; 0: not recorded (stores of schema 1); -1: the genome's integer model could
  // not be built (it scores 0).
  int64_t sequences = 0;
  // Per-sequence results; empty if not recorded. Classifiers: which sequences the model
  // predicted right, bit i % 8 of byte i / 8 is sequence i ((sequences + 7) / 8 bytes). Per-step
  // models: each clip's score as a little-endian float32 (4 x sequences bytes, pack_scores).
  std::string correct;
};

class EvaluationStore {
 public:
  // Opens or creates the store at `path`. A new file gets the schema and a marker (an
  // application_id and a meta table naming mpgru and the schema version). An existing file that
  // is not an SQLite database, lacks the marker (a foreign database) or has another schema
  // version is refused with std::runtime_error naming the path and the reason, and is never
  // modified. An existing empty (0-byte) file counts as new: SQLite creates the file before
  // its first commit, so a concurrent opener of a new store may find it empty.
  explicit EvaluationStore(const std::filesystem::path& path);
  ~EvaluationStore();
  EvaluationStore(const EvaluationStore&) = delete;
  EvaluationStore& operator=(const EvaluationStore&) = delete;

  std::optional<Evaluation> find(const EvaluationKey& key) const;
  // Inserts; if the key is already present the stored row wins (returns false, nothing changes).
  bool insert(const EvaluationKey& key, const Evaluation& evaluation);
  // Inserts, or replaces a stored row that has no per-sequence results (sequences 0: written by
  // schema 1); a complete stored row wins. Returns whether the store changed.
  bool insert_or_complete(const EvaluationKey& key, const Evaluation& evaluation);
  // All rows of one (task, checkpoint, fitness), oldest first, with their genomes.
  std::vector<std::pair<std::string, Evaluation>> all(const std::string& task,
                                                      const std::string& checkpoint_hash,
                                                      const std::string& fitness) const;
  int64_t count() const;

 private:
  struct Impl;
  Impl* impl_;
};

// An Evaluation's `correct` bits, written and read here only: bit i % 8 of byte i / 8 is whether
// sequence i was predicted right.
inline std::string pack_correct(const std::vector<int32_t>& predictions,
                                const std::vector<int32_t>& labels) {
  std::string bits((predictions.size() + 7) / 8, '\0');
  for (size_t i = 0; i < predictions.size(); ++i) {
    if (predictions[i] == labels[i]) bits[i / 8] = static_cast<char>(bits[i / 8] | (1 << (i % 8)));
  }
  return bits;
}
inline bool predicted_right(const std::string& correct, int64_t i) {
  return (static_cast<unsigned char>(correct[static_cast<size_t>(i / 8)]) >> (i % 8)) & 1;
}

// A per-step model's per-clip scores as an Evaluation's `correct` bytes (float32, little-endian)
// and back; unpack_scores ignores a trailing partial value.
inline std::string pack_scores(const std::vector<float>& scores) {
  std::string bytes(4 * scores.size(), '\0');
  for (size_t i = 0; i < scores.size(); ++i) {
    uint32_t bits = 0;
    std::memcpy(&bits, &scores[i], 4);
    for (int k = 0; k < 4; ++k) bytes[4 * i + k] = static_cast<char>((bits >> (8 * k)) & 0xFF);
  }
  return bytes;
}
inline std::vector<float> unpack_scores(const std::string& bytes) {
  std::vector<float> scores(bytes.size() / 4);
  for (size_t i = 0; i < scores.size(); ++i) {
    uint32_t bits = 0;
    for (int k = 0; k < 4; ++k)
      bits |= uint32_t{static_cast<unsigned char>(bytes[4 * i + k])} << (8 * k);
    std::memcpy(&scores[i], &bits, 4);
  }
  return scores;
}

using core::file_hash;  // checkpoint keys hash the checkpoint file

}  // namespace mpgru::search
