// Task registry: lookup, and the errors a user sees for unknown tasks and missing data.
#include "data/task.hpp"

#include <gtest/gtest.h>

#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

TEST(Task, KnowsSmnist) {
  EXPECT_EQ(find_task("smnist").name, "smnist");
  EXPECT_FALSE(tasks().empty());
}

TEST(Task, UnknownTaskListsTheKnownOnes) {
  try {
    find_task("mnist");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown task 'mnist'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("smnist"), std::string::npos);
  }
}

TEST(Task, MissingDataFolderSaysWhereAndHow) {
  testing::TempDir dir;
  try {
    load_task("smnist", dir.path());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "mnist").string()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("setup.sh"), std::string::npos);
  }
}

TEST(Task, EmptyDataFolderNamesTheMissingFile) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "mnist");
  try {
    load_task("smnist", dir.path());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte"), std::string::npos);
  }
}

}  // namespace
}  // namespace mpgru::data
