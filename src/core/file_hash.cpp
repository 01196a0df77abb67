// FNV-1a 64-bit file hashing.
#include "core/file_hash.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

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
  uint64_t hash = 0xcbf29ce484222325;  // FNV-1a 64-bit offset basis
  std::array<unsigned char, 1 << 14> buffer{};
  size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
    for (size_t i = 0; i < got; ++i) {
      hash ^= buffer[i];
      hash *= 0x100000001b3;  // FNV-1a 64-bit prime
    }
  }
  if (std::ferror(file.get())) fail(errno);  // e.g. a directory: fopen succeeds, fread does not
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (size_t i = text.size(); i-- > 0; hash >>= 4) text[i] = kDigits[hash & 0xF];
  return text;
}

}  // namespace mpgru::core
