// The run's metric: error() and score() are inverses with 0 at the reference and 1 at no
// improvement, the iso tolerances, the printed units, and refusal of unknown names, references
// that are not positive and malformed JSON entries.
#include "report/metric.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixtures/messages.hpp"

namespace mpgru::report {
namespace {

using nlohmann::json;

using testing::contains;
using testing::invalid_argument_of;

const Metric kAccuracy{};
const Metric kSisdr{Metric::Kind::sisdr, 8.0};
const Metric kStoi{Metric::Kind::stoi, 0.05};
const Metric kR2{Metric::Kind::r2, 0.8};

// error = 1 - score / reference, checked on values whose error is known by hand.
TEST(Metric, ErrorIsTheShareOfTheReferenceLost) {
  EXPECT_DOUBLE_EQ(kAccuracy.error(0.9851), 1 - 0.9851);
  EXPECT_NEAR(kSisdr.error(7.92), 0.01, 1e-15);  // 1 - 7.92 / 8
  EXPECT_DOUBLE_EQ(kSisdr.error(-4.0), 1.5);     // worse than the noisy input
  EXPECT_DOUBLE_EQ(kStoi.error(0.04), 0.2);      // 1 - 0.04 / 0.05
}

TEST(Metric, ErrorOfTheReferenceIsZeroAndOfNothingIsOne) {
  for (const Metric& m : {kAccuracy, kSisdr, kStoi, kR2}) {
    SCOPED_TRACE(m.name());
    EXPECT_DOUBLE_EQ(m.error(m.reference), 0.0);
    EXPECT_DOUBLE_EQ(m.error(0.0), 1.0);
    EXPECT_DOUBLE_EQ(m.score(0.0), m.reference);
    EXPECT_DOUBLE_EQ(m.score(1.0), 0.0);
  }
}

TEST(Metric, ScoreAndErrorAreInverses) {
  for (const Metric& m : {kAccuracy, kSisdr, kStoi, kR2}) {
    SCOPED_TRACE(m.name());
    for (const double score : {-3.5, -0.01, 0.0, 0.031, 0.5, 0.9851, 7.92, 12.25}) {
      EXPECT_NEAR(m.score(m.error(score)), score, 1e-12) << score;
    }
    for (const double error : {-0.25, 0.0, 0.01, 0.5, 1.0, 1.75}) {
      EXPECT_NEAR(m.error(m.score(error)), error, 1e-12) << error;
    }
  }
}

TEST(Metric, TolerancesAndNames) {
  EXPECT_DOUBLE_EQ(kAccuracy.tolerance(), 0.005);
  EXPECT_DOUBLE_EQ(kSisdr.tolerance(), 0.3);
  EXPECT_DOUBLE_EQ(kStoi.tolerance(), 0.01);
  EXPECT_EQ(kAccuracy.name(), "accuracy");
  EXPECT_EQ(kSisdr.name(), "sisdr");
  EXPECT_EQ(kStoi.name(), "stoi");
  EXPECT_EQ(kR2.name(), "r2");
  EXPECT_EQ(kR2.label(), "target R^2");
  EXPECT_EQ(kR2.column(), "r2");
  EXPECT_DOUBLE_EQ(kR2.tolerance(), 0.01);
  EXPECT_EQ(kR2.iso(), "iso-quality");
  EXPECT_EQ(kSisdr.label(), "SI-SDR improvement");
  EXPECT_EQ(kStoi.label(), "STOI improvement");
  EXPECT_EQ(kAccuracy.iso(), "iso-accuracy");
  EXPECT_EQ(kSisdr.iso(), "iso-quality");
  EXPECT_TRUE(kAccuracy.is_accuracy());
  EXPECT_FALSE(kStoi.is_accuracy());
}

struct Printed {
  const char* name;
  Metric metric;
  double score, difference;
  const char* score_text;
  const char* difference_text;
  const char* tolerance_text;
};

void PrintTo(const Printed& p, std::ostream* out) {
  *out << p.name;
}

class MetricText : public ::testing::TestWithParam<Printed> {};

TEST_P(MetricText, PrintsInTheMetricsUnits) {
  const Printed& p = GetParam();
  EXPECT_EQ(p.metric.format(p.score), p.score_text);
  EXPECT_EQ(p.metric.format_difference(p.difference), p.difference_text);
  EXPECT_EQ(p.metric.tolerance_text(), p.tolerance_text);
}

INSTANTIATE_TEST_SUITE_P(
    Metrics, MetricText,
    ::testing::Values(
        Printed{"Accuracy", kAccuracy, 0.9851, 0.0012, "98.51 %", "+0.12 pp", "0.5 pp"},
        Printed{"AccuracyLoss", kAccuracy, 0.5, -0.0049, "50.00 %", "-0.49 pp", "0.5 pp"},
        Printed{"Sisdr", kSisdr, 7.92, -0.1, "7.92 dB", "-0.10 dB", "0.3 dB"},
        Printed{"SisdrNegative", kSisdr, -3.5, 0.25, "-3.50 dB", "+0.25 dB", "0.3 dB"},
        Printed{"Stoi", kStoi, 0.031, -0.004, "0.031", "-0.004", "0.01"},
        Printed{"R2", kR2, 0.81234, -0.0071, "0.8123", "-0.0071", "0.01"}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(MakeMetric, BuildsEachKindWithItsReference) {
  EXPECT_EQ(parse_metric_kind("sisdr"), Metric::Kind::sisdr);
  EXPECT_EQ(parse_metric_kind("stoi"), Metric::Kind::stoi);
  EXPECT_EQ(parse_metric_kind("accuracy"), Metric::Kind::accuracy);
  EXPECT_EQ(parse_metric_kind("r2"), Metric::Kind::r2);
  const Metric s = make_metric("sisdr", 8.02);
  EXPECT_EQ(s.kind, Metric::Kind::sisdr);
  EXPECT_EQ(s.reference, 8.02);
  const Metric t = make_metric("stoi", 0.07);
  EXPECT_EQ(t.kind, Metric::Kind::stoi);
  EXPECT_EQ(t.reference, 0.07);
  // Accuracy ignores the reference: its error is always 1 - accuracy.
  const Metric a = make_metric("accuracy", -5);
  EXPECT_TRUE(a.is_accuracy());
  EXPECT_EQ(a.reference, 1.0);
}

TEST(MakeMetric, RefusesAnUnknownNameNamingIt) {
  for (const char* name : {"pesq", "SISDR", ""}) {
    const std::string what = invalid_argument_of([&] { make_metric(name, 8.0); });
    EXPECT_TRUE(contains(what, std::string("'") + name + "'")) << what;
    EXPECT_THROW(parse_metric_kind(name), std::invalid_argument) << name;
  }
}

// A float model that does not improve on the noisy input leaves no error scale.
TEST(MakeMetric, RefusesAReferenceThatIsNotPositive) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const char* name : {"sisdr", "stoi", "r2"}) {
    for (const double reference : {0.0, -0.0, -1.0, -1e-300, nan, inf, -inf}) {
      SCOPED_TRACE(std::string(name) + " " + std::to_string(reference));
      const std::string what = invalid_argument_of([&] { make_metric(name, reference); });
      EXPECT_TRUE(contains(what, std::string("metric ") + name)) << what;
      EXPECT_TRUE(contains(what, "not a positive finite number")) << what;
    }
  }
  const std::string what = invalid_argument_of([] { make_metric("sisdr", -1.5); });
  EXPECT_TRUE(contains(what, "-1.5")) << what;  // the value itself is named
}

TEST(MetricJson, RoundTripsEveryKind) {
  for (const Metric& m : {kAccuracy, kSisdr, kStoi, Metric{Metric::Kind::sisdr, 8.0234567891}}) {
    SCOPED_TRACE(m.name());
    const json j = to_json(m);
    EXPECT_EQ(j.at("name").get<std::string>(), m.name());
    const Metric back = metric_from_json(json::parse(j.dump()));
    EXPECT_EQ(back.kind, m.kind);
    EXPECT_EQ(back.reference, m.reference);
  }
}

// front.json of runs before quality metrics has no "metric": their scores are accuracies.
TEST(MetricJson, NullIsAccuracy) {
  const Metric m = metric_from_json(json());
  EXPECT_TRUE(m.is_accuracy());
  EXPECT_EQ(m.reference, 1.0);
}

TEST(MetricJson, MalformedEntriesAreRefused) {
  const std::vector<std::string> entries = {
      R"({"reference": 8.0})",                     // no name
      R"({"name": "sisdr", "reference": "8.0"})",  // reference a string
      R"({"name": "sisdr"})",                      // no reference
      R"({"name": 3, "reference": 8.0})",          // name a number
      R"("sisdr")",                                // not an object
      R"([])",
      R"({"name": "pesq", "reference": 8.0})",  // unknown metric
      R"({"name": "sisdr", "reference": 0})",   // a float model that does not enhance
      R"({"name": "stoi", "reference": -0.02})"};
  for (const std::string& text : entries) {
    SCOPED_TRACE(text);
    const std::string what = invalid_argument_of([&] { metric_from_json(json::parse(text)); });
    EXPECT_FALSE(what.empty());
  }
  // The entry is quoted in the message.
  const std::string what = invalid_argument_of([&] { metric_from_json(json::parse(entries[1])); });
  EXPECT_TRUE(contains(what, "\"8.0\"")) << what;
}

}  // namespace
}  // namespace mpgru::report
