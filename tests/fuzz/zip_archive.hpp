// An in-memory zip archive of stored records, for the harnesses whose readers take archives
// (PyTorch files, NumPy .npz): zip CRCs stop most mutations of an archive early, so a harness packs
// its input as a record of a valid archive to reach the reader behind the container.
#pragma once

#include <zip.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace mpgru::fuzz {

// (name, bytes) records, stored (no compression), in order; the archive's bytes.
inline std::string zip_archive(const std::vector<std::pair<std::string, std::string>>& records) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(buffer);
  zip_t* zip = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  for (const auto& [name, bytes] : records) {
    const zip_int64_t index = zip_file_add(
        zip, name.c_str(), zip_source_buffer(zip, bytes.data(), bytes.size(), 0), ZIP_FL_ENC_UTF_8);
    zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
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

}  // namespace mpgru::fuzz
