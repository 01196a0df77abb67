// IDX files: gunzip, header parsing, size checks and image/label pairing, each failure naming its
// file.
#include "data/idx.hpp"

#define ZLIB_CONST  // next_in is a pointer to const
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace mpgru::data {
namespace {

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw std::runtime_error(source + ": " + what);
}

bool has_gzip_signature(const uint8_t* p, size_t n) {
  return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

// An inflate stream in gzip mode, ended on every path out.
class Inflater {
 public:
  explicit Inflater(const std::string& source) {
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) fail(source, "zlib cannot start inflating");
  }
  ~Inflater() { inflateEnd(&z_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& z() { return z_; }

 private:
  z_stream z_{};
};

// zlib counts in uInt; feed and drain at most this much per call.
constexpr size_t kZlibChunk = size_t{1} << 30;

}  // namespace

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& source) {
  if (!has_gzip_signature(compressed.data(), compressed.size())) {
    fail(source, "not a gzip file (no 1f 8b signature)");
  }
  Inflater inflater(source);
  z_stream& z = inflater.z();
  std::vector<uint8_t> out;
  size_t consumed = 0;  // input bytes handed to zlib so far
  size_t produced = 0;
  for (;;) {
    if (z.avail_in == 0 && consumed < compressed.size()) {
      const size_t n = std::min(compressed.size() - consumed, kZlibChunk);
      z.next_in = compressed.data() + consumed;
      z.avail_in = static_cast<uInt>(n);
      consumed += n;
    }
    if (produced == out.size()) {
      if (out.size() >= kMaxGunzipBytes) {
        fail(source, "gzip data inflates beyond " + std::to_string(kMaxGunzipBytes) + " bytes");
      }
      out.resize(std::min(std::max(2 * out.size(), size_t{1} << 16), kMaxGunzipBytes));
    }
    z.next_out = out.data() + produced;
    z.avail_out = static_cast<uInt>(std::min(out.size() - produced, kZlibChunk));
    const uInt room = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced += room - z.avail_out;
    const size_t position = consumed - z.avail_in;  // input bytes zlib has used
    if (rc == Z_STREAM_END) {
      if (position == compressed.size()) break;
      // gzip(1) joins concatenated members; anything else after a member is damage.
      if (!has_gzip_signature(compressed.data() + position, compressed.size() - position)) {
        fail(source, "trailing data after the gzip stream at byte " + std::to_string(position) +
                         " of " + std::to_string(compressed.size()));
      }
      inflateReset(&z);
      continue;
    }
    if (rc == Z_DATA_ERROR) {
      fail(source, std::string("corrupt gzip data near byte ") + std::to_string(position) +
                       " (zlib: " + (z.msg != nullptr ? z.msg : "invalid data") + ")");
    }
    const bool input_exhausted = z.avail_in == 0 && consumed == compressed.size();
    if ((rc == Z_OK || rc == Z_BUF_ERROR) && input_exhausted && z.avail_out > 0) {
      fail(source, "truncated gzip file: the stream ends early, after " +
                       std::to_string(compressed.size()) + " bytes");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      fail(source, std::string("gunzip failed (zlib: ") + zError(rc) + ")");
    }
  }
  out.resize(produced);
  return out;
}

IdxArray parse_idx(const std::vector<uint8_t>& bytes, uint32_t expected_magic,
                   const std::string& source) {
  if (bytes.size() < 4)
    fail(source, "truncated: " + std::to_string(bytes.size()) + " bytes, no IDX header");
  IdxArray out;
  out.magic = read_be32(bytes.data());
  if (out.magic != expected_magic) {
    fail(source, "wrong magic number " + hex(out.magic) + ", expected " + hex(expected_magic));
  }
  const uint32_t ndims = out.magic & 0xFF;
  const size_t header = 4 + 4 * size_t{ndims};
  if (bytes.size() < header) {
    fail(source, "truncated header: " + std::to_string(bytes.size()) + " bytes, need " +
                     std::to_string(header));
  }
  uint64_t expected = header;
  uint64_t elements = 1;
  for (uint32_t d = 0; d < ndims; ++d) {
    const uint32_t dim = read_be32(bytes.data() + 4 + 4 * d);
    out.dims.push_back(dim);
    // Checked before multiplying, so the product cannot wrap.
    if (dim != 0 && elements > (uint64_t{1} << 40) / dim) fail(source, "dimensions too large");
    elements *= dim;
  }
  expected += elements;
  if (bytes.size() < expected) {
    fail(source, "truncated: header promises " + std::to_string(expected) + " bytes, file has " +
                     std::to_string(bytes.size()));
  }
  if (bytes.size() > expected) {
    fail(source, "trailing data: header promises " + std::to_string(expected) +
                     " bytes, file has " + std::to_string(bytes.size()));
  }
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return out;
}

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw std::runtime_error(path.string() + ": not found or not a regular file");
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) {
    throw std::runtime_error(path.string() + ": " + std::to_string(size) +
                             " bytes, more than any data file mpgru reads (" +
                             std::to_string(kMaxFileBytes) + ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open for reading");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path.string() + ": read error");
  return bytes;
}

std::vector<uint8_t> read_idx_file_bytes(const std::filesystem::path& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  if (path.extension() == ".gz") return gunzip(bytes, path.string());
  return bytes;
}

LabelledImages make_labelled_images(IdxArray images, IdxArray labels, const ImageFormat& format,
                                    const std::string& images_source,
                                    const std::string& labels_source) {
  const auto n_images = static_cast<int64_t>(images.dims.at(0));
  const auto n_labels = static_cast<int64_t>(labels.dims.at(0));
  if (images.dims[1] != format.rows || images.dims[2] != format.cols) {
    fail(images_source, "images are " + std::to_string(images.dims[1]) + "x" +
                            std::to_string(images.dims[2]) + ", expected " +
                            std::to_string(format.rows) + "x" + std::to_string(format.cols));
  }
  if (n_images != n_labels) {
    fail(labels_source, std::to_string(n_labels) + " labels but " + images_source + " has " +
                            std::to_string(n_images) + " images");
  }
  if (n_images != format.count) {
    fail(images_source,
         std::to_string(n_images) + " images, expected " + std::to_string(format.count));
  }
  for (int64_t i = 0; i < n_labels; ++i) {
    if (labels.data[static_cast<size_t>(i)] >= format.num_classes) {
      fail(labels_source, "label " + std::to_string(labels.data[static_cast<size_t>(i)]) +
                              " at index " + std::to_string(i) + " outside 0.." +
                              std::to_string(format.num_classes - 1));
    }
  }
  LabelledImages out;
  out.count = n_images;
  out.rows = format.rows;
  out.cols = format.cols;
  out.pixels = std::move(images.data);
  out.labels = std::move(labels.data);
  return out;
}

LabelledImages load_idx_images(const std::filesystem::path& images,
                               const std::filesystem::path& labels, const ImageFormat& format) {
  IdxArray image_array = parse_idx(read_idx_file_bytes(images), kIdxImagesMagic, images.string());
  IdxArray label_array = parse_idx(read_idx_file_bytes(labels), kIdxLabelsMagic, labels.string());
  return make_labelled_images(std::move(image_array), std::move(label_array), format,
                              images.string(), labels.string());
}

}  // namespace mpgru::data
