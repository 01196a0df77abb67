// Text files written atomically: the whole text to a temporary file, flushed and checked, then
// renamed over the target, so a crash or a full disk never leaves a partial or empty file.
#pragma once

#include <filesystem>
#include <string>

namespace mpgru::core {

// Writes `text` to `path` through `path`.tmp and a rename. On failure the target is left as it
// was, the temporary file is removed, and std::runtime_error names the path and the cause.
void write_text_file(const std::string& text, const std::filesystem::path& path);

}  // namespace mpgru::core
