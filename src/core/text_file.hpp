// Files written whole or not at all: the bytes go to a temporary file beside the target, which is
// written in full, fsync'ed and closed with every step checked, then renamed over the target (and
// the folder fsync'ed). A crash, a full disk or a quota never leaves a partial, empty or missing
// file where the previous one was. Every output of mpgru goes through write_file_atomically.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace mpgru::core {

// Writes `bytes` to `path` through `path`.tmp and a rename. On failure the target is left as it
// was (byte-identical, or absent if it was), the temporary file is removed, and
// std::runtime_error names the path and the cause (e.g. "No space left on device").
void write_file_atomically(std::string_view bytes, const std::filesystem::path& path);

// The same for text.
void write_text_file(const std::string& text, const std::filesystem::path& path);

// The whole of a file's bytes. Throws std::runtime_error naming the path and the cause (e.g. "No
// such file or directory", "Is a directory") if it cannot be read in full.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace mpgru::core
