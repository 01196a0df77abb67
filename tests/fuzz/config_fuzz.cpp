// libFuzzer: options files, TOML (CLI11's reader) and JSON.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "cli/config_file.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (const char* extension : {".toml", ".json"}) {
    const auto path = mpgru::fuzz::as_file(data, size, extension);
    try {
      (void)mpgru::cli::config_file_arguments(path.string());
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
