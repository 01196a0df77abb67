// NumPy files: the .npy preamble, its header parsed as the Python literal it is, the dtype, the
// elements (byte-swapped and reordered into C order as needed), and .npz records through libzip.
#include "data/numpy_file.hpp"

#include <zip.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>
#include <utility>

namespace mpgru::data {
namespace {

constexpr bool kHostBigEndian = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
constexpr std::string_view kNpyMagic("\x93NUMPY", 6);
constexpr int kMaxLiteralDepth = 32;
// Headers longer than this are refused before parsing (bounding the literal's tree): a numeric
// array's header of 64 dimensions takes under 2 KiB; NumPy itself refuses over 10000 bytes unless
// told to trust the file.
constexpr uint64_t kMaxHeaderBytes = 65536;

[[noreturn]] void fail(const std::string& shown, const std::string& what) {
  throw std::runtime_error(shown + ": " + what);
}

// At most 80 characters of header text, for messages.
std::string excerpt(std::string_view text) {
  return text.size() <= 80 ? std::string(text) : std::string(text.substr(0, 77)) + "...";
}

// A Python literal of the header: what ast.literal_eval would build, for the kinds an .npy header
// can hold. `source` is its text, for messages.
struct Literal {
  enum class Kind { string, integer, boolean, none, tuple, list };
  Kind kind = Kind::none;
  std::string_view source;
  std::string text;            // string
  int64_t integer = 0;         // integer; boolean 0 or 1
  std::vector<Literal> items;  // tuple, list
};

const char* kind_name(Literal::Kind kind) {
  switch (kind) {
    case Literal::Kind::string:
      return "a string";
    case Literal::Kind::integer:
      return "an integer";
    case Literal::Kind::boolean:
      return "a boolean";
    case Literal::Kind::none:
      return "None";
    case Literal::Kind::tuple:
      return "a tuple";
    case Literal::Kind::list:
      return "a list";
  }
  return "?";
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_char(char c) {
  return is_digit(c) || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// A recursive-descent parser of the header's dict literal: strings in single or double quotes (no
// escapes), decimal integers, True, False, None, tuples and lists, nested at most
// kMaxLiteralDepth deep; whitespace between tokens and trailing commas as Python allows them.
class LiteralParser {
 public:
  LiteralParser(std::string_view text, const std::string& shown) : text_(text), shown_(shown) {}

  // The top-level dict, keys in order; a key twice, a key that is not a string or anything after
  // the closing brace is refused.
  std::vector<std::pair<std::string, Literal>> dict() {
    std::vector<std::pair<std::string, Literal>> out;
    std::set<std::string> keys;
    skip_space();
    expect('{');
    skip_space();
    while (peek() != '}') {
      const Literal key = value(1);
      if (key.kind != Literal::Kind::string) {
        syntax("a key that is " + std::string(kind_name(key.kind)) + " (" + excerpt(key.source) +
               ")");
      }
      if (!keys.insert(key.text).second) syntax("key '" + excerpt(key.text) + "' appears twice");
      skip_space();
      expect(':');
      skip_space();
      out.emplace_back(key.text, value(1));
      skip_space();
      if (peek() != '}') {
        expect(',');
        skip_space();
      }
    }
    ++at_;
    skip_space();
    if (at_ != text_.size()) syntax("characters after the closing '}'");
    return out;
  }

 private:
  Literal value(int depth) {
    if (depth > kMaxLiteralDepth) {
      syntax("values nested deeper than " + std::to_string(kMaxLiteralDepth) + " levels");
    }
    const size_t begin = at_;
    Literal out;
    const char c = peek();
    if (c == '\'' || c == '"') {
      out = string(c);
    } else if (is_digit(c) || c == '-') {
      out = integer();
    } else if (is_name_char(c)) {
      out = name();
    } else if (c == '(' || c == '[') {
      out = sequence(c == '(' ? ')' : ']', depth);
    } else {
      syntax(at_ == text_.size() ? std::string("the header ends inside the dict")
                                 : "unexpected character " + shown_char(c));
    }
    out.source = text_.substr(begin, at_ - begin);
    return out;
  }

  Literal string(char quote) {
    Literal out;
    out.kind = Literal::Kind::string;
    for (++at_; peek() != quote; ++at_) {
      const char c = peek();
      if (at_ == text_.size() || c == '\n') syntax("a string without its closing quote");
      if (c == '\\') syntax("a backslash escape in a string (none is read)");
      out.text.push_back(c);
    }
    ++at_;
    return out;
  }

  Literal integer() {
    Literal out;
    out.kind = Literal::Kind::integer;
    const bool negative = peek() == '-';
    if (negative) ++at_;
    if (!is_digit(peek())) syntax("a '-' not followed by digits");
    uint64_t magnitude = 0;
    for (; is_digit(peek()); ++at_) {
      const auto digit = static_cast<uint64_t>(peek() - '0');
      if (magnitude > (uint64_t{1} << 63) / 10 || magnitude * 10 + digit > (uint64_t{1} << 63)) {
        syntax("an integer beyond 64 bits");
      }
      magnitude = magnitude * 10 + digit;
    }
    if (is_name_char(peek()) || peek() == '.') syntax("a number that is not a decimal integer");
    if (negative) {
      out.integer = magnitude == (uint64_t{1} << 63) ? std::numeric_limits<int64_t>::min()
                                                     : -static_cast<int64_t>(magnitude);
    } else if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      syntax("an integer beyond 64 bits");
    } else {
      out.integer = static_cast<int64_t>(magnitude);
    }
    return out;
  }

  Literal name() {
    const size_t begin = at_;
    while (is_name_char(peek())) ++at_;
    const std::string_view word = text_.substr(begin, at_ - begin);
    Literal out;
    if (word == "True" || word == "False") {
      out.kind = Literal::Kind::boolean;
      out.integer = word == "True" ? 1 : 0;
    } else if (word == "None") {
      out.kind = Literal::Kind::none;
    } else {
      syntax("the name '" + excerpt(word) + "' (only True, False and None are literals)");
    }
    return out;
  }

  // After '(' or '[': items separated by commas, a trailing comma allowed. "(x)" without a comma
  // is x itself, as in Python; "()" is the empty tuple.
  Literal sequence(char close, int depth) {
    Literal out;
    out.kind = close == ')' ? Literal::Kind::tuple : Literal::Kind::list;
    bool comma = false;
    ++at_;
    skip_space();
    while (peek() != close) {
      out.items.push_back(value(depth + 1));
      skip_space();
      if (peek() != close) {
        expect(',');
        comma = true;
        skip_space();
      }
    }
    ++at_;
    if (close == ')' && out.items.size() == 1 && !comma) return std::move(out.items[0]);
    return out;
  }

  // The current character, '\0' at the end (a NUL in the header is never valid where it is read).
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }

  void skip_space() {
    while (at_ < text_.size() && is_space(text_[at_])) ++at_;
  }

  void expect(char c) {
    if (peek() != c || at_ == text_.size()) {
      syntax(std::string("expected '") + c + "', found " +
             (at_ == text_.size() ? std::string("the end of the header") : shown_char(peek())));
    }
    ++at_;
  }

  static std::string shown_char(char c) {
    if (c >= 0x20 && c < 0x7f) return std::string("'") + c + "'";
    static const char kHex[] = "0123456789abcdef";
    const auto u = static_cast<unsigned char>(c);
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
  }

  [[noreturn]] void syntax(const std::string& what) const {
    fail(shown_,
         "header is not a dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), }: " +
             what + " at character " + std::to_string(at_) + " of the header");
  }

  std::string_view text_;
  const std::string& shown_;
  size_t at_ = 0;
};

struct Header {
  std::string descr;
  bool structured = false;  // a list descr (refused once named); descr is then its text
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "(";
  for (size_t d = 0; d < shape.size(); ++d) {
    out += (d > 0 ? ", " : "") + std::to_string(shape[d]);
  }
  return out + (shape.size() == 1 ? ",)" : ")");
}

std::vector<int64_t> read_shape(const Literal& shape, const std::string& shown) {
  if (shape.kind != Literal::Kind::tuple) {
    fail(shown, "shape " + excerpt(shape.source) + " is " + kind_name(shape.kind) +
                    ", not a tuple of integers");
  }
  if (shape.items.size() > kMaxNumpyDimensions) {
    fail(shown, "shape has " + std::to_string(shape.items.size()) + " dimensions, more than " +
                    std::to_string(kMaxNumpyDimensions));
  }
  std::vector<int64_t> out;
  for (const Literal& d : shape.items) {
    if (d.kind != Literal::Kind::integer) {
      fail(shown, "shape " + excerpt(shape.source) + " holds " + kind_name(d.kind) + " (" +
                      excerpt(d.source) + "), not an integer");
    }
    if (d.integer < 0) {
      fail(shown, "shape " + excerpt(shape.source) + " holds a negative dimension " +
                      std::to_string(d.integer));
    }
    out.push_back(d.integer);
  }
  return out;
}

// The header's three keys, each of the kind NumPy writes; any other key is refused.
Header read_header(std::string_view text, const std::string& shown) {
  Header out;
  bool seen[3] = {false, false, false};
  for (const auto& [key, value] : LiteralParser(text, shown).dict()) {
    if (key == "descr") {
      seen[0] = true;
      out.structured = value.kind == Literal::Kind::list;
      if (!out.structured && value.kind != Literal::Kind::string) {
        fail(shown, "descr " + excerpt(value.source) + " is " + kind_name(value.kind) +
                        ", not a dtype string");
      }
      out.descr = out.structured ? excerpt(value.source) : value.text;
    } else if (key == "fortran_order") {
      seen[1] = true;
      if (value.kind != Literal::Kind::boolean) {
        fail(shown, "fortran_order " + excerpt(value.source) + " is not True or False");
      }
      out.fortran_order = value.integer != 0;
    } else if (key == "shape") {
      seen[2] = true;
      out.shape = read_shape(value, shown);
    } else {
      fail(shown, "header has an unexpected key '" + excerpt(key) +
                      "' (an .npy header holds exactly 'descr', 'fortran_order' and 'shape')");
    }
  }
  const char* const kKeys[3] = {"descr", "fortran_order", "shape"};
  for (int k = 0; k < 3; ++k) {
    if (!seen[k]) fail(shown, "header has no '" + std::string(kKeys[k]) + "' key");
  }
  return out;
}

// A numeric dtype: kind 'f', 'i', 'u' or 'b', its size in bytes and its byte order.
struct Dtype {
  NumericArray::Type type = NumericArray::Type::floating;
  char kind = 'f';
  int size = 4;
  bool big_endian = false;
};

// Refuses every dtype but the numeric ones, naming what it holds.
Dtype read_dtype(const Header& header, const std::string& shown) {
  const std::string& descr = header.descr;
  if (header.structured) {
    fail(shown, "descr " + descr +
                    " is a structured dtype (a list of fields), refused: save each field as "
                    "its own array");
  }
  const std::string quoted = "dtype '" + excerpt(descr) + "'";
  const bool has_order = !descr.empty() && std::strchr("<>|=", descr[0]) != nullptr;
  const std::string code = descr.substr(has_order ? 1 : 0);
  const char kind = code.empty() ? '\0' : code[0];
  switch (kind) {
    case 'O':
      fail(shown, quoted +
                      " holds Python objects (a pickle); mpgru never runs pickles: save numeric "
                      "arrays");
    case 'U':
    case 'S':
    case 'a':
      fail(shown, quoted + " holds strings, refused: save numeric arrays");
    case 'c':
      fail(shown, quoted + " holds complex numbers, refused: save real arrays");
    case 'M':
    case 'm':
      fail(shown, quoted + " holds datetimes or timedeltas, refused: save numeric arrays");
    case 'V':
      fail(shown, quoted + " holds raw (void) records, refused: save numeric arrays");
    default:
      break;
  }
  Dtype out;
  out.kind = kind == '?' ? 'b' : kind;
  // The size in bytes after the kind ("<f4"); '?' is bool with its size implied ("|?").
  const std::string size = kind != '?' ? code.substr(code.empty() ? 0 : 1) : code == "?" ? "1" : "";
  const bool known_size = (out.kind == 'f' && (size == "2" || size == "4" || size == "8")) ||
                          ((out.kind == 'i' || out.kind == 'u') &&
                           (size == "1" || size == "2" || size == "4" || size == "8")) ||
                          (out.kind == 'b' && size == "1");
  if (!known_size) {
    fail(shown, "unsupported " + quoted +
                    " (read: float16/32/64 f2 f4 f8, int8..64 i1..i8, uint8..64 u1..u8, bool b1)");
  }
  out.size = size[0] - '0';
  out.type = out.kind == 'f'   ? NumericArray::Type::floating
             : out.kind == 'b' ? NumericArray::Type::boolean
                               : NumericArray::Type::integer;
  if (!has_order) fail(shown, quoted + " has no byte order ('<', '>', '|' or '=')");
  if (descr[0] == '|' && out.size > 1) {
    fail(shown,
         quoted + " gives no byte order ('|') for a " + std::to_string(out.size) + "-byte type");
  }
  out.big_endian = descr[0] == '>' || (descr[0] == '=' && kHostBigEndian);
  return out;
}

// The element count of `shape`, refused beyond kMaxNumpyElements elements or kMaxNumpyBytes
// bytes (checked before multiplying, so nothing wraps).
int64_t checked_count(const std::vector<int64_t>& shape, int itemsize, const std::string& shown) {
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t count = 1;
  for (int64_t d : shape) {
    if (count > kMaxNumpyElements / d) {
      fail(shown, "too large: shape " + shape_text(shape) + " holds more than 2^32 elements");
    }
    count *= d;
  }
  if (static_cast<uint64_t>(count) * static_cast<uint64_t>(itemsize) > kMaxNumpyBytes) {
    fail(shown, "too large: shape " + shape_text(shape) + " needs " +
                    std::to_string(static_cast<uint64_t>(count) * itemsize) +
                    " bytes, more than 16 GiB");
  }
  return count;
}

// Half precision (IEEE 754 binary16) to float32, exactly: subnormals, infinities and NaN payloads
// included.
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits = sign;
  if (exponent == 0x1f) {
    bits |= 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits |= ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa != 0) {  // subnormal: normalise
    uint32_t e = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits |= (e << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f = 0;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// `size` bytes at p as an unsigned integer, in the file's byte order.
uint64_t load(const char* p, int size, bool big_endian) {
  uint64_t v = 0;
  for (int i = 0; i < size; ++i) {
    v |= uint64_t{static_cast<unsigned char>(p[big_endian ? size - 1 - i : i])} << (8 * i);
  }
  return v;
}

float to_float(uint64_t bits, int size) {
  if (size == 2) return half_to_float(static_cast<uint16_t>(bits));
  if (size == 4) {
    const auto b = static_cast<uint32_t>(bits);
    float f = 0;
    std::memcpy(&f, &b, sizeof f);
    return f;
  }
  double d = 0;
  std::memcpy(&d, &bits, sizeof d);
  // IEEE 754 rounding to nearest; beyond float's range gives +-Inf, as NumPy's astype does.
  return static_cast<float>(d);
}

// A two's complement integer of `size` bytes, sign-extended (no implementation-defined casts).
int64_t sign_extend(uint64_t raw, int size) {
  const uint64_t sign = uint64_t{1} << (8 * size - 1);
  if ((raw & sign) == 0) return static_cast<int64_t>(raw);
  const uint64_t mask = size == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1;
  const uint64_t magnitude = (~raw + 1) & mask;  // 1 .. sign
  if (magnitude == (uint64_t{1} << 63)) return std::numeric_limits<int64_t>::min();
  return -static_cast<int64_t>(magnitude);
}

// Calls f(c_index, file_index) for every element: the file holds them in C order or, with
// Fortran order, first index fastest.
template <typename F>
void for_each_element(const std::vector<int64_t>& shape, bool fortran_order, int64_t count, F f) {
  if (!fortran_order || shape.size() < 2) {
    for (int64_t i = 0; i < count; ++i) f(i, i);
    return;
  }
  std::vector<int64_t> stride(shape.size(), 1);  // Fortran strides in elements
  for (size_t d = 1; d < shape.size(); ++d) stride[d] = stride[d - 1] * shape[d - 1];
  std::vector<int64_t> index(shape.size(), 0);
  int64_t at = 0;
  for (int64_t i = 0; i < count; ++i) {
    f(i, at);
    for (size_t d = shape.size(); d-- > 0;) {  // next C-order index
      if (++index[d] < shape[d]) {
        at += stride[d];
        break;
      }
      at -= (shape[d] - 1) * stride[d];
      index[d] = 0;
    }
  }
}

void decode(std::string_view data, const Dtype& t, bool fortran_order, NumericArray& out,
            const std::string& shown) {
  const int64_t count = out.count();
  const char* base = data.data();
  if (t.type == NumericArray::Type::floating) {
    out.floats.resize(static_cast<size_t>(count));
    for_each_element(out.shape, fortran_order, count, [&](int64_t i, int64_t at) {
      out.floats[static_cast<size_t>(i)] =
          to_float(load(base + at * t.size, t.size, t.big_endian), t.size);
    });
    return;
  }
  out.integers.resize(static_cast<size_t>(count));
  for_each_element(out.shape, fortran_order, count, [&](int64_t i, int64_t at) {
    const uint64_t raw = load(base + at * t.size, t.size, t.big_endian);
    if (t.kind == 'u' && raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail(shown, "value " + std::to_string(raw) + " at index " + std::to_string(i) +
                      " (C order) is above INT64_MAX: uint64 values must fit int64");
    }
    if (t.kind == 'b' && raw > 1) {
      fail(shown, "boolean byte " + std::to_string(raw) + " at index " + std::to_string(i) +
                      " (C order) is neither 0 nor 1");
    }
    out.integers[static_cast<size_t>(i)] =
        t.kind == 'i' ? sign_extend(raw, t.size) : static_cast<int64_t>(raw);
  });
}

// The bytes of an .npz record, exactly as many as the archive states, read in chunks so that a
// record whose deflate stream ends early allocates no more than it holds.
std::string read_record(zip_t* zip, zip_uint64_t index, const std::string& where) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(zip, index, 0, &st) != 0 || (st.valid & ZIP_STAT_SIZE) == 0) {
    fail(where, std::string("cannot read the record's size (libzip: ") + zip_strerror(zip) + ")");
  }
  if (st.size > kMaxNumpyFileBytes) {
    fail(where, "too large: the record states " + std::to_string(st.size) + " bytes, more than " +
                    std::to_string(kMaxNumpyFileBytes));
  }
  const std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(zip_fopen_index(zip, index, 0),
                                                               zip_fclose);
  if (file == nullptr) {
    fail(where, std::string("cannot open the record (libzip: ") + zip_strerror(zip) + ")");
  }
  std::string out;
  out.reserve(static_cast<size_t>(std::min<zip_uint64_t>(st.size, zip_uint64_t{1} << 24)));
  std::string chunk(size_t{1} << 16, '\0');
  for (;;) {
    const zip_int64_t n = zip_fread(file.get(), chunk.data(), chunk.size());
    if (n < 0) {
      fail(where, std::string("damaged record (libzip: ") + zip_file_strerror(file.get()) + ")");
    }
    if (n == 0) break;
    if (out.size() + static_cast<uint64_t>(n) > st.size) {
      fail(where, "the record holds more than the " + std::to_string(st.size) +
                      " bytes the archive states");
    }
    out.append(chunk.data(), static_cast<size_t>(n));
  }
  if (out.size() != st.size) {
    fail(where, "the record holds " + std::to_string(out.size()) + " bytes, the archive states " +
                    std::to_string(st.size));
  }
  return out;
}

class ZipArchive {
 public:
  ZipArchive(std::string_view bytes, const std::string& shown) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source != nullptr) {
      archive_ = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
      if (archive_ == nullptr) zip_source_free(source);
    }
    if (archive_ == nullptr) {
      const std::string why = zip_error_strerror(&error);
      const bool duplicate = zip_error_code_zip(&error) == ZIP_ER_EXISTS;
      zip_error_fini(&error);
      fail(shown, (duplicate ? "two records of the archive share a name (libzip: "
                             : "not a readable zip archive (libzip: ") +
                      why + ")");
    }
    zip_error_fini(&error);
  }
  ~ZipArchive() { zip_discard(archive_); }
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  zip_t* get() const { return archive_; }

 private:
  zip_t* archive_ = nullptr;
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

int64_t NumericArray::count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

NumericArray parse_npy(std::string_view bytes, const std::string& shown, const std::string& name) {
  if (bytes.size() < 8 || bytes.substr(0, 6) != kNpyMagic) {
    fail(shown, "not an .npy array (no \\x93NUMPY magic)");
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  const auto minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0) {
    fail(shown, "unknown .npy format version " + std::to_string(major) + "." +
                    std::to_string(minor) + " (1.0, 2.0 and 3.0 are read)");
  }
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t preamble = 8 + length_bytes;
  if (bytes.size() < preamble) fail(shown, "truncated: the file ends inside the preamble");
  const uint64_t header_length = load(bytes.data() + 8, static_cast<int>(length_bytes), false);
  if (header_length > bytes.size() - preamble) {
    fail(shown, "header length " + std::to_string(header_length) + " runs past the end (" +
                    std::to_string(bytes.size() - preamble) + " bytes follow the preamble)");
  }
  if (header_length > kMaxHeaderBytes) {
    fail(shown, "header of " + std::to_string(header_length) + " bytes, more than the " +
                    std::to_string(kMaxHeaderBytes) + " read (a numeric array needs under 2 KiB)");
  }
  const Header header =
      read_header(bytes.substr(preamble, static_cast<size_t>(header_length)), shown);
  const Dtype dtype = read_dtype(header, shown);
  const int64_t count = checked_count(header.shape, dtype.size, shown);
  const std::string_view data = bytes.substr(preamble + static_cast<size_t>(header_length));
  const uint64_t need = static_cast<uint64_t>(count) * static_cast<uint64_t>(dtype.size);
  if (data.size() != need) {
    fail(shown, (data.size() < need ? "truncated: holds " : "trailing data: holds ") +
                    std::to_string(data.size()) + " bytes, the shape needs " +
                    std::to_string(need) + " (" + shape_text(header.shape) + " of " + header.descr +
                    ")");
  }
  NumericArray out;
  out.name = name;
  out.shape = header.shape;
  out.type = dtype.type;
  out.dtype = header.descr;
  decode(data, dtype, header.fortran_order, out, shown);
  return out;
}

std::vector<NumericArray> parse_npz(std::string_view bytes, const std::string& shown) {
  const ZipArchive zip(bytes, shown);
  const zip_int64_t records = zip_get_num_entries(zip.get(), 0);
  if (records < 0) fail(shown, "cannot count the archive's records");
  std::vector<NumericArray> out;
  std::set<std::string> names;
  for (zip_int64_t i = 0; i < records; ++i) {
    const auto index = static_cast<zip_uint64_t>(i);
    const char* raw = zip_get_name(zip.get(), index, 0);
    if (raw == nullptr) fail(shown, "cannot read the name of record " + std::to_string(i));
    const std::string record = raw;
    if (!ends_with(record, ".npy")) {
      fail(shown,
           "record '" + record + "' is not an .npy array (an .npz holds NAME.npy records only)");
    }
    if (!names.insert(record).second) {
      fail(shown, "two records of the archive are named '" + record + "'");
    }
    const std::string name = record.substr(0, record.size() - 4);
    const std::string where = shown + ": array " + name;
    out.push_back(parse_npy(read_record(zip.get(), index, where), where, name));
  }
  return out;
}

std::vector<NumericArray> read_numpy_file(const std::filesystem::path& path) {
  const std::string shown = path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail(shown, "not found or not a regular file");
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) fail(shown, "cannot read its size (" + ec.message() + ")");
  if (size > kMaxNumpyFileBytes) {
    fail(shown, "too large: " + std::to_string(size) + " bytes, more than " +
                    std::to_string(kMaxNumpyFileBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(shown, "cannot open for reading");
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size || in.bad()) {
    fail(shown, "read error after " + std::to_string(in.gcount()) + " of " + std::to_string(size) +
                    " bytes");
  }
  const std::string_view view = bytes;
  if (view.substr(0, 4) == std::string_view("PK\x03\x04", 4) ||
      view.substr(0, 4) == std::string_view("PK\x05\x06", 4)) {
    return parse_npz(view, shown);
  }
  if (view.substr(0, 6) == kNpyMagic) {
    const std::string stem = path.stem().string();
    std::vector<NumericArray> out;
    out.push_back(parse_npy(view, shown + ": array " + stem, stem));
    return out;
  }
  fail(shown,
       "neither an .npy array (magic \\x93NUMPY) nor an .npz archive (zip magic PK\\x03\\x04)");
}

}  // namespace mpgru::data
