// The .mpq integer model file: serialization, bounds-checked parsing, atomic save and load.
//
// Format versions 1 and 2 (2: models with a per-step head, task se; everything else is still
// written as 1, byte for byte as before). Little-endian throughout; f64 is IEEE-754 binary64,
// bit-exact (a model round-trips byte for byte). The file is a 20-byte header and a payload:
//
//   header   magic    8 bytes  89 'M' 'P' 'Q' 0D 0A 1A 0A  (PNG-style: the high byte and the
//                              CR LF / ^Z / LF catch 7-bit channels and text-mode line-ending
//                              translation)
//            version  u32      1, or 2 for a model with a per-step head
//            length   u32      payload bytes; the file ends exactly after the payload
//            crc      u32      CRC-32 (zlib crc32(), polynomial 0xEDB88320) of the payload
//   payload  genome   u8 layers (1..16), u8 flags, u16 n, n ASCII digits '2'..'8'
//                     (Genome::to_compact, one digit per gene in table order); flags: version 1
//                     the embedding flag (0/1), version 2 bit 0 embedding | bit 1 per-step
//                     head (always set: 2 or 3)
//            shape    i32 steps, i32 features, i32 classes
//            input    point
//            embedding  only if the genome has the emb gene (embedding flag 1):
//                       i32 vocabulary, i32 dim, point table, multiplier to_input,
//                       table: vocabulary*dim values packed at the table point's bits
//                       (pack_signed, as linear weights)
//            layers   genome.layers times, each:
//                       i32 input_size, i32 hidden
//                       linear lin_i.r, lin_i.z, lin_i.n, lin_h.r, lin_h.z, lin_h.n
//                       add sum.r, sum.z, sum.n
//                       lut act.r, act.z, act.n
//                       mul mul.rn, mul.un, mul.zh
//                       add h
//            classifier linear
//            head     version 2 only: lut (the sigmoid onto the gain gene's grid)
//
//   point      = u8 bits (2..8), u8 signed (0/1), f64 scale                          10 bytes
//   multiplier = i32 m0, i8 shift                                                      5 bytes
//   linear     = i32 rows, i32 cols, u8 weight_bits, point input, point output,
//                weights: rows*cols values packed at weight_bits (quant::pack_signed, format
//                  w<B>_sym: ceil(rows*cols*B/8) bytes, row-major, LSB-first, zero padding),
//                f64 weight_scales[rows], i32 bias[rows], multiplier multipliers[rows]
//                (= 29 + ceil(rows*cols*B/8) + 17*rows bytes)
//   lut        = point input, point output, then input.qmax()-input.qmin()+1 entries (the
//                count is implied by the input point) packed at output.bits: pack_signed if the
//                output is signed, else pack_unsigned   (= 20 + ceil(entries*B_out/8) bytes)
//   add        = point a, point b, point output, multiplier a, b, out              45 bytes
//   mul        = point a, point b, point output, multiplier                        35 bytes
//
// The payload encoding is canonical: a parsed file re-serializes to the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/model.hpp"

namespace mpgru::engine {

constexpr uint32_t kModelFormatVersion = 2;  // the newest this build reads and writes
constexpr size_t kModelHeaderBytes = 20;
// load_model refuses larger files before reading them: 256 MiB holds a GRU far beyond any
// microcontroller (a 2-layer GRU-4096 at 8 bits is 200 MB).
constexpr uint64_t kMaxModelFileBytes = uint64_t{256} << 20;

// Serializes `model`. Throws std::invalid_argument with check_model's message if the model is
// invalid (a file that could not be loaded back is never produced).
std::vector<uint8_t> serialize_model(const IntegerModel& model);

// Writes `path` atomically (path + ".tmp", then rename). Throws std::invalid_argument if
// check_model fails, std::runtime_error naming the path on I/O failure.
void save_model(const IntegerModel& model, const std::filesystem::path& path);

// Parses a whole file's bytes into *out. Never throws and never reads out of bounds; sizes are
// checked against the bytes left before anything is allocated. Returns "" on success, else a
// message starting with "<source>: " that says what is wrong and where, e.g.
// "model.mpq: truncated in section 'layer 0 lin_h.z' (need 1234 bytes at offset 5678, file has
// 5000)". On failure *out is left unchanged.
std::string parse_model(const std::vector<uint8_t>& bytes, const std::string& source,
                        IntegerModel* out);

// Reads and parses `path`. Throws std::runtime_error with parse_model's message.
IntegerModel load_model(const std::filesystem::path& path);

// Where each section of a valid file starts (header at 0, genome at 20, ...), in file order;
// for tests and format debugging. Throws std::invalid_argument if the bytes do not parse.
struct ModelSection {
  std::string name;  // as in error messages: "header", "genome", "layer 0 lin_h.z", ...
  size_t offset = 0;
};
std::vector<ModelSection> model_sections(const std::vector<uint8_t>& bytes);

}  // namespace mpgru::engine
