// The pickle reader on hand-assembled pickles: values, memo, marks, and every refusal.
#include "torchfile/pickle.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mpgru::torchfile {
namespace {

using Kind = PickleValue::Kind;

std::string P(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out += static_cast<char>(b);
  return out;
}

std::string unicode(const std::string& s) {  // SHORT_BINUNICODE
  return P({0x8c, static_cast<int>(s.size())}) + s;
}

std::string error_of(const std::string& bytes) {
  try {
    parse_pickle(bytes);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(Pickle, ReadsScalarsInATuple) {
  // (None, True, -2, 300, 1.5, 'ab', 2**40)
  const std::string bytes = P({0x80, 2, '(', 'N',  0x88, 'J', 0xfe, 0xff, 0xff, 0xff, 'M',
                               0x2c, 1, 'G', 0x3f, 0xf8, 0,   0,    0,    0,    0,    0}) +
                            unicode("ab") + P({0x8a, 6, 0, 0, 0, 0, 0, 1, 't', '.'});
  const Pickle p = parse_pickle(bytes);
  const PickleValue& root = p.at(p.root);
  ASSERT_EQ(root.kind, Kind::tuple);
  ASSERT_EQ(root.items.size(), 7u);
  EXPECT_EQ(p.at(root.items[0]).kind, Kind::none);
  EXPECT_EQ(p.at(root.items[1]).integer, 1);
  EXPECT_EQ(p.at(root.items[2]).integer, -2);
  EXPECT_EQ(p.at(root.items[3]).integer, 300);
  EXPECT_EQ(p.at(root.items[4]).real, 1.5);
  EXPECT_EQ(p.at(root.items[5]).text, "ab");
  EXPECT_EQ(p.at(root.items[6]).integer, int64_t{1} << 40);
}

TEST(Pickle, NegativeLong1AndMemoSharing) {
  // d = {}; d['k'] = -129 (LONG1 of 2 bytes); (d, d) via BINPUT/BINGET
  const std::string bytes =
      P({0x80, 2, '}', 'q', 0}) + unicode("k") + P({0x8a, 2, 0x7f, 0xff, 's', 'h', 0, 0x86, '.'});
  const Pickle p = parse_pickle(bytes);
  const PickleValue& root = p.at(p.root);
  ASSERT_EQ(root.items.size(), 2u);
  EXPECT_EQ(root.items[0], root.items[1]);  // one dict, referenced twice
  const PickleValue& d = p.at(root.items[0]);
  ASSERT_EQ(d.items.size(), 2u);
  EXPECT_EQ(p.at(d.items[1]).integer, -129);
}

TEST(Pickle, RebuildsATensorFromItsPersistentStorage) {
  // _rebuild_tensor_v2(pid('storage', FloatStorage, '0', 'cpu', 6), 1, (2, 2), (3, 1), False,
  // OrderedDict())
  const std::string bytes =
      P({0x80, 2, 'c'}) + "torch._utils\n_rebuild_tensor_v2\n" + P({'(', '('}) +
      unicode("storage") + P({'c'}) + "torch\nFloatStorage\n" + unicode("0") + unicode("cpu") +
      P({'K', 6, 't', 'Q', 'K', 1, 'K', 2, 'K', 2, 0x86, 'K', 3, 'K', 1, 0x86, 0x89, 'c'}) +
      "collections\nOrderedDict\n" + P({')', 'R', 't', 'R', '.'});
  const Pickle p = parse_pickle(bytes);
  const PickleValue& t = p.at(p.root);
  ASSERT_EQ(t.kind, Kind::tensor);
  EXPECT_EQ(t.tensor.storage_key, "0");
  EXPECT_EQ(t.tensor.type, ElementType::float32);
  EXPECT_EQ(t.tensor.storage_elements, 6);
  EXPECT_EQ(t.tensor.offset, 1);
  EXPECT_EQ(t.tensor.sizes, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(t.tensor.strides, (std::vector<int64_t>{3, 1}));
}

TEST(Pickle, TorchScriptObjectsGetTheirStateFromBuild) {
  const std::string bytes = P({0x80, 2, 'c'}) + "__torch__\nNet\n" + P({')', 0x81, '}', 'b', '.'});
  const Pickle p = parse_pickle(bytes);
  const PickleValue& obj = p.at(p.root);
  ASSERT_EQ(obj.kind, Kind::object);
  EXPECT_EQ(obj.text, "__torch__.Net");
  ASSERT_EQ(obj.items.size(), 1u);
  EXPECT_EQ(p.at(obj.items[0]).kind, Kind::dict);
}

TEST(Pickle, RefusesToCallAnythingElse) {
  const std::string call =
      P({0x80, 2, 'c'}) + "os\nsystem\n" + unicode("echo hi") + P({0x85, 'R', '.'});
  EXPECT_NE(error_of(call).find("calls the Python function os.system, which mpgru does not run"),
            std::string::npos)
      << error_of(call);
  const std::string module = P({0x80, 2, 'c'}) + "__main__\nNet\n" + P({')', 0x81, '.'});
  EXPECT_NE(error_of(module).find("creates a __main__.Net object"), std::string::npos)
      << error_of(module);
}

TEST(Pickle, NamesTheOffsetAndOpcodeOfBadInput) {
  EXPECT_EQ(error_of(""), "pickle offset 0 (0x00): empty pickle");
  EXPECT_EQ(error_of(P({0x80, 2, 'N'})), "pickle offset 3 (NONE): ends before its STOP opcode");
  EXPECT_EQ(error_of(P({0x80, 9, 'N', '.'})), "pickle offset 0 (PROTO): protocol 9");
  EXPECT_EQ(error_of(P({0x80, 2, 'h', 7, '.'})),
            "pickle offset 2 (BINGET): memo entry 7 was never stored");
  EXPECT_EQ(error_of(P({0x80, 2, 'X', 0xff, 0, 0, 0, 'a', '.'})),
            "pickle offset 2 (BINUNICODE): needs 255 bytes, 2 left");
  EXPECT_EQ(error_of(P({0x80, 2, 'N', 'N', '.'})),
            "pickle offset 4 (STOP): the stack holds 2 values and 0 marks at STOP, not one value");
  EXPECT_EQ(error_of(P({0x80, 2, '(', 's', '.'})),
            "pickle offset 3 (SETITEM): the stack is empty (or only a MARK is left)");
  EXPECT_EQ(error_of(P({0x80, 2, 'N', 'N', 'N', 's', '.'})),
            "pickle offset 5 (SETITEM): the SETITEM target is a None, not a dict");
  EXPECT_EQ(error_of(P({0x80, 2, 'i', '.'})),
            "pickle offset 2 (0x69): an opcode PyTorch does not write");
  EXPECT_EQ(error_of(P({0x80, 2, 0x8a, 9, '.'})),
            "pickle offset 2 (LONG1): an integer of 9 bytes (at most 8 are read)");
}

TEST(Pickle, CyclesAreValuesNotCrashes) {
  // l = []; l.append(l)
  const Pickle p = parse_pickle(P({0x80, 2, ']', 'q', 0, 'h', 0, 'a', '.'}));
  const PickleValue& l = p.at(p.root);
  ASSERT_EQ(l.items.size(), 1u);
  EXPECT_EQ(l.items[0], p.root);
}

}  // namespace
}  // namespace mpgru::torchfile
