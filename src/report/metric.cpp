// Metrics of a run's scores.
#include "report/metric.hpp"

#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "report/report_format.hpp"

namespace mpgru::report {

double Metric::error(double score) const {
  return is_accuracy() ? 1 - score : 1 - score / reference;
}

double Metric::score(double error) const {
  return is_accuracy() ? 1 - error : (1 - error) * reference;
}

namespace {

// What each kind is called and how far below 8-bit it may score, indexed by Metric::Kind.
struct KindText {
  const char* name;
  const char* label;
  const char* column;  // the CSV files' score column (after "val_" / "test_")
  double tolerance;
  const char* tolerance_text;
};
constexpr KindText kKinds[] = {
    {"accuracy", "accuracy", "accuracy", 0.005, "0.5 pp"},
    {"sisdr", "SI-SDR improvement", "sisdri_db", 0.3, "0.3 dB"},
    {"stoi", "STOI improvement", "stoi_improvement", 0.01, "0.01"},
    {"r2", "target R^2", "r2", 0.01, "0.01"},
};

const KindText& text(Metric::Kind kind) {
  return kKinds[static_cast<int>(kind)];
}

}  // namespace

double Metric::tolerance() const {
  return text(kind).tolerance;
}

std::string Metric::name() const {
  return text(kind).name;
}

std::string Metric::label() const {
  return text(kind).label;
}

std::string Metric::column() const {
  return text(kind).column;
}

std::string Metric::iso() const {
  return is_accuracy() ? "iso-accuracy" : "iso-quality";
}

std::string Metric::format(double score) const {
  switch (kind) {
    case Kind::accuracy:
      return pct(score);
    case Kind::sisdr:
      return fmt("%.2f dB", score);
    case Kind::stoi:
      return fmt("%.3f", score);
    case Kind::r2:
      return fmt("%.4f", score);
  }
  return "";
}

std::string Metric::format_difference(double difference) const {
  switch (kind) {
    case Kind::accuracy:
      return fmt("%+.2f pp", 100 * difference);
    case Kind::sisdr:
      return fmt("%+.2f dB", difference);
    case Kind::stoi:
      return fmt("%+.3f", difference);
    case Kind::r2:
      return fmt("%+.4f", difference);
  }
  return "";
}

std::string Metric::tolerance_text() const {
  return text(kind).tolerance_text;
}

Metric::Kind parse_metric_kind(const std::string& name) {
  for (const Metric::Kind kind :
       {Metric::Kind::accuracy, Metric::Kind::sisdr, Metric::Kind::stoi, Metric::Kind::r2}) {
    if (name == text(kind).name) return kind;
  }
  throw std::invalid_argument("unknown metric '" + name +
                              "' (expected accuracy, sisdr, stoi or r2)");
}

Metric make_metric(const std::string& name, double reference) {
  Metric m;
  m.kind = parse_metric_kind(name);
  if (m.is_accuracy()) return m;
  if (!(reference > 0 && std::isfinite(reference))) {
    throw std::invalid_argument("metric " + name + ": the float model's validation score " +
                                std::to_string(reference) +
                                " is not a positive finite number (the float model does not " +
                                (m.kind == Metric::Kind::r2 ? "fit the targets" : "enhance") + ")");
  }
  m.reference = reference;
  return m;
}

nlohmann::json to_json(const Metric& metric) {
  return {{"name", metric.name()}, {"reference", metric.reference}};
}

Metric metric_from_json(const nlohmann::json& j) {
  if (j.is_null()) return {};
  if (!j.is_object() || !j.contains("name") || !j.at("name").is_string() ||
      !j.contains("reference") || !j.at("reference").is_number()) {
    throw std::invalid_argument("metric entry " + j.dump() +
                                " is not {\"name\": string, \"reference\": number}");
  }
  return make_metric(j.at("name").get<std::string>(), j.at("reference").get<double>());
}

}  // namespace mpgru::report
