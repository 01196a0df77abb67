// libFuzzer: genome text (compact digits or name=bits pairs) for every layout.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/genome.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const mpgru::core::GenomeLayout layout :
       {mpgru::core::GenomeLayout{1, false}, mpgru::core::GenomeLayout{2, true}}) {
    try {
      const mpgru::core::Genome g = mpgru::core::Genome::parse(layout, text);
      if (mpgru::core::Genome::parse(layout, g.to_compact()) != g) __builtin_trap();
      if (mpgru::core::Genome::parse(layout, g.to_pairs()) != g) __builtin_trap();
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
