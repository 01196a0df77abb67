// An advisory lock on a folder (flock on FOLDER/.mpgru.lock, which records the holder's pid), so
// two processes never work in one run folder at once. Released when the object is destroyed or
// the process ends, however it ends.
#pragma once

#include <filesystem>

namespace mpgru::core {

class FolderLock {
 public:
  // Takes the lock without waiting. Throws std::runtime_error naming the folder and the holder's
  // pid if another open of the lock file (another process, or another FolderLock) holds it, or
  // naming the cause if the lock file cannot be created.
  explicit FolderLock(const std::filesystem::path& folder);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace mpgru::core
