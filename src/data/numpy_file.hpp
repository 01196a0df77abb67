// NumPy files read without NumPy: lone .npy arrays and .npz archives of them, strictly validated.
//
// Why hand-written: an .npy file is a 10- or 12-byte preamble, a Python dict literal header
// ({'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }) and the raw elements, so a reader
// is small; the one Debian packages (xtensor's npy reader) parses the header laxly (substring
// searches, no check of the data length against the shape) and pulls heavy template headers into
// every user. Here the header is parsed as the literal it is, every dtype is named and either read
// exactly (both byte orders, Fortran order reordered) or refused, the data length must match the
// shape, and sizes are bounded before anything is allocated, so a hostile file is an error message,
// never a crash or a misread. The .npz zip container is left to libzip, with its consistency check.
// Object arrays are refused: they hold a pickle, and mpgru never runs pickles.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mpgru::data {

// One array of a NumPy file, converted to float32 or int64, in C (row-major) order.
struct NumericArray {
  enum class Type { floating, integer, boolean };
  // The array's name: in an .npz the record name without ".npy" ("x_train", as is even when it
  // holds '/' or ".."); for a lone .npy the name the caller gives (read_numpy_file: the file stem).
  std::string name;
  std::vector<int64_t> shape;  // () is a scalar: count 1
  Type type = Type::floating;
  std::string dtype;              // the descr as the header states it: "<f4", "|u1", ">i8", ...
  std::vector<float> floats;      // floating (float16, float32, float64) as float32; else empty
  std::vector<int64_t> integers;  // integer (int8..int64, uint8..uint64) and boolean (0, 1)
  int64_t count() const;          // product of shape
};

// Bounds on one array, checked against the header before anything is allocated.
constexpr int64_t kMaxNumpyElements = int64_t{1} << 32;
constexpr uint64_t kMaxNumpyBytes = uint64_t{16} << 30;  // 16 GiB of element data
constexpr size_t kMaxNumpyDimensions = 64;               // NumPy 2's NPY_MAXDIMS
// The largest file read_numpy_file reads (and .npz record parse_npz inflates): one array's bytes
// plus room for headers and zip records.
constexpr uint64_t kMaxNumpyFileBytes = kMaxNumpyBytes + (uint64_t{1} << 20);

// One .npy (format versions 1.0, 2.0 and 3.0). Reads descr f2 f4 f8, i1 i2 i4 i8, u1 u2 u4 u8,
// b1 (or ?) in any byte order ('<', '>', '=', and '|' for one-byte types) and Fortran order;
// refuses objects (pickles), strings, complex, datetimes, structured dtypes, uint64 values above
// INT64_MAX, booleans other than 0 and 1, and data longer or shorter than the shape. NaN and Inf
// are read as they are. Throws std::runtime_error whose message starts with `shown` (e.g.
// "data/mine.npz: array x_train") and names the problem.
NumericArray parse_npy(std::string_view bytes, const std::string& shown, const std::string& name);

// Every array of an .npz (a zip archive as np.savez (stored) and np.savez_compressed (deflate)
// write it), in the archive's order. Refuses records not ending in ".npy" (naming them), duplicate
// names, and records that are damaged or hold more or fewer bytes than the archive states. An empty
// archive is valid: no arrays. Errors start with `shown` (the file), then the array if any.
std::vector<NumericArray> parse_npz(std::string_view bytes, const std::string& shown);

// A file: an .npz (zip magic "PK\x03\x04", or "PK\x05\x06" for an empty archive) or a lone .npy
// (magic "\x93NUMPY"), chosen by its first bytes, not its extension; a lone .npy's array is named
// after the file stem. Throws std::runtime_error naming the path when it cannot be opened or read,
// is larger than kMaxNumpyFileBytes, or is neither.
std::vector<NumericArray> read_numpy_file(const std::filesystem::path& path);

}  // namespace mpgru::data
