// Sub-byte packing of b-bit integers (b in 2..8) into a byte stream.
//
// Format `wB_sym` (signed, two's complement in B bits) and `uB` (unsigned): element i occupies
// bits [i*B, (i+1)*B) of the stream, where stream bit k is bit (k % 8) of byte k / 8 (LSB-first,
// little-endian bit order); an element may straddle two bytes. The last byte's unused high bits
// are zero. n elements take ceil(n * B / 8) bytes: bits per weight = B exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mpgru::quant {

// Bytes needed for n values of `bits` bits.
constexpr size_t packed_size(size_t n, int bits) {
  return (n * static_cast<size_t>(bits) + 7) / 8;
}
static_assert(packed_size(8, 3) == 3, "8 x 3 bits = 3 bytes");
static_assert(packed_size(5, 2) == 2, "5 x 2 bits = 10 bits -> 2 bytes");
static_assert(packed_size(1, 8) == 1, "one byte per 8-bit value");

// Packs signed values in [-(2^(bits-1)), 2^(bits-1) - 1] (two's complement) into bytes.
// Throws std::invalid_argument if bits is outside 2..8 or a value does not fit (naming its index).
std::vector<uint8_t> pack_signed(const std::vector<int8_t>& values, int bits);
// Inverse of pack_signed for n values; sign-extends. Throws std::invalid_argument if
// bytes.size() != packed_size(n, bits) or the unused high bits of the last byte are not zero.
std::vector<int8_t> unpack_signed(const std::vector<uint8_t>& bytes, size_t n, int bits);

// Unsigned variants: values in [0, 2^bits - 1].
std::vector<uint8_t> pack_unsigned(const std::vector<uint8_t>& values, int bits);
std::vector<uint8_t> unpack_unsigned(const std::vector<uint8_t>& bytes, size_t n, int bits);

// Reference per-element accessors on a packed stream (no bounds checks: callers validated).
int8_t packed_signed_at(const uint8_t* bytes, size_t i, int bits);
uint8_t packed_unsigned_at(const uint8_t* bytes, size_t i, int bits);

}  // namespace mpgru::quant
