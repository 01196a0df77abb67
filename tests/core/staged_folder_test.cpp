// Output files replaced together or not at all.
#include "core/staged_folder.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "core/text_file.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::core {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(StagedFolder, CommitMovesEveryStagedFileInAndRemovesTheStaging) {
  const testing::TempDir dir;
  write_text_file("old a", dir / "a.txt");
  write_text_file("kept", dir / "c.txt");
  {
    StagedFolder out(dir.path());
    EXPECT_EQ(out.path(), dir / ".staging");
    write_text_file("new a", out.path() / "a.txt");
    write_text_file("new b", out.path() / "b.txt");
    EXPECT_EQ(read_all(dir / "a.txt"), "old a");  // nothing moves before commit
    EXPECT_FALSE(fs::exists(dir / "b.txt"));
    out.commit();
  }
  EXPECT_EQ(read_all(dir / "a.txt"), "new a");
  EXPECT_EQ(read_all(dir / "b.txt"), "new b");
  EXPECT_EQ(read_all(dir / "c.txt"), "kept");
  EXPECT_FALSE(fs::exists(dir / ".staging"));
}

TEST(StagedFolder, AFailureBeforeCommitLeavesTheFolderAsItWas) {
  const testing::TempDir dir;
  write_text_file("old a", dir / "a.txt");
  try {
    StagedFolder out(dir.path());
    write_text_file("new a", out.path() / "a.txt");
    write_text_file("new b", out.path() / "b.txt");
    throw std::runtime_error("the third file failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(read_all(dir / "a.txt"), "old a");
  EXPECT_FALSE(fs::exists(dir / "b.txt"));
  EXPECT_FALSE(fs::exists(dir / ".staging"));
}

TEST(StagedFolder, LinkMakesAnExistingFileReadableInTheStaging) {
  const testing::TempDir dir;
  write_text_file("front", dir / "front.json");
  StagedFolder out(dir.path());
  out.link("front.json");
  out.link("absent.json");  // not an error: nothing to read
  EXPECT_EQ(read_all(out.path() / "front.json"), "front");
  EXPECT_FALSE(fs::exists(out.path() / "absent.json"));
}

TEST(StagedFolder, ALeftoverStagingFolderIsClearedFirst) {
  const testing::TempDir dir;
  fs::create_directories(dir / ".staging");
  write_text_file("stale", dir / ".staging" / "stale.txt");
  StagedFolder out(dir.path());
  out.commit();
  EXPECT_FALSE(fs::exists(dir / "stale.txt"));
}

TEST(StagedFolder, AnUncreatableStagingFolderIsAnErrorNamingIt) {
  const testing::TempDir dir;
  write_text_file("a file, not a folder", dir / "file");
  try {
    StagedFolder out(dir / "file");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "file" / ".staging").string()), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace mpgru::core
