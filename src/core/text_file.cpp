// Atomic file writing (POSIX: open, write, fsync, close, rename, fsync of the folder), and reading.
#include "core/text_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace mpgru::core {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::filesystem::path& tmp,
                       int error, const char* step) {
  ::unlink(tmp.c_str());
  throw std::runtime_error(path.string() + ": cannot write (" + step + ": " + std::strerror(error) +
                           "); the previous file, if any, is unchanged");
}

// Every byte, across short writes and interrupted calls; false with errno set on failure.
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Makes the rename itself durable; a folder that cannot be opened or synced is not an error
// (some file systems refuse it), the file's own data is already synced.
void sync_folder(const std::filesystem::path& path) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(std::string_view bytes, const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error(path.string() + ": cannot write (open " + tmp.string() + ": " +
                             std::strerror(errno) + ")");
  }
  if (!write_all(fd, bytes)) {
    const int error = errno;
    ::close(fd);
    fail(path, tmp, error, "write");
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail(path, tmp, error, "fsync");
  }
  if (::close(fd) != 0) fail(path, tmp, errno, "close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, tmp, errno, "rename");
  sync_folder(path);
}

void write_text_file(const std::string& text, const std::filesystem::path& path) {
  write_file_atomically(text, path);
}

std::string read_text_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error(path.string() + ": cannot read (" + std::strerror(errno) + ")");
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      throw std::runtime_error(path.string() + ": cannot read (" + std::strerror(error) + ")");
    }
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace mpgru::core
