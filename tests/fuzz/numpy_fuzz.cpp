// libFuzzer: NumPy files. The input is read as a lone .npy (header literal, dtype, sizes, element
// decoding) and as an .npz archive (libzip, record reading); only std::runtime_error may escape
// the readers. Zip CRCs stop most mutations of an archive early, so the input is also packed as
// the one stored record of a valid archive, which takes it through parse_npz to parse_npy.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "data/numpy_file.hpp"
#include "zip_archive.hpp"

namespace {

// A zip archive holding the input as its one stored record "x.npy".
std::string archive_of(const uint8_t* data, size_t size) {
  return mpgru::fuzz::zip_archive(
      {{"x.npy", std::string(reinterpret_cast<const char*>(data), size)}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    (void)mpgru::data::parse_npy(bytes, "fuzz.npy: array fuzz", "fuzz");
  } catch (const std::runtime_error&) {
  }
  try {
    (void)mpgru::data::parse_npz(bytes, "fuzz.npz");
  } catch (const std::runtime_error&) {
  }
  try {
    (void)mpgru::data::parse_npz(archive_of(data, size), "fuzz-packed.npz");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
