// libFuzzer: raw email bytes -> subject and body -> words -> token ids (task spam).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/spam.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const mpgru::data::SpamOptions options;
  const std::vector<int32_t> tokens =
      mpgru::data::spam_tokens(mpgru::data::spam_text(raw), options);
  for (int32_t t : tokens) {
    if (t < 0 || t >= mpgru::data::spam_vocabulary(options)) __builtin_trap();
  }
  return 0;
}
