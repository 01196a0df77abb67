// One process per run folder: a second lock on a folder is refused naming the holder, from
// another FolderLock or another process, and the lock is free again once its holder is gone.
#include "core/folder_lock.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "fixtures/temp_dir.hpp"

namespace mpgru::core {
namespace {

std::string refusal(const std::filesystem::path& folder) {
  try {
    const FolderLock second(folder);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(FolderLock, ASecondLockIsRefusedNamingFolderAndHolder) {
  const testing::TempDir dir;
  {
    const FolderLock first(dir.path());
    const std::string message = refusal(dir.path());
    EXPECT_NE(message.find(dir.path().string() + " is in use"), std::string::npos) << message;
    EXPECT_NE(message.find("pid " + std::to_string(getpid())), std::string::npos) << message;
  }
  EXPECT_EQ(refusal(dir.path()), "");  // released with its holder
}

TEST(FolderLock, AnotherProcessesLockIsRefusedUntilItEnds) {
  const testing::TempDir dir;
  int ready[2], go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  const pid_t child = fork();
  if (child == 0) {
    const FolderLock held(dir.path());
    char c = 1;
    [[maybe_unused]] ssize_t n = write(ready[1], &c, 1);
    n = read(go[0], &c, 1);  // hold until the parent has tried
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  const std::string message = refusal(dir.path());
  EXPECT_NE(message.find("pid " + std::to_string(child)), std::string::npos) << message;
  ASSERT_EQ(write(go[1], &c, 1), 1);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(refusal(dir.path()), "");
}

TEST(FolderLock, AMissingFolderIsAnErrorNamingTheLockFile) {
  EXPECT_NE(refusal("/nonexistent/mpgru-run").find("/nonexistent/mpgru-run/.mpgru.lock"),
            std::string::npos);
}

}  // namespace
}  // namespace mpgru::core
