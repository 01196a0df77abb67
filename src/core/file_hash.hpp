// A content hash of a file, to tell which float checkpoint a search ran on.
#pragma once

#include <filesystem>
#include <string>

namespace mpgru::core {

// FNV-1a 64-bit of the file's bytes, as 16 lowercase hex digits. Throws std::runtime_error naming
// the file if it cannot be read (missing, a directory, a read error).
std::string file_hash(const std::filesystem::path& path);

}  // namespace mpgru::core
