// libFuzzer: a mutated PyTorch file (zip archive) read and mapped onto a GRU, as `mpgru import`
// does. Zip framing and CRCs stop most mutations early; torch_pickle_fuzz goes past them.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "torchfile/gru_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const mpgru::torchfile::TorchFile file = mpgru::torchfile::read_torch_bytes(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.pt");
    (void)mpgru::torchfile::gru_from_torch(file);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
