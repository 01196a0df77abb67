// FNV-1a 64-bit, fed piece by piece: content hashes of files and data sets, and their text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mpgru::core {

class Fnv1a {
 public:
  void add(const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) {
      hash_ ^= p[i];
      hash_ *= 0x100000001b3;  // FNV-1a 64-bit prime
    }
  }
  uint64_t value() const { return hash_; }
  // The hash as 16 lowercase hex digits.
  std::string hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text(16, '0');
    uint64_t h = hash_;
    for (size_t i = text.size(); i-- > 0; h >>= 4) text[i] = kDigits[h & 0xF];
    return text;
  }

 private:
  uint64_t hash_ = 0xcbf29ce484222325;  // FNV-1a 64-bit offset basis
};

}  // namespace mpgru::core
