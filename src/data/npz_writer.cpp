// .npy headers and records, zipped by libzip into an .npz.
#include "data/npz_writer.hpp"

#include <zip.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace mpgru::data {
namespace {

using Type = NumericArray::Type;

std::string header_text(const NumericArray& a) {
  const char* descr = a.type == Type::floating ? "<f4" : a.type == Type::integer ? "<i8" : "|b1";
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i) {
    shape +=
        std::to_string(a.shape[i]) + (a.shape.size() == 1 || i + 1 < a.shape.size() ? "," : "");
    if (i + 1 < a.shape.size()) shape += " ";
  }
  shape += ")";
  return "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape +
         ", }";
}

void append_little_endian(std::string& out, const void* value, size_t bytes) {
  const auto* p = static_cast<const char*>(value);
  if constexpr (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__) {
    for (size_t i = bytes; i-- > 0;) out += p[i];
  } else {
    out.append(p, bytes);
  }
}

class Zip {
 public:
  explicit Zip(const std::filesystem::path& path) : path_(path) {
    int error = 0;
    zip_ = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    if (zip_ == nullptr) fail("cannot create it (libzip error " + std::to_string(error) + ")");
  }
  ~Zip() {
    if (zip_ != nullptr) zip_discard(zip_);
  }
  Zip(const Zip&) = delete;
  Zip& operator=(const Zip&) = delete;

  // `bytes` must outlive close().
  void add(const std::string& name, const std::string& bytes) {
    zip_source_t* source = zip_source_buffer(zip_, bytes.data(), bytes.size(), 0);
    if (source == nullptr) fail("cannot add " + name + ": " + zip_strerror(zip_));
    const zip_int64_t index = zip_file_add(zip_, name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      fail("cannot add " + name + ": " + zip_strerror(zip_));
    }
    zip_set_file_compression(zip_, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }

  void close() {
    if (zip_close(zip_) != 0) fail(std::string("cannot write it: ") + zip_strerror(zip_));
    zip_ = nullptr;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(path_.string() + ": " + why);
  }
  std::filesystem::path path_;
  zip_t* zip_ = nullptr;
};

}  // namespace

NumericArray float_array(const std::string& name, std::vector<int64_t> shape,
                         std::vector<float> values) {
  NumericArray a;
  a.name = name;
  a.shape = std::move(shape);
  a.type = Type::floating;
  a.dtype = "<f4";
  a.floats = std::move(values);
  return a;
}

NumericArray integer_array(const std::string& name, std::vector<int64_t> shape,
                           std::vector<int64_t> values) {
  NumericArray a;
  a.name = name;
  a.shape = std::move(shape);
  a.type = Type::integer;
  a.dtype = "<i8";
  a.integers = std::move(values);
  return a;
}

std::string npy_bytes(const NumericArray& a) {
  std::string header = header_text(a);
  const size_t preamble = 10;  // magic (6), version (2), header length (2)
  header.append((64 - (preamble + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535) {
    throw std::runtime_error("array " + a.name + ": header too long for .npy version 1.0");
  }
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  if (a.type == Type::floating) {
    out.reserve(out.size() + a.floats.size() * 4);
    for (const float v : a.floats) append_little_endian(out, &v, sizeof v);
  } else if (a.type == Type::integer) {
    out.reserve(out.size() + a.integers.size() * 8);
    for (const int64_t v : a.integers) append_little_endian(out, &v, sizeof v);
  } else {
    for (const int64_t v : a.integers) out += static_cast<char>(v != 0 ? 1 : 0);
  }
  return out;
}

void write_npz(const std::vector<NumericArray>& arrays, const std::filesystem::path& file) {
  const std::filesystem::path tmp = file.string() + ".tmp";
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  try {
    std::vector<std::string> records;
    records.reserve(arrays.size());
    Zip zip(tmp);
    for (const NumericArray& a : arrays) {
      records.push_back(npy_bytes(a));
      zip.add(a.name + ".npy", records.back());
    }
    zip.close();
    std::filesystem::rename(tmp, file);
  } catch (...) {
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

std::vector<NumericArray> dataset_arrays(const Dataset& dataset, int64_t limit) {
  std::vector<NumericArray> out;
  const bool tokens = dataset.vocabulary() > 0;
  for (const Split split : {Split::train, Split::validation, Split::test}) {
    const Sequences& all = dataset.split(split);
    const int64_t n = limit > 0 ? std::min(limit, all.count()) : all.count();
    const Sequences s = all.slice(0, n);
    const std::string suffix = std::string("_") + to_string(split);
    if (tokens) {
      out.push_back(integer_array("x" + suffix, {n, s.steps},
                                  std::vector<int64_t>(s.values.begin(), s.values.end())));
    } else {
      out.push_back(float_array("x" + suffix, {n, s.steps, s.features}, s.values));
    }
    if (s.outputs > 0) {
      out.push_back(float_array("y" + suffix, {n, s.steps, s.outputs}, s.targets));
    } else {
      out.push_back(
          integer_array("y" + suffix, {n}, std::vector<int64_t>(s.labels.begin(), s.labels.end())));
    }
  }
  if (tokens) out.push_back(integer_array("vocabulary", {}, {dataset.vocabulary()}));
  return out;
}

}  // namespace mpgru::data
