// IDX files (the MNIST format), plain or gzipped: unsigned-byte arrays with a big-endian header,
// fully validated.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mpgru::data {

// An unsigned-byte IDX array. Header: 0x00 0x00 0x08 <ndims>, then ndims big-endian uint32
// dimensions, then prod(dims) bytes, row-major.
struct IdxArray {
  uint32_t magic = 0;
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
};

// IDX magic numbers of MNIST-style files: unsigned bytes, 3 dims (images) or 1 dim (labels).
constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;

// Parses `bytes` as an IDX array whose magic must be `expected_magic`. The size must match the
// header exactly. Throws std::runtime_error naming `source` and the problem.
IdxArray parse_idx(const std::vector<uint8_t>& bytes, uint32_t expected_magic,
                   const std::string& source);

// The largest file read_file_bytes reads (checked before reading): 1 GiB, over 20x the largest
// IDX file of the tasks.
constexpr uint64_t kMaxFileBytes = uint64_t{1} << 30;

// Reads a whole file; throws std::runtime_error naming the file if it cannot be read or is larger
// than kMaxFileBytes.
std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path);

// Refuses to inflate beyond this: a bound on memory for hostile input, over 20x the largest IDX
// file of MNIST or Fashion-MNIST (47 MB).
constexpr size_t kMaxGunzipBytes = size_t{1} << 30;

// Decompresses a gzip stream (RFC 1952; concatenated members are joined, as gzip does). Throws
// std::runtime_error naming `source` if the bytes are not gzip, are corrupt (bad deflate data,
// CRC or length check), end early, or inflate beyond kMaxGunzipBytes.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& source);

// Reads an IDX file's bytes, gunzipped if its name ends in ".gz".
std::vector<uint8_t> read_idx_file_bytes(const std::filesystem::path& path);

// Images and their labels, checked against each other.
struct LabelledImages {
  int64_t count = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols
  std::vector<uint8_t> labels;  // count, each < num_classes
};

struct ImageFormat {
  int64_t count;  // expected number of images (and labels)
  int64_t rows;
  int64_t cols;
  int num_classes;
};

// Validates an images array and a labels array (from files or decompressed buffers) against
// `format`; errors name `images_source` or `labels_source`.
LabelledImages make_labelled_images(IdxArray images, IdxArray labels, const ImageFormat& format,
                                    const std::string& images_source,
                                    const std::string& labels_source);

// Loads an IDX image file and its label file; a name ending in ".gz" is gunzipped first.
LabelledImages load_idx_images(const std::filesystem::path& images,
                               const std::filesystem::path& labels, const ImageFormat& format);

}  // namespace mpgru::data
