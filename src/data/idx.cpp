// IDX files: header parsing, size checks and image/label pairing, each failure naming its file.
#include "data/idx.hpp"

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

}  // namespace

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
    elements *= dim;
    if (elements > (uint64_t{1} << 40)) fail(source, "dimensions too large");
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open for reading");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path.string() + ": read error");
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
  IdxArray image_array = parse_idx(read_file_bytes(images), kIdxImagesMagic, images.string());
  IdxArray label_array = parse_idx(read_file_bytes(labels), kIdxLabelsMagic, labels.string());
  return make_labelled_images(std::move(image_array), std::move(label_array), format,
                              images.string(), labels.string());
}

}  // namespace mpgru::data
