// Reference bit packing: one stream bit at a time, so the code reads like the format spec.
#include "quant/bitpack.hpp"

#include <cassert>
#include <limits>
#include <stdexcept>
#include <string>

namespace mpgru::quant {
namespace {

void check_bits(const char* fn, int bits) {
  if (bits < 2 || bits > 8) {
    throw std::invalid_argument(std::string(fn) + ": bits must be in 2..8, got " +
                                std::to_string(bits));
  }
}

// Low `bits` bits set.
unsigned field_mask(int bits) {
  return (1u << bits) - 1u;
}

// Writes the low `bits` bits of `field` as element i: field bit j goes to stream bit i*bits + j.
void put_field(std::vector<uint8_t>& bytes, size_t i, int bits, unsigned field) {
  for (int j = 0; j < bits; ++j) {
    const size_t k = i * static_cast<size_t>(bits) + static_cast<size_t>(j);
    if ((field >> j) & 1u) bytes[k / 8] = static_cast<uint8_t>(bytes[k / 8] | (1u << (k % 8)));
  }
}

// Reads element i as a `bits`-bit field (zero-extended): stream bit i*bits + j is field bit j.
unsigned get_field(const uint8_t* bytes, size_t i, int bits) {
  unsigned field = 0;
  for (int j = 0; j < bits; ++j) {
    const size_t k = i * static_cast<size_t>(bits) + static_cast<size_t>(j);
    field |= ((static_cast<unsigned>(bytes[k / 8]) >> (k % 8)) & 1u) << j;
  }
  return field;
}

// Validates a packed stream of n elements: bit width, exact byte count, zero padding.
void check_stream(const char* fn, const std::vector<uint8_t>& bytes, size_t n, int bits) {
  check_bits(fn, bits);
  // Guards n * bits in packed_size against wrapping around.
  if (n > std::numeric_limits<size_t>::max() / 8) {
    throw std::invalid_argument(std::string(fn) + ": element count " + std::to_string(n) +
                                " is too large");
  }
  const size_t expected = packed_size(n, bits);
  if (bytes.size() != expected) {
    throw std::invalid_argument(std::string(fn) + ": expected " + std::to_string(expected) +
                                " bytes for " + std::to_string(n) + " values of " +
                                std::to_string(bits) + " bits, got " +
                                std::to_string(bytes.size()));
  }
  const size_t used_bits = (n * static_cast<size_t>(bits)) % 8;
  if (used_bits != 0) {
    const unsigned padding = static_cast<unsigned>(bytes.back()) >> used_bits;
    if (padding != 0) {
      throw std::invalid_argument(std::string(fn) + ": non-zero padding bits in last byte " +
                                  std::to_string(expected - 1) + " (value " +
                                  std::to_string(bytes.back()) + ", only the low " +
                                  std::to_string(used_bits) + " bits are used)");
    }
  }
}

}  // namespace

std::vector<uint8_t> pack_signed(const std::vector<int8_t>& values, int bits) {
  check_bits("pack_signed", bits);
  const int lo = -(1 << (bits - 1));
  const int hi = (1 << (bits - 1)) - 1;
  std::vector<uint8_t> bytes(packed_size(values.size(), bits), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    const int v = values[i];
    if (v < lo || v > hi) {
      throw std::invalid_argument("pack_signed: value " + std::to_string(v) + " at index " +
                                  std::to_string(i) + " does not fit in " + std::to_string(bits) +
                                  " signed bits [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]");
    }
    // int -> unsigned conversion is modular, so the masked result is v's B-bit two's complement.
    put_field(bytes, i, bits, static_cast<unsigned>(v) & field_mask(bits));
  }
  return bytes;
}

std::vector<int8_t> unpack_signed(const std::vector<uint8_t>& bytes, size_t n, int bits) {
  check_stream("unpack_signed", bytes, n, bits);
  std::vector<int8_t> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = packed_signed_at(bytes.data(), i, bits);
  return values;
}

std::vector<uint8_t> pack_unsigned(const std::vector<uint8_t>& values, int bits) {
  check_bits("pack_unsigned", bits);
  const unsigned hi = field_mask(bits);
  std::vector<uint8_t> bytes(packed_size(values.size(), bits), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    const unsigned v = values[i];
    if (v > hi) {
      throw std::invalid_argument("pack_unsigned: value " + std::to_string(v) + " at index " +
                                  std::to_string(i) + " does not fit in " + std::to_string(bits) +
                                  " unsigned bits [0, " + std::to_string(hi) + "]");
    }
    put_field(bytes, i, bits, v);
  }
  return bytes;
}

std::vector<uint8_t> unpack_unsigned(const std::vector<uint8_t>& bytes, size_t n, int bits) {
  check_stream("unpack_unsigned", bytes, n, bits);
  std::vector<uint8_t> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = packed_unsigned_at(bytes.data(), i, bits);
  return values;
}

int8_t packed_signed_at(const uint8_t* bytes, size_t i, int bits) {
  assert(bits >= 2 && bits <= 8);
  const int field = static_cast<int>(get_field(bytes, i, bits));
  // Sign-extend: a set top bit means the field stands for field - 2^bits.
  const int sign_bit = 1 << (bits - 1);
  return static_cast<int8_t>((field & sign_bit) ? field - (1 << bits) : field);
}

uint8_t packed_unsigned_at(const uint8_t* bytes, size_t i, int bits) {
  assert(bits >= 2 && bits <= 8);
  return static_cast<uint8_t>(get_field(bytes, i, bits));
}

}  // namespace mpgru::quant
