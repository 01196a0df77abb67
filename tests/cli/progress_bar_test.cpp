// Progress display: durations, plain lines when not on a terminal, a redrawn bar when on one.
#include "cli/progress_bar.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace mpgru::cli {
namespace {

TEST(FormatDuration, SecondsMinutesHours) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(42.4), "42s");
  EXPECT_EQ(format_duration(187), "3:07");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(-5), "0s");
}

TEST(ProgressBar, PlainOutputHasOnlyLogLines) {
  std::ostringstream out;
  {
    ProgressBar bar(out, false);
    bar.update("epoch 1/2", 0.5, "10/20", 30);
    bar.log("epoch 1 done");
  }
  EXPECT_EQ(out.str(), "epoch 1 done\n");
}

TEST(ProgressBar, TerminalOutputDrawsAndClearsTheBar) {
  std::ostringstream out;
  {
    ProgressBar bar(out, true);
    bar.update("epoch 1/2", 0.5, "10/20", 65);
    EXPECT_NE(out.str().find("epoch 1/2 [===============>"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("ETA 1:05"), std::string::npos);
    bar.log("done");
  }
  EXPECT_NE(out.str().find("\r\033[Kdone\n"), std::string::npos);
}

}  // namespace
}  // namespace mpgru::cli
