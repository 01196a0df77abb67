// The number formats of the run report and the results table.
#include "report/report_format.hpp"

#include <gtest/gtest.h>

namespace mpgru::report {
namespace {

TEST(ReportFormat, FmtPrintsOneValue) {
  EXPECT_EQ(fmt("%.1f %%", 12.34), "12.3 %");
  EXPECT_EQ(fmt("%.4f", 0.75), "0.7500");
}

TEST(ReportFormat, PctShowsTwoDecimalsAndADashWhenNotRecorded) {
  EXPECT_EQ(pct(0.9874), "98.74 %");
  EXPECT_EQ(pct(1.0), "100.00 %");
  EXPECT_EQ(pct(0.0), "0.00 %");
  EXPECT_EQ(pct(-1.0), "–");
}

TEST(ReportFormat, ErrorPctIsFlooredForALogAxis) {
  EXPECT_DOUBLE_EQ(error_pct(0.9), 100.0 * (1.0 - 0.9));
  EXPECT_DOUBLE_EQ(error_pct(1.0), 0.01);
  EXPECT_DOUBLE_EQ(error_pct(0.99999), 0.01);
}

}  // namespace
}  // namespace mpgru::report
