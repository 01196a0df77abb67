// libFuzzer: a mutated data.pkl, packed into a valid zip archive with storage records 0..3 (256
// bytes each) so that the pickle reader, the tensor views and the GRU mapping see every mutation.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "torchfile/gru_import.hpp"
#include "zip_archive.hpp"

namespace {

// The archive bytes: a/data.pkl = the input, a/data/K = 256 bytes of small floats.
std::string archive_of(const uint8_t* data, size_t size) {
  static const std::vector<float> storage(64, 0.25f);
  const std::string floats(reinterpret_cast<const char*>(storage.data()),
                           storage.size() * sizeof(float));
  std::vector<std::pair<std::string, std::string>> records = {
      {"a/data.pkl", std::string(reinterpret_cast<const char*>(data), size)}};
  for (int k = 0; k < 4; ++k) records.emplace_back("a/data/" + std::to_string(k), floats);
  return mpgru::fuzz::zip_archive(records);
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
