// libFuzzer: IDX arrays, plain and gzipped (the MNIST and Fashion-MNIST readers).
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "data/idx.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes = mpgru::fuzz::bytes_of(data, size);
  for (uint32_t magic : {0x00000803u, 0x00000801u}) {
    try {
      (void)mpgru::data::parse_idx(bytes, magic, "fuzz.idx");
    } catch (const std::runtime_error&) {
    }
  }
  try {
    (void)mpgru::data::parse_idx(mpgru::data::gunzip(bytes, "fuzz.gz"), 0x00000803u, "fuzz.gz");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
