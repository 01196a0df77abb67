// Helpers shared by the libFuzzer harnesses: the input as bytes, and a file holding it for the
// readers that take paths (one per process, in /dev/shm when it exists).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace mpgru::fuzz {

inline std::vector<uint8_t> bytes_of(const uint8_t* data, size_t size) {
  return std::vector<uint8_t>(data, data + size);
}

// Writes the input to a per-process file with `extension` and returns its path.
inline std::filesystem::path as_file(const uint8_t* data, size_t size,
                                     const std::string& extension) {
  const std::filesystem::path dir =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  const std::filesystem::path path = dir / ("mpgru-fuzz-" + std::to_string(getpid()) + extension);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace mpgru::fuzz
