// What a run's scores measure, and everything that depends on it: the error the search minimises,
// the iso-quality tolerance of the headline rule, the units the files and the report print.
//
// Classifiers: accuracy, a fraction of sequences; error = 1 - accuracy; iso-accuracy within
// 0.5 pp (report/headline.hpp). Per-step models (task se): the mean over clips of the SI-SDR
// improvement in dB (sisdr) or of the STOI improvement, enhanced - noisy (stoi); error = the
// fraction of the float model's validation improvement lost, 1 - score / reference, so 0 is the
// float model, 1 no improvement at all, and hypervolumes keep the reference point 1 on that axis;
// iso-quality within 0.3 dB (sisdr) or 0.01 (stoi) of homogeneous 8-bit on validation.
// Per-step models of a data file (task file, no audio to listen to): r2, how well the outputs fit
// the per-step targets, 1 - SSE / SST over every step and output of the split (the coefficient of
// determination, each output's SST about its own mean); a sequence's share is
// 1 - SSE_i / (SST / N), so the mean over sequences is the split's r2. Error and iso-quality as for
// the quality metrics, within 0.01.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace mpgru::report {

struct Metric {
  enum class Kind { accuracy, sisdr, stoi, r2 };
  Kind kind = Kind::accuracy;
  double reference = 1;  // sisdr, stoi: the float model's validation score (> 0); accuracy: 1

  bool is_accuracy() const { return kind == Kind::accuracy; }
  // The search's first objective of a genome scoring `score`.
  double error(double score) const;
  // The score whose error is `error` (the inverse of error()).
  double score(double error) const;
  // How far below 8-bit's validation score a genome may score and count as iso-quality.
  double tolerance() const;
  std::string name() const;   // "accuracy", "sisdr", "stoi", "r2"
  std::string label() const;  // "accuracy", "SI-SDR improvement", "STOI improvement", "target R^2"
  // The CSV files' score column after "val_" / "test_": accuracy, sisdri_db, stoi_improvement,
  // r2.
  std::string column() const;
  // "iso-accuracy" or "iso-quality".
  std::string iso() const;
  // A score: "98.51 %", "7.92 dB", "0.031".
  std::string format(double score) const;
  // A difference of scores: "+0.12 pp", "-0.10 dB", "-0.004".
  std::string format_difference(double difference) const;
  // The tolerance as text: "0.5 pp", "0.3 dB", "0.01".
  std::string tolerance_text() const;
};

// "accuracy", "sisdr", "stoi" or "r2"; throws std::invalid_argument naming an unknown metric.
Metric::Kind parse_metric_kind(const std::string& name);

// "accuracy", "sisdr", "stoi" or "r2" with its reference (ignored for accuracy). Throws
// std::invalid_argument naming an unknown metric or a reference that is not positive.
Metric make_metric(const std::string& name, double reference);

// {"name": ..., "reference": ...}; metric_from_json of a null value (files of older runs) is
// accuracy. metric_from_json throws std::invalid_argument on a bad entry.
nlohmann::json to_json(const Metric& metric);
Metric metric_from_json(const nlohmann::json& j);

}  // namespace mpgru::report
