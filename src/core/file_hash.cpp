// FNV-1a 64-bit file hashing.
#include "core/file_hash.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "core/fnv1a.hpp"

namespace mpgru::core {

std::string file_hash(const std::filesystem::path& path) {
  struct CloseFile {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  std::unique_ptr<std::FILE, CloseFile> file(std::fopen(path.c_str(), "rb"));
  auto fail = [&path](int error) {
    throw std::runtime_error(
        path.string() + ": cannot read file to hash: " + std::generic_category().message(error));
  };
  if (!file) fail(errno);
  Fnv1a hash;
  std::array<unsigned char, 1 << 14> buffer{};
  size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
    hash.add(buffer.data(), got);
  }
  if (std::ferror(file.get())) fail(errno);  // e.g. a directory: fopen succeeds, fread does not
  return hash.hex();
}

}  // namespace mpgru::core
