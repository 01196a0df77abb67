// Staged output files: write into TARGET/.staging, then rename into TARGET.
#include "core/staged_folder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>
#include <utility>

namespace mpgru::core {

namespace fs = std::filesystem;

StagedFolder::StagedFolder(fs::path target)
    : target_(std::move(target)), staging_(target_ / ".staging") {
  std::error_code ec;
  fs::remove_all(staging_, ec);
  if (!ec) fs::create_directories(staging_, ec);
  if (ec) {
    throw std::runtime_error(staging_.string() +
                             ": cannot create the staging folder: " + ec.message());
  }
}

StagedFolder::~StagedFolder() {
  std::error_code ignored;  // a destructor must not throw; a leftover folder is removed next time
  fs::remove_all(staging_, ignored);
}

void StagedFolder::link(const std::string& name) {
  const fs::path from = target_ / name;
  const fs::path to = staging_ / name;
  std::error_code ec;
  if (!fs::exists(from, ec)) return;
  fs::create_hard_link(from, to, ec);
  if (ec) fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec)
    throw std::runtime_error(to.string() + ": cannot stage " + from.string() + ": " + ec.message());
}

void StagedFolder::commit() {
  for (const fs::directory_entry& entry : fs::directory_iterator(staging_)) {
    if (!entry.is_regular_file()) continue;
    const fs::path to = target_ / entry.path().filename();
    std::error_code ec;
    fs::rename(entry.path(), to, ec);
    if (ec)
      throw std::runtime_error(to.string() + ": cannot move the new file in: " + ec.message());
  }
  const int fd = ::open(target_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);  // the renames are durable; a folder that cannot be synced is not an error
    ::close(fd);
  }
}

std::string with_path_replaced(std::string message, const fs::path& from, const fs::path& to) {
  const std::string old_text = from.string(), new_text = to.string();
  if (old_text.empty()) return message;
  for (size_t at = message.find(old_text); at != std::string::npos;
       at = message.find(old_text, at + new_text.size())) {
    message.replace(at, old_text.size(), new_text);
  }
  return message;
}

}  // namespace mpgru::core
