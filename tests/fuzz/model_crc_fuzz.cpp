// libFuzzer: a mutated .mpq whose CRC is recomputed, so mutations reach the structural checks
// and check_model instead of stopping at the checksum; what loads is run (model_run.hpp).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/model_file.hpp"
#include "fuzz_input.hpp"
#include "model_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes = mpgru::fuzz::bytes_of(data, size);
  const size_t header = mpgru::engine::kModelHeaderBytes;
  if (bytes.size() >= header) {
    // Header: magic (8), version (4), payload length (4), CRC-32 of the payload (4): the length
    // and the CRC are made true so mutations of the payload are parsed.
    const uInt n = static_cast<uInt>(bytes.size() - header);
    for (int i = 0; i < 4; ++i) bytes[12 + i] = static_cast<uint8_t>(n >> (8 * i));
    const uint32_t crc =
        static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), bytes.data() + header, n));
    for (int i = 0; i < 4; ++i) bytes[16 + i] = static_cast<uint8_t>(crc >> (8 * i));
  }
  mpgru::engine::IntegerModel model;
  if (!mpgru::engine::parse_model(bytes, "fuzz.mpq", &model).empty()) return 0;
  mpgru::fuzz::run_model(model, data, size);
  return 0;
}
