// libFuzzer: a mutated data.pkl, packed into a valid zip archive with storage records 0..3 (256
// bytes each) so that the pickle reader, the tensor views and the GRU mapping see every mutation.
#include <zip.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "torchfile/gru_import.hpp"

namespace {

// The archive bytes: a/data.pkl = the input, a/data/K = 256 bytes of small floats.
std::string archive_of(const uint8_t* data, size_t size) {
  static const std::vector<float> storage(64, 0.25f);
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(buffer);
  zip_t* zip = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  zip_file_add(zip, "a/data.pkl", zip_source_buffer(zip, data, size, 0), ZIP_FL_ENC_UTF_8);
  for (int k = 0; k < 4; ++k) {
    zip_file_add(zip, ("a/data/" + std::to_string(k)).c_str(),
                 zip_source_buffer(zip, storage.data(), storage.size() * sizeof(float), 0),
                 ZIP_FL_ENC_UTF_8);
  }
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
  const std::string archive = archive_of(data, size);
  try {
    const mpgru::torchfile::TorchFile file = mpgru::torchfile::read_torch_bytes(archive, "fuzz.pt");
    (void)mpgru::torchfile::gru_from_torch(file);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
