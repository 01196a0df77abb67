// NumPy .npy and .npz reading: every dtype (both byte orders), Fortran order, scalars, empty
// arrays, header variants, .npz archives stored and deflated, and every refusal with its message.
// Files are built by hand here (the .npy header as NumPy writes it, archives with libzip); one
// test reads what NumPy itself writes when python3-numpy is installed.
#include "data/numpy_file.hpp"

#include <gtest/gtest.h>
#include <zip.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

using Type = NumericArray::Type;
using testing::TempDir;

// The tests build element bytes with memcpy: little-endian hosts (every target of mpgru).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the tests assume a little-endian host");

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
const char* const kShown = "t.npz: array x";

// An .npy file as NumPy writes it: magic, version, little-endian header length (2 bytes in
// version 1.0, 4 after), the dict literal padded with spaces to a multiple of 64 bytes ending in
// '\n', then `data`.
std::string npy(const std::string& dict, const std::string& data, int major = 1) {
  const size_t length_bytes = major == 1 ? 2 : 4;
  std::string header = dict;
  header.append((64 - (8 + length_bytes + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < length_bytes; ++i) out += static_cast<char>(header.size() >> (8 * i));
  return out + header + data;
}

// The header dict NumPy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

// The bytes of `values`, each byte-reversed if `big`.
template <typename T>
std::string encode(const std::vector<T>& values, bool big = false) {
  std::string out;
  for (const T& v : values) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof b);
    if (big) std::reverse(b, b + sizeof b);
    out.append(b, sizeof b);
  }
  return out;
}

// Equal floats, NaN equal to NaN, -0 different from +0.
bool same(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

void expect_floats(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_TRUE(same(got[i], want[i])) << "index " << i << ": " << got[i] << " vs " << want[i];
  }
}

// The message of the std::runtime_error `f` throws; a failure (and "") if it throws none.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::runtime_error";
  return "";
}

void expect_parts(const std::string& message, const std::vector<std::string>& parts) {
  for (const std::string& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
  }
}

// ---- Dtypes: each read from a 1-D array, little-endian as listed and big-endian derived.

struct DtypeCase {
  std::string label;
  std::string descr;
  Type type;
  std::string data;
  std::vector<float> floats;      // floating
  std::vector<int64_t> integers;  // integer, boolean
};

std::vector<DtypeCase> little_endian_cases() {
  return {
      {"f2",
       "<f2",
       Type::floating,
       encode<uint16_t>({0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000, 0x7e00}),
       {1.0f, -2.0f, 65504.0f, std::ldexp(1.0f, -24), kInf, -0.0f, kNaN},
       {}},
      {"f4",
       "<f4",
       Type::floating,
       encode<float>({1.5f, -0.25f, kNaN, -kInf, 1e-40f}),
       {1.5f, -0.25f, kNaN, -kInf, 1e-40f},
       {}},
      // float64 rounds to nearest float32; beyond its range is Inf, as NumPy's astype.
      {"f8",
       "<f8",
       Type::floating,
       encode<double>({0.1, 1e300, -1e-50, 3.0, -1e300}),
       {0.1f, kInf, -0.0f, 3.0f, -kInf},
       {}},
      {"f4_native", "=f4", Type::floating, encode<float>({2.5f}), {2.5f}, {}},
      {"i1", "|i1", Type::integer, encode<int8_t>({-128, 127, -1, 0}), {}, {-128, 127, -1, 0}},
      {"i1_lt", "<i1", Type::integer, encode<int8_t>({-5}), {}, {-5}},
      {"i2", "<i2", Type::integer, encode<int16_t>({-32768, 32767, -2}), {}, {-32768, 32767, -2}},
      {"i4",
       "<i4",
       Type::integer,
       encode<int32_t>({std::numeric_limits<int32_t>::min(), 7}),
       {},
       {std::numeric_limits<int32_t>::min(), 7}},
      {"i8",
       "<i8",
       Type::integer,
       encode<int64_t>({kInt64Min, kInt64Max, -1}),
       {},
       {kInt64Min, kInt64Max, -1}},
      {"u1", "|u1", Type::integer, encode<uint8_t>({0, 255, 128}), {}, {0, 255, 128}},
      {"u2", "<u2", Type::integer, encode<uint16_t>({65535, 1}), {}, {65535, 1}},
      {"u4", "<u4", Type::integer, encode<uint32_t>({4294967295u, 2}), {}, {4294967295, 2}},
      {"u8", "<u8", Type::integer, encode<uint64_t>({uint64_t{kInt64Max}, 3}), {}, {kInt64Max, 3}},
      {"b1", "|b1", Type::boolean, encode<uint8_t>({0, 1, 1}), {}, {0, 1, 1}},
      {"bool_char", "|?", Type::boolean, encode<uint8_t>({1, 0}), {}, {1, 0}},
  };
}

// Every multi-byte little-endian case again as '>' with each element's bytes reversed.
std::vector<DtypeCase> dtype_cases() {
  std::vector<DtypeCase> out = little_endian_cases();
  for (const DtypeCase& c : little_endian_cases()) {
    const int size = c.descr.back() - '0';
    if (c.descr[0] != '<' || size == 1) continue;
    DtypeCase big = c;
    big.label += "_big";
    big.descr[0] = '>';
    for (size_t at = 0; at < big.data.size(); at += static_cast<size_t>(size)) {
      std::reverse(big.data.begin() + static_cast<std::ptrdiff_t>(at),
                   big.data.begin() + static_cast<std::ptrdiff_t>(at) + size);
    }
    out.push_back(big);
  }
  return out;
}

void PrintTo(const DtypeCase& c, std::ostream* os) {
  *os << c.descr;
}

class NumpyDtype : public ::testing::TestWithParam<DtypeCase> {};

TEST_P(NumpyDtype, ReadsValuesExactly) {
  const DtypeCase& c = GetParam();
  const size_t count = std::max(c.floats.size(), c.integers.size());
  const NumericArray a =
      parse_npy(npy(dict(c.descr, "(" + std::to_string(count) + ",)"), c.data), kShown, "x");
  EXPECT_EQ(a.name, "x");
  EXPECT_EQ(a.dtype, c.descr);
  EXPECT_EQ(a.type, c.type);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{static_cast<int64_t>(count)}));
  EXPECT_EQ(a.count(), static_cast<int64_t>(count));
  expect_floats(a.floats, c.floats);
  EXPECT_EQ(a.integers, c.integers);
}

INSTANTIATE_TEST_SUITE_P(Numpy, NumpyDtype, ::testing::ValuesIn(dtype_cases()),
                         [](const auto& test) { return test.param.label; });

// ---- Layouts: Fortran order, scalars, empty arrays, format versions, header spellings.

// A 2x3 float32 array in Fortran order: the file holds columns, the reader returns rows.
TEST(NumpyNpy, ReordersAFortranOrder2x3ArrayIntoCOrder) {
  const NumericArray a =
      parse_npy(npy(dict("<f4", "(2, 3)", true), encode<float>({0, 3, 1, 4, 2, 5})), kShown, "x");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.floats, (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

// Three dimensions, big-endian: element (i, j, k) holds 100i + 10j + k at Fortran position
// i + 2j + 6k.
TEST(NumpyNpy, ReordersABigEndianFortranOrder3dArray) {
  std::vector<int16_t> file(24);
  std::vector<int64_t> c_order;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 4; ++k) {
        file[static_cast<size_t>(i + 2 * j + 6 * k)] = static_cast<int16_t>(100 * i + 10 * j + k);
        c_order.push_back(100 * i + 10 * j + k);
      }
    }
  }
  const NumericArray a =
      parse_npy(npy(dict(">i2", "(2, 3, 4)", true), encode(file, true)), kShown, "x");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(a.integers, c_order);
}

struct ShapeCase {
  std::string shape;
  bool fortran;
  std::vector<int64_t> dims;
  std::string data;
};

TEST(NumpyNpy, ReadsScalarsAndZeroSizeArrays) {
  const std::vector<ShapeCase> cases = {
      {"()", false, {}, encode<double>({-7.5})},
      {"()", true, {}, encode<double>({-7.5})},
      {"(0,)", false, {0}, ""},
      {"(2, 0, 3)", true, {2, 0, 3}, ""},
      {"(0, 4294967296, 4294967296)", false, {0, 4294967296, 4294967296}, ""},
  };
  for (const ShapeCase& c : cases) {
    SCOPED_TRACE(c.shape);
    const NumericArray a = parse_npy(npy(dict("<f8", c.shape, c.fortran), c.data), kShown, "x");
    EXPECT_EQ(a.shape, c.dims);
    EXPECT_EQ(a.count(), c.dims.empty() ? 1 : 0);
    expect_floats(a.floats, c.dims.empty() ? std::vector<float>{-7.5f} : std::vector<float>{});
  }
}

TEST(NumpyNpy, ReadsFormatVersions1To3) {
  for (int major : {1, 2, 3}) {
    SCOPED_TRACE(major);
    const NumericArray a =
        parse_npy(npy(dict("<i4", "(2,)"), encode<int32_t>({-1, 9}), major), kShown, "x");
    EXPECT_EQ(a.integers, (std::vector<int64_t>{-1, 9}));
  }
}

// Python's literal syntax, not NumPy's exact spelling: quotes, key order, spaces, commas.
TEST(NumpyNpy, ParsesTheHeaderAsAPythonLiteral) {
  const std::vector<std::string> dicts = {
      "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }",
      "{\"descr\": \"<i2\", \"fortran_order\": False, \"shape\": (2,)}",
      "{'shape':(2,),'fortran_order':False,'descr':'<i2'}",
      "\t{\n 'descr' : '<i2' ,\r\n 'fortran_order' :False , 'shape' : ( 2 , ) , }  ",
      "{'descr': ('<i2'), 'fortran_order': (False), 'shape': ((2),)}",
  };
  for (const std::string& d : dicts) {
    SCOPED_TRACE(d);
    const NumericArray a = parse_npy(npy(d, encode<int16_t>({3, -4})), kShown, "x");
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2}));
    EXPECT_EQ(a.integers, (std::vector<int64_t>{3, -4}));
  }
}

// ---- Refusals of .npy bytes: each message names the array and the problem.

struct RefusalCase {
  std::string label;
  std::string bytes;
  std::vector<std::string> parts;
};

std::string with_dict(const std::string& d) {
  return npy(d, "");
}

std::vector<RefusalCase> refusal_cases() {
  const std::string f4x3 = encode<float>({1, 2, 3});
  std::string past_end = npy(dict("<f4", "(3,)"), f4x3);
  past_end[8] = '\xff';  // header length 0x..ff: beyond the file
  past_end[9] = '\x7f';
  std::string ones = "(";
  for (int i = 0; i < 65; ++i) ones += "1,";
  return {
      {"bad_magic", "\x93NUMPZ\x01\x00\x10\x00", {"not an .npy array", "magic"}},
      {"too_short", "\x93NUM", {"not an .npy array"}},
      {"version_4", npy(dict("<f4", "(3,)"), f4x3, 4), {"unknown .npy format version 4.0"}},
      {"version_1_1",
       std::string("\x93NUMPY\x01\x01\x00\x00", 10),
       {"unknown .npy format version 1.1"}},
      {"preamble_cut", std::string("\x93NUMPY\x02\x00\x40", 9), {"ends inside the preamble"}},
      {"header_past_end", past_end, {"header length 32767 runs past the end"}},
      {"long_header",
       npy(dict("<f4", "(3,)") + std::string(70000, ' '), f4x3, 2),
       {"header of 70068 bytes, more than the 65536 read"}},
      {"not_a_dict", with_dict("['descr', '<f4']"), {"header is not a dict literal", "'['"}},
      {"empty_header", with_dict(""), {"header is not a dict literal", "expected '{'"}},
      {"unclosed",
       with_dict("{'descr': '<f4'"),
       {"not a dict literal", "found the end of the header"}},
      {"no_colon", with_dict("{'descr' '<f4'}"), {"not a dict literal", "expected ':'"}},
      {"unterminated_string", with_dict("{'descr: 1}"), {"without its closing quote"}},
      {"escape", with_dict("{'des\\cr': 1}"), {"backslash escape"}},
      {"after_dict", with_dict(dict("<f4", "(3,)") + "x"), {"characters after the closing '}'"}},
      {"lowercase_false",
       with_dict("{'descr': '<f4', 'fortran_order': false, 'shape': (3,)}"),
       {"the name 'false'"}},
      {"key_not_string", with_dict("{1: 2}"), {"a key that is an integer (1)"}},
      {"duplicate_key",
       with_dict("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}"),
       {"key 'descr' appears twice"}},
      {"missing_key",
       with_dict("{'descr': '<f4', 'fortran_order': False}"),
       {"header has no 'shape' key"}},
      {"extra_key",
       with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"),
       {"unexpected key 'x'"}},
      {"deep",
       with_dict("{'shape': " + std::string(40, '(') + std::string(40, ')') + "}"),
       {"nested deeper than 32 levels"}},
      {"fortran_int",
       with_dict("{'descr': '<f4', 'fortran_order': 1, 'shape': (3,)}"),
       {"fortran_order 1 is not True or False"}},
      {"shape_int", with_dict(dict("<f4", "(3)")), {"shape (3) is an integer, not a tuple"}},
      {"shape_list", with_dict(dict("<f4", "[3]")), {"is a list, not a tuple"}},
      {"shape_negative", with_dict(dict("<f4", "(2, -1)")), {"negative dimension -1"}},
      {"shape_float", with_dict(dict("<f4", "(2.5,)")), {"not a decimal integer"}},
      {"shape_string", with_dict(dict("<f4", "('a',)")), {"holds a string ('a')"}},
      {"shape_huge_int",
       with_dict(dict("<f4", "(99999999999999999999,)")),
       {"an integer beyond 64 bits"}},
      {"too_many_dims", with_dict(dict("<f4", ones + ")")), {"65 dimensions"}},
      {"too_many_elements",
       with_dict(dict("|u1", "(65536, 65537)")),
       {"too large", "more than 2^32 elements"}},
      {"product_overflow",
       with_dict(dict("|u1", "(2147483648, 2147483648, 2147483648)")),
       {"too large"}},
      {"too_many_bytes",
       with_dict(dict("<f8", "(4294967296,)")),
       {"too large", "34359738368 bytes, more than 16 GiB"}},
      {"object",
       with_dict(dict("|O", "(3,)")),
       {"dtype '|O' holds Python objects (a pickle); mpgru never runs pickles: save numeric "
        "arrays"}},
      {"unicode", with_dict(dict("<U5", "(3,)")), {"dtype '<U5' holds strings"}},
      {"bytes", with_dict(dict("|S3", "(3,)")), {"dtype '|S3' holds strings"}},
      {"complex", with_dict(dict("<c8", "(3,)")), {"dtype '<c8' holds complex numbers"}},
      {"datetime", with_dict(dict("<M8[ns]", "(3,)")), {"dtype '<M8[ns]' holds datetimes"}},
      {"timedelta", with_dict(dict("<m8[s]", "(3,)")), {"dtype '<m8[s]' holds datetimes"}},
      {"void", with_dict(dict("|V4", "(3,)")), {"dtype '|V4' holds raw (void) records"}},
      {"structured",
       with_dict("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': ()}"),
       {"descr [('a', '<f4'), ('b', '<i4')] is a structured dtype"}},
      {"descr_not_string",
       with_dict("{'descr': 4, 'fortran_order': False, 'shape': ()}"),
       {"descr 4 is an integer, not a dtype string"}},
      {"long_double", with_dict(dict("<f16", "(3,)")), {"unsupported dtype '<f16'"}},
      {"int24", with_dict(dict("<i3", "(3,)")), {"unsupported dtype '<i3'"}},
      {"bool2", with_dict(dict("<b2", "(3,)")), {"unsupported dtype '<b2'"}},
      {"bool_char_size", with_dict(dict("|?1", "(3,)")), {"unsupported dtype '|?1'"}},
      {"empty_descr", with_dict(dict("", "(3,)")), {"unsupported dtype ''"}},
      {"no_byte_order", with_dict(dict("f4", "(3,)")), {"dtype 'f4' has no byte order"}},
      {"pipe_multibyte",
       with_dict(dict("|f4", "(3,)")),
       {"dtype '|f4' gives no byte order ('|') for a 4-byte type"}},
      {"truncated",
       npy(dict("<f4", "(3,)"), f4x3.substr(0, 11)),
       {"truncated: holds 11 bytes, the shape needs 12"}},
      {"trailing",
       npy(dict("<f4", "(3,)"), f4x3 + "!"),
       {"trailing data: holds 13 bytes, the shape needs 12"}},
      {"uint64_above_int64",
       npy(dict("<u8", "(2,)"), encode<uint64_t>({1, uint64_t{1} << 63})),
       {"value 9223372036854775808 at index 1", "above INT64_MAX"}},
      {"bool_byte_2",
       npy(dict("|b1", "(2, 2)"), encode<uint8_t>({0, 1, 1, 2})),
       {"boolean byte 2 at index 3", "neither 0 nor 1"}},
  };
}

void PrintTo(const RefusalCase& c, std::ostream* os) {
  *os << c.label;
}

class NumpyRefusal : public ::testing::TestWithParam<RefusalCase> {};

TEST_P(NumpyRefusal, NamesTheArrayAndTheProblem) {
  const RefusalCase& c = GetParam();
  const std::string message = error_of([&] { parse_npy(c.bytes, kShown, "x"); });
  EXPECT_EQ(message.rfind(kShown, 0), 0u) << message;
  expect_parts(message, c.parts);
}

INSTANTIATE_TEST_SUITE_P(Numpy, NumpyRefusal, ::testing::ValuesIn(refusal_cases()),
                         [](const auto& test) { return test.param.label; });

// ---- .npz archives, built with libzip.

struct Record {
  std::string name;
  std::string bytes;
};

// A zip archive of `records` in order, each stored or deflated, in memory.
std::string zip_of(const std::vector<Record>& records, bool deflate) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(buffer);
  zip_t* zip = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  for (const Record& r : records) {
    const zip_int64_t index = zip_file_add(
        zip, r.name.c_str(), zip_source_buffer(zip, r.bytes.data(), r.bytes.size(), 0), 0);
    zip_set_file_compression(zip, static_cast<zip_uint64_t>(index),
                             deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  EXPECT_EQ(zip_close(zip), 0);
  std::string out;
  zip_stat_t st;
  if (zip_source_open(buffer) == 0 && zip_source_stat(buffer, &st) == 0) {
    out.resize(st.size);
    out.resize(static_cast<size_t>(
        std::max<zip_int64_t>(0, zip_source_read(buffer, out.data(), st.size))));
    zip_source_close(buffer);
  }
  zip_source_free(buffer);
  zip_error_fini(&error);
  return out;
}

// np.savez(f, x_train=..., y_train=..., **{"dir/../w": ...}).
std::vector<Record> training_records() {
  return {{"x_train.npy", npy(dict("<f4", "(2, 2)"), encode<float>({1, 2, 3, 4}))},
          {"y_train.npy", npy(dict("|u1", "(2,)"), encode<uint8_t>({0, 7}))},
          {"dir/../w.npy", npy(dict(">i8", "()"), encode<int64_t>({-3}, true))}};
}

class NumpyNpz : public ::testing::TestWithParam<bool> {};  // deflated?

TEST_P(NumpyNpz, ReadsEveryArrayInTheArchivesOrder) {
  const std::vector<NumericArray> arrays =
      parse_npz(zip_of(training_records(), GetParam()), "t.npz");
  ASSERT_EQ(arrays.size(), 3u);
  EXPECT_EQ(arrays[0].name, "x_train");
  EXPECT_EQ(arrays[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(arrays[0].floats, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(arrays[1].name, "y_train");
  EXPECT_EQ(arrays[1].dtype, "|u1");
  EXPECT_EQ(arrays[1].integers, (std::vector<int64_t>{0, 7}));
  EXPECT_EQ(arrays[2].name, "dir/../w");
  EXPECT_EQ(arrays[2].integers, (std::vector<int64_t>{-3}));
}

TEST_P(NumpyNpz, NamesTheArrayOfABadRecord) {
  std::vector<Record> records = training_records();
  records[1].bytes.pop_back();
  const std::string message = error_of([&] { parse_npz(zip_of(records, GetParam()), "t.npz"); });
  expect_parts(message, {"t.npz: array y_train: truncated: holds 1 bytes, the shape needs 2"});
}

TEST_P(NumpyNpz, RefusesARecordThatIsNotAnNpyArray) {
  std::vector<Record> records = training_records();
  records.insert(records.begin() + 1, {"notes.txt", "hello"});
  const std::string message = error_of([&] { parse_npz(zip_of(records, GetParam()), "t.npz"); });
  expect_parts(message, {"t.npz: record 'notes.txt' is not an .npy array"});
}

INSTANTIATE_TEST_SUITE_P(Numpy, NumpyNpz, ::testing::Bool(),
                         [](const auto& test) { return test.param ? "deflated" : "stored"; });

TEST(NumpyNpz, ReadsAnEmptyArchiveAsNoArrays) {
  const std::string empty = std::string("PK\x05\x06", 4) + std::string(18, '\0');
  EXPECT_TRUE(parse_npz(empty, "t.npz").empty());
}

// The offsets of every occurrence of `signature` in `bytes`.
std::vector<size_t> offsets_of(const std::string& bytes, const std::string& signature) {
  std::vector<size_t> out;
  for (size_t at = bytes.find(signature); at != std::string::npos;
       at = bytes.find(signature, at + 1)) {
    out.push_back(at);
  }
  return out;
}

void add_to_u32(std::string& bytes, size_t at, int64_t delta) {
  uint32_t v = 0;
  std::memcpy(&v, bytes.data() + at, 4);
  v = static_cast<uint32_t>(static_cast<int64_t>(v) + delta);
  std::memcpy(bytes.data() + at, &v, 4);
}

// Field offsets in the local (PK\3\4) and central (PK\1\2) headers.
constexpr size_t kLocalCrc = 14, kLocalSize = 22, kCentralCrc = 16, kCentralSize = 24;
const std::string kLocal("PK\x03\x04", 4);
const std::string kCentral("PK\x01\x02", 4);

struct DamageCase {
  std::string label;
  bool deflate;
  void (*damage)(std::string&);
  std::vector<std::string> parts;
};

// An archive of one array "x.npy" (float32, 3 elements), damaged.
TEST(NumpyNpz, RefusesArchivesThatLieAboutTheirRecords) {
  const std::vector<DamageCase> cases = {
      {"garbage",
       false,
       [](std::string& z) { z = "PK\x03\x04 not really a zip"; },
       {"t.npz: not a readable zip archive"}},
      {"central size differs from local",
       false,
       [](std::string& z) { add_to_u32(z, offsets_of(z, kCentral)[0] + kCentralSize, 1); },
       {"t.npz: not a readable zip archive", "inconsistent"}},
      {"both state a larger size",
       true,
       [](std::string& z) {
         add_to_u32(z, offsets_of(z, kLocal)[0] + kLocalSize, 100);
         add_to_u32(z, offsets_of(z, kCentral)[0] + kCentralSize, 100);
       },
       {"t.npz: array x: the record holds 140 bytes, the archive states 240"}},
      {"both state a smaller size",
       true,
       [](std::string& z) {
         add_to_u32(z, offsets_of(z, kLocal)[0] + kLocalSize, -1);
         add_to_u32(z, offsets_of(z, kCentral)[0] + kCentralSize, -1);
       },
       {"t.npz: array x: the record holds more than the 139 bytes the archive states"}},
      {"wrong crc",
       false,
       [](std::string& z) {
         add_to_u32(z, offsets_of(z, kLocal)[0] + kLocalCrc, 1);
         add_to_u32(z, offsets_of(z, kCentral)[0] + kCentralCrc, 1);
       },
       {"t.npz: array x: damaged record", "CRC"}},
      {"stored data changed",
       false,
       [](std::string& z) { z[z.find('\n', z.find("\x93NUMPY")) + 1] ^= 1; },
       {"t.npz: array x: damaged record", "CRC"}},
      {"duplicate names",
       false,
       [](std::string& z) {
         for (size_t at : offsets_of(z, "y.npy")) z[at] = 'x';
       },
       {"t.npz: two records of the archive share a name"}},
  };
  const std::vector<Record> records = {
      {"x.npy", npy(dict("<f4", "(3,)"), encode<float>({1, 2, 3}))},
      {"y.npy", npy(dict("<f4", "(3,)"), encode<float>({1, 2, 3}))}};
  for (const DamageCase& c : cases) {
    SCOPED_TRACE(c.label);
    std::string bytes = zip_of(records, c.deflate);
    c.damage(bytes);
    expect_parts(error_of([&] { parse_npz(bytes, "t.npz"); }), c.parts);
  }
}

// ---- Files: chosen by their first bytes, named after the stem when lone.

TEST(NumpyFile, ChoosesTheFormatByItsFirstBytesNotItsExtension) {
  TempDir dir;
  const std::string lone = npy(dict("<f4", "(2,)"), encode<float>({1, 2}));
  std::ofstream(dir / "feats.npz", std::ios::binary) << lone;
  std::ofstream(dir / "pack.npy", std::ios::binary) << zip_of(training_records(), true);
  const std::vector<NumericArray> one = read_numpy_file(dir / "feats.npz");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].name, "feats");
  EXPECT_EQ(one[0].floats, (std::vector<float>{1, 2}));
  EXPECT_EQ(read_numpy_file(dir / "pack.npy").size(), 3u);
}

TEST(NumpyFile, NamesThePathOfAFileItCannotRead) {
  TempDir dir;
  std::ofstream(dir / "text.npy") << "x,y\n1,2\n";
  std::ofstream(dir / "empty.npz").flush();
  std::ofstream(dir / "bad.npy", std::ios::binary) << npy(dict("<f4", "(2,)"), "");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"missing.npz", "not found"},
      {"text.npy", "neither an .npy array"},
      {"empty.npz", "neither an .npy array"},
      {"bad.npy", "array bad: truncated: holds 0 bytes, the shape needs 8"},
  };
  for (const auto& [file, problem] : cases) {
    SCOPED_TRACE(file);
    const std::filesystem::path path = dir / file;
    expect_parts(error_of([&] { read_numpy_file(path); }), {path.string() + ": ", problem});
  }
}

// ---- What NumPy itself writes (python3-numpy; skipped without it).

constexpr const char* kNumpyScript = R"(import sys
import numpy as np
out = sys.argv[1]
arrays = dict(
    x=np.arange(6, dtype='<f4').reshape(2, 3),
    f=np.asfortranarray(np.arange(24, dtype='>i2').reshape(2, 3, 4)),
    h=np.array([0.5, -2.0, np.inf], dtype='<f2'),
    d=np.float64(3.25),
    e=np.zeros((0, 3), dtype='u1'),
    b=np.array([True, False, True]),
    u=np.array([2**63 - 1, 0], dtype='<u8'),
    n=np.array([np.nan, -0.0], dtype='>f8'),
)
np.savez(out + '/stored.npz', **arrays)
np.savez_compressed(out + '/deflated.npz', **arrays)
np.save(out + '/lone.npy', arrays['f'])
)";

void expect_numpy_arrays(const std::vector<NumericArray>& arrays) {
  ASSERT_EQ(arrays.size(), 8u);
  std::vector<std::string> names, dtypes;
  for (const NumericArray& a : arrays) {
    names.push_back(a.name);
    dtypes.push_back(a.dtype);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"x", "f", "h", "d", "e", "b", "u", "n"}));
  EXPECT_EQ(dtypes,
            (std::vector<std::string>{"<f4", ">i2", "<f2", "<f8", "|u1", "|b1", "<u8", ">f8"}));
  EXPECT_EQ(arrays[0].floats, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  std::vector<int64_t> iota(24);
  for (size_t i = 0; i < iota.size(); ++i) iota[i] = static_cast<int64_t>(i);
  EXPECT_EQ(arrays[1].shape, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(arrays[1].integers, iota);
  expect_floats(arrays[2].floats, {0.5f, -2.0f, kInf});
  EXPECT_TRUE(arrays[3].shape.empty());
  expect_floats(arrays[3].floats, {3.25f});
  EXPECT_EQ(arrays[4].shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(arrays[4].integers.empty());
  EXPECT_EQ(arrays[5].type, Type::boolean);
  EXPECT_EQ(arrays[5].integers, (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(arrays[6].integers, (std::vector<int64_t>{kInt64Max, 0}));
  expect_floats(arrays[7].floats, {kNaN, -0.0f});
}

TEST(NumpyPython, ReadsWhatNumpySavesStoredDeflatedAndLone) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with numpy not found (Debian: python3-numpy)";
  }
  TempDir dir;
  std::ofstream(dir / "write.py") << kNumpyScript;
  const std::string command =
      "/usr/bin/python3 '" + (dir / "write.py").string() + "' '" + dir.path().string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  for (const char* archive : {"stored.npz", "deflated.npz"}) {
    SCOPED_TRACE(archive);
    expect_numpy_arrays(read_numpy_file(dir / archive));
  }
  const std::vector<NumericArray> lone = read_numpy_file(dir / "lone.npy");
  ASSERT_EQ(lone.size(), 1u);
  EXPECT_EQ(lone[0].name, "lone");
  EXPECT_EQ(lone[0].integers.size(), 24u);
  EXPECT_EQ(lone[0].integers[1], 1);  // C order: (0, 0, 1)
}

}  // namespace
}  // namespace mpgru::data
