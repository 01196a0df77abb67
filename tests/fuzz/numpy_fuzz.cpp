// libFuzzer: NumPy files. The input is read as a lone .npy (header literal, dtype, sizes, element
// decoding) and as an .npz archive (libzip, record reading); only std::runtime_error may escape
// the readers. Zip CRCs stop most mutations of an archive early, so the input is also packed as
// the one stored record of a valid archive, which takes it through parse_npz to parse_npy.
#include <zip.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "data/numpy_file.hpp"

namespace {

// A zip archive holding the input as its one stored record "x.npy".
std::string archive_of(const uint8_t* data, size_t size) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(buffer);
  zip_t* zip = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  const zip_int64_t index = zip_file_add(zip, "x.npy", zip_source_buffer(zip, data, size, 0), 0);
  zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  zip_close(zip);
  std::string out;
  zip_stat_t st;
  if (zip_source_open(buffer) == 0 && zip_source_stat(buffer, &st) == 0) {
    out.resize(st.size);
    out.resize(static_cast<size_t>(
        std::max<zip_int64_t>(0, zip_source_read(buffer, out.data(), st.size))));
    zip_source_close(buffer);
  }
  zip_source_free(buffer);
  zip_error_fini(&error);
  return out;
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
