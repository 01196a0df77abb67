// Target names: round trip, and a bad name refused naming the flag and the accepted values.
#include "device/target.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mpgru::device {
namespace {

TEST(Target, NamesRoundTrip) {
  ASSERT_EQ(all_targets().size(), 2u);
  for (Target t : all_targets()) EXPECT_EQ(parse_target(to_string(t)), t);
  EXPECT_EQ(parse_target("cortex-m4"), Target::cortex_m4);
  EXPECT_EQ(parse_target("cortex-m55"), Target::cortex_m55);
  EXPECT_EQ(target_names(), "cortex-m4, cortex-m55");
}

TEST(Target, UnknownNameIsRefusedNamingTheFlagAndTheChoices) {
  for (const char* bad : {"", "cortex-m7", "Cortex-M4", "m4"}) {
    try {
      parse_target(bad, "--target");
      FAIL() << bad;
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("--target"), std::string::npos) << what;
      EXPECT_NE(what.find("cortex-m4, cortex-m55"), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace mpgru::device
