// Zip records through libzip, the pickle through parse_pickle, tensors gathered from their
// storages with every size, stride and offset checked against the record's length.
#include "torchfile/torch_archive.hpp"

#include <zip.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#include "torchfile/pickle.hpp"

namespace mpgru::torchfile {
namespace {

using Kind = PickleValue::Kind;

constexpr uint64_t kMaxPickleBytes = uint64_t{256} << 20;
constexpr int64_t kMaxElements = int64_t{1} << 31;
constexpr int kMaxDepth = 32;

class ZipArchive {
 public:
  ZipArchive(std::string_view bytes, const std::string& shown) : shown_(shown) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source != nullptr) {
      archive_ = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
      if (archive_ == nullptr) zip_source_free(source);
    }
    if (archive_ == nullptr) {
      const std::string why = zip_error_strerror(&error);
      zip_error_fini(&error);
      throw std::runtime_error(shown_ + ": not a readable zip archive (" + why + ")");
    }
    zip_error_fini(&error);
  }
  ~ZipArchive() { zip_discard(archive_); }
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    const zip_int64_t n = zip_get_num_entries(archive_, 0);
    for (zip_int64_t i = 0; i < n; ++i) {
      const char* name = zip_get_name(archive_, static_cast<zip_uint64_t>(i), 0);
      if (name != nullptr) out.emplace_back(name);
    }
    return out;
  }

  bool has(const std::string& name) const {
    return zip_name_locate(archive_, name.c_str(), 0) >= 0;
  }

  // The record's first `want` bytes (all of it if want is 0); errors if it is shorter than `want`
  // or, for want 0, longer than `limit`.
  std::string read(const std::string& name, uint64_t want, uint64_t limit) const {
    const zip_int64_t index = zip_name_locate(archive_, name.c_str(), 0);
    if (index < 0) throw std::runtime_error(shown_ + ": the archive has no record " + name);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive_, static_cast<zip_uint64_t>(index), 0, &st) != 0 ||
        (st.valid & ZIP_STAT_SIZE) == 0) {
      throw std::runtime_error(shown_ + ": cannot read the size of record " + name);
    }
    if (want == 0 && st.size > limit) {
      throw std::runtime_error(shown_ + ": record " + name + " holds " + std::to_string(st.size) +
                               " bytes, more than the " + std::to_string(limit) + " read");
    }
    if (st.size < want) {
      throw std::runtime_error(shown_ + ": record " + name + " holds " + std::to_string(st.size) +
                               " bytes, its tensors need " + std::to_string(want));
    }
    const uint64_t n = want == 0 ? st.size : want;
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(
        zip_fopen_index(archive_, static_cast<zip_uint64_t>(index), 0), zip_fclose);
    std::string out(static_cast<size_t>(n), '\0');
    uint64_t got = 0;
    while (file != nullptr && got < n) {
      const zip_int64_t r = zip_fread(file.get(), out.data() + got, n - got);
      if (r <= 0) break;
      got += static_cast<uint64_t>(r);
    }
    if (got != n) {
      throw std::runtime_error(shown_ + ": record " + name + " is damaged (read " +
                               std::to_string(got) + " of " + std::to_string(n) + " bytes)");
    }
    return out;
  }

 private:
  std::string shown_;
  zip_t* archive_ = nullptr;
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// torch.save before 1.6 (or with _use_new_zipfile_serialization=False): pickles back to back,
// the first a magic number (LONG1 of 10 bytes).
bool is_legacy_torch_save(std::string_view bytes) {
  static const unsigned char kMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
                                         0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  return bytes.size() >= sizeof kMagic && std::memcmp(bytes.data(), kMagic, sizeof kMagic) == 0;
}

// The folder every record of a torch.save / torch.jit.save archive lives in ("gru1.script/").
std::string record_prefix(const ZipArchive& zip, const std::string& shown) {
  for (const std::string& name : zip.names()) {
    const size_t slash = name.find('/');
    if (slash != std::string::npos && name.substr(slash) == "/data.pkl") {
      return name.substr(0, slash + 1);
    }
  }
  throw std::runtime_error(shown +
                           ": a zip archive without a FOLDER/data.pkl record: not written by "
                           "torch.save or torch.jit.save");
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits = 0;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa != 0) {  // subnormal: normalise
    uint32_t e = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mantissa & 0x3ffu) << 13);
  } else {
    bits = sign;
  }
  float f = 0;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float element_at(const std::string& storage, ElementType type, int64_t index) {
  const char* p = storage.data() + index * element_bytes(type);
  switch (type) {
    case ElementType::float32: {
      float f = 0;
      std::memcpy(&f, p, 4);
      return f;
    }
    case ElementType::float64: {
      double d = 0;
      std::memcpy(&d, p, 8);
      return static_cast<float>(d);
    }
    case ElementType::float16: {
      uint16_t h = 0;
      std::memcpy(&h, p, 2);
      return half_to_float(h);
    }
    case ElementType::bfloat16: {
      uint16_t h = 0;
      std::memcpy(&h, p, 2);
      const uint32_t bits = static_cast<uint32_t>(h) << 16;
      float f = 0;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    default:
      break;
  }
  return 0;
}

template <typename T>
int64_t load_as_int64(const char* p) {
  T v{};
  std::memcpy(&v, p, sizeof v);
  return static_cast<int64_t>(v);
}

int64_t integer_at(const std::string& storage, ElementType type, int64_t index) {
  const char* p = storage.data() + index * element_bytes(type);
  switch (type) {
    case ElementType::int64:
      return load_as_int64<int64_t>(p);
    case ElementType::int32:
      return load_as_int64<int32_t>(p);
    case ElementType::int16:
      return load_as_int64<int16_t>(p);
    case ElementType::int8:
      return load_as_int64<int8_t>(p);
    case ElementType::uint8:
      return load_as_int64<uint8_t>(p);
    case ElementType::boolean:
      return load_as_int64<uint8_t>(p) != 0 ? 1 : 0;
    default:
      break;
  }
  return 0;
}

class TensorReader {
 public:
  TensorReader(const ZipArchive& zip, std::string prefix, std::string shown)
      : zip_(zip), prefix_(std::move(prefix)), shown_(std::move(shown)) {}

  NamedTensor read(const std::string& name, const TensorRef& t) {
    NamedTensor out;
    out.name = name;
    out.shape = t.sizes;
    out.storage_type = t.storage_type;
    out.floating = t.type != ElementType::other && !is_integer(t.type);
    out.integer = is_integer(t.type);
    const std::string where = shown_ + ": tensor " + name + ": ";
    int64_t count = 1;
    int64_t last = t.offset;  // the highest element index the view reads
    if (t.offset < 0) throw std::runtime_error(where + "negative storage offset");
    for (size_t d = 0; d < t.sizes.size(); ++d) {
      if (t.sizes[d] < 0 || t.strides[d] < 0) {
        throw std::runtime_error(where + "negative size or stride");
      }
      if (t.sizes[d] > 0 && count > kMaxElements / t.sizes[d]) {
        throw std::runtime_error(where + "more than 2^31 elements");
      }
      count *= t.sizes[d];
      if (t.sizes[d] > 0 && t.strides[d] > kMaxElements / t.sizes[d]) {
        throw std::runtime_error(where + "a stride beyond 2^31 elements");
      }
      last += (t.sizes[d] > 0 ? t.sizes[d] - 1 : 0) * t.strides[d];
    }
    if ((!out.floating && !out.integer) || count == 0) return out;
    if (t.storage_elements < 0 || t.storage_elements > kMaxElements || last >= t.storage_elements) {
      throw std::runtime_error(where + "reads element " + std::to_string(last) +
                               " of a storage of " + std::to_string(t.storage_elements));
    }
    const std::string& storage = storage_bytes(t);
    // The record may be cached from a tensor that declared a smaller storage: check this view.
    if (static_cast<uint64_t>(last + 1) * static_cast<uint64_t>(element_bytes(t.type)) >
        storage.size()) {
      throw std::runtime_error(where + "reads past the end of storage record " + t.storage_key);
    }
    if (out.integer) {
      out.integers.resize(static_cast<size_t>(count));
    } else {
      out.values.resize(static_cast<size_t>(count));
    }
    std::vector<int64_t> index(t.sizes.size(), 0);
    for (int64_t i = 0; i < count; ++i) {
      int64_t at = t.offset;
      for (size_t d = 0; d < index.size(); ++d) at += index[d] * t.strides[d];
      if (out.integer) {
        out.integers[static_cast<size_t>(i)] = integer_at(storage, t.type, at);
      } else {
        out.values[static_cast<size_t>(i)] = element_at(storage, t.type, at);
      }
      for (size_t d = index.size(); d-- > 0;) {  // next row-major index
        if (++index[d] < t.sizes[d]) break;
        index[d] = 0;
      }
    }
    return out;
  }

 private:
  const std::string& storage_bytes(const TensorRef& t) {
    const std::string key = t.storage_key + "/" + t.storage_type;
    auto it = storages_.find(key);
    if (it != storages_.end()) return it->second;
    if (t.storage_key.find('/') != std::string::npos ||
        t.storage_key.find("..") != std::string::npos) {
      throw std::runtime_error(shown_ + ": storage key '" + t.storage_key +
                               "' is not a record name");
    }
    const uint64_t need =
        static_cast<uint64_t>(t.storage_elements) * static_cast<uint64_t>(element_bytes(t.type));
    std::string bytes = zip_.read(prefix_ + "data/" + t.storage_key, need, 0);
    return storages_.emplace(key, std::move(bytes)).first->second;
  }

  const ZipArchive& zip_;
  std::string prefix_;
  std::string shown_;
  std::map<std::string, std::string> storages_;
};

// Walks dicts and TorchScript objects from the root, naming tensors as state_dict() would.
class Walker {
 public:
  Walker(const Pickle& pickle, TensorReader& reader, TorchFile& out, std::string shown)
      : pickle_(pickle), reader_(reader), out_(out), shown_(std::move(shown)) {}

  void walk(uint32_t index, const std::string& prefix, int depth) {
    const PickleValue& v = pickle_.at(index);
    if (depth > kMaxDepth) {
      throw std::runtime_error(shown_ + ": dicts or modules nested deeper than " +
                               std::to_string(kMaxDepth) + " levels at '" + prefix + "'");
    }
    if (!expanded_.insert(index).second) return;  // a shared (or cyclic) container: once
    if (v.kind == Kind::object) {
      out_.modules.emplace_back(prefix, v.text);
      if (!v.items.empty() && pickle_.at(v.items[0]).kind == Kind::dict) {
        entries(pickle_.at(v.items[0]), prefix, depth);
      }
    } else if (v.kind == Kind::dict) {
      entries(v, prefix, depth);
    }
  }

 private:
  void entries(const PickleValue& dict, const std::string& prefix, int depth) {
    for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
      const PickleValue& key = pickle_.at(dict.items[i]);
      std::string name;
      if (key.kind == Kind::string) {
        name = key.text;
      } else if (key.kind == Kind::integer) {
        name = std::to_string(key.integer);
      } else {
        continue;
      }
      if (!prefix.empty()) name = prefix + "." + name;
      const PickleValue& value = pickle_.at(dict.items[i + 1]);
      if (value.kind == Kind::tensor) {
        if (!names_.insert(name).second) {
          throw std::runtime_error(shown_ + ": two tensors are named " + name);
        }
        out_.tensors.push_back(reader_.read(name, value.tensor));
      } else if (value.kind == Kind::dict || value.kind == Kind::object) {
        walk(dict.items[i + 1], name, depth + 1);
      }
    }
  }

  const Pickle& pickle_;
  TensorReader& reader_;
  TorchFile& out_;
  std::string shown_;
  std::set<uint32_t> expanded_;
  std::set<std::string> names_;
};

}  // namespace

const char* format_name(TorchFile::Format format) {
  return format == TorchFile::Format::torchscript ? "TorchScript module" : "state dict";
}

TorchFile read_torch_bytes(std::string_view bytes, const std::string& shown) {
  if (is_legacy_torch_save(bytes)) {
    throw std::runtime_error(shown +
                             ": a legacy torch.save file (PyTorch before 1.6, or "
                             "_use_new_zipfile_serialization=False); save it again with a "
                             "current torch.save");
  }
  if (!starts_with(bytes, "PK")) {
    throw std::runtime_error(shown +
                             ": not a PyTorch file (neither a torch.save nor a torch.jit.save zip "
                             "archive)");
  }
  const ZipArchive zip(bytes, shown);
  const std::string prefix = record_prefix(zip, shown);
  if (zip.has(prefix + "byteorder")) {
    const std::string order = zip.read(prefix + "byteorder", 0, 16);
    if (order != "little") {
      throw std::runtime_error(shown + ": written on a " + order +
                               "-endian machine; only little-endian files are read");
    }
  }
  TorchFile out;
  out.format = zip.has(prefix + "constants.pkl") ? TorchFile::Format::torchscript
                                                 : TorchFile::Format::state_dict;
  Pickle pickle;
  try {
    pickle = parse_pickle(zip.read(prefix + "data.pkl", 0, kMaxPickleBytes));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(shown + ": " + prefix + "data.pkl: " + e.what());
  }
  const Kind root = pickle.at(pickle.root).kind;
  if (root != Kind::dict && root != Kind::object) {
    throw std::runtime_error(shown + ": holds a " + std::string(kind_name(root)) +
                             ", not a state dict or a module");
  }
  TensorReader reader(zip, prefix, shown);
  Walker(pickle, reader, out, shown).walk(pickle.root, "", 0);
  return out;
}

TorchFile read_torch_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw std::runtime_error(path.string() + ": no such file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path.string() + ": read error");
  return read_torch_bytes(bytes.str(), path.string());
}

}  // namespace mpgru::torchfile
