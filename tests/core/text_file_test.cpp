// Files written whole or not at all, tested where writing fails: a file-size limit
// (RLIMIT_FSIZE, in a child process) stands in for a full disk.
#include "core/text_file.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <string>

#include "fixtures/temp_dir.hpp"

namespace mpgru::core {
namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs write_text_file(text, path) in a child whose files may not grow beyond `limit` bytes.
// Returns the child's exit code: 0 written, 1 a runtime_error naming the path, 2 anything else.
int write_with_size_limit(const std::string& text, const std::filesystem::path& path,
                          rlim_t limit) {
  const pid_t child = fork();
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of killing the process
    const rlimit r{limit, limit};
    setrlimit(RLIMIT_FSIZE, &r);
    try {
      write_text_file(text, path);
      _exit(0);
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      _exit(message.find(path.string()) != std::string::npos &&
                    message.find("File too large") != std::string::npos
                ? 1
                : 2);
    } catch (...) {
      _exit(2);
    }
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(WriteFileAtomically, WritesTheBytesAndLeavesNoTemporary) {
  const testing::TempDir dir;
  const std::string bytes("a\0b\nc", 5);
  write_file_atomically(bytes, dir / "x.bin");
  EXPECT_EQ(read_all(dir / "x.bin"), bytes);
  write_text_file("second", dir / "x.bin");
  EXPECT_EQ(read_all(dir / "x.bin"), "second");
  EXPECT_FALSE(std::filesystem::exists(dir / "x.bin.tmp"));
}

TEST(WriteFileAtomically, AFullDiskLeavesThePreviousFileByteIdentical) {
  const testing::TempDir dir;
  const std::string before(1000, 'o');
  write_text_file(before, dir / "config.json");
  EXPECT_EQ(write_with_size_limit(std::string(100000, 'n'), dir / "config.json", 4096), 1);
  EXPECT_EQ(read_all(dir / "config.json"), before);
  EXPECT_FALSE(std::filesystem::exists(dir / "config.json.tmp"));
}

TEST(WriteFileAtomically, AFullDiskCreatesNoFile) {
  const testing::TempDir dir;
  EXPECT_EQ(write_with_size_limit(std::string(100000, 'n'), dir / "front.csv", 4096), 1);
  EXPECT_FALSE(std::filesystem::exists(dir / "front.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir / "front.csv.tmp"));
}

TEST(WriteFileAtomically, AnUnwritableFolderIsAnErrorNamingTheFile) {
  try {
    write_text_file("x", "/nonexistent/mpgru/out.json");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/mpgru/out.json"), std::string::npos)
        << e.what();
  }
}

TEST(ReadTextFile, ReadsEveryByteAndNamesThePathWhenItCannot) {
  const testing::TempDir dir;
  std::string text(200000, 'x');
  text[0] = '\0';
  text[199999] = '\n';
  write_text_file(text, dir / "a.md");
  EXPECT_EQ(read_text_file(dir / "a.md"), text);
  write_text_file("", dir / "empty.md");
  EXPECT_EQ(read_text_file(dir / "empty.md"), "");
  for (const auto& [path, cause] : {std::pair{dir / "missing.md", "No such file or directory"},
                                    std::pair{dir.path(), "Is a directory"}}) {
    try {
      read_text_file(path);
      ADD_FAILURE() << path << " was read";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(cause), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace mpgru::core
