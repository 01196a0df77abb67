// A set of output files replaced together: each is written in full (core::write_file_atomically)
// into a staging folder inside the target folder, and only when every one of them is written are
// they renamed into the target. A failure part-way (a full disk, gnuplot, a bug) leaves every file
// of the target byte-identical. The renames need no space, so once staging succeeded, commit
// cannot fail for a full disk. The caller holds the folder's lock (core::FolderLock) so no two
// processes stage into one folder.
#pragma once

#include <filesystem>
#include <string>

namespace mpgru::core {

class StagedFolder {
 public:
  // Creates TARGET/.staging (removing one an interrupted process left). Throws
  // std::runtime_error naming it if it cannot be created.
  explicit StagedFolder(std::filesystem::path target);
  // Removes the staging folder and what is left in it (everything, unless commit() ran).
  ~StagedFolder();
  StagedFolder(const StagedFolder&) = delete;
  StagedFolder& operator=(const StagedFolder&) = delete;

  // Where the new files go.
  const std::filesystem::path& path() const { return staging_; }

  // Makes TARGET/NAME readable in the staging folder too (a hard link, or a copy where links are
  // not supported), for steps that read earlier outputs beside the new ones. An absent file is
  // not an error: nothing is linked.
  void link(const std::string& name);

  // Renames every regular file of the staging folder onto TARGET/<same name>, syncs TARGET and
  // removes the staging folder. Throws std::runtime_error naming the file that could not be
  // renamed (the ones before it are already in place).
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
};

// `message` with every occurrence of the path `from` replaced by `to`: errors about files being
// staged name the file they will replace (TARGET/NAME, not TARGET/.staging/NAME).
std::string with_path_replaced(std::string message, const std::filesystem::path& from,
                               const std::filesystem::path& to);

}  // namespace mpgru::core
