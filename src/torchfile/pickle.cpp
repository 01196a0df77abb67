// The pickle virtual machine, restricted to building values: a stack, marks and a memo of
// indices into the value arena.
#include "torchfile/pickle.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace mpgru::torchfile {
namespace {

using Kind = PickleValue::Kind;

// A state dict has ~15 values per tensor; this bounds the arena (~250 MB) whatever the input.
constexpr size_t kMaxValues = size_t{1} << 20;
constexpr size_t kMaxDimensions = 16;

const char* opcode_name(uint8_t op) {
  switch (op) {
    case '(':
      return "MARK";
    case '.':
      return "STOP";
    case '0':
      return "POP";
    case '1':
      return "POP_MARK";
    case '2':
      return "DUP";
    case 'J':
      return "BININT";
    case 'K':
      return "BININT1";
    case 'M':
      return "BININT2";
    case 0x8a:
      return "LONG1";
    case 'N':
      return "NONE";
    case 0x88:
      return "NEWTRUE";
    case 0x89:
      return "NEWFALSE";
    case 'G':
      return "BINFLOAT";
    case 'X':
      return "BINUNICODE";
    case 0x8c:
      return "SHORT_BINUNICODE";
    case 0x8d:
      return "BINUNICODE8";
    case 'T':
      return "BINSTRING";
    case 'U':
      return "SHORT_BINSTRING";
    case 'B':
      return "BINBYTES";
    case 'C':
      return "SHORT_BINBYTES";
    case 0x8e:
      return "BINBYTES8";
    case ')':
      return "EMPTY_TUPLE";
    case 't':
      return "TUPLE";
    case 0x85:
      return "TUPLE1";
    case 0x86:
      return "TUPLE2";
    case 0x87:
      return "TUPLE3";
    case ']':
      return "EMPTY_LIST";
    case 'l':
      return "LIST";
    case 'a':
      return "APPEND";
    case 'e':
      return "APPENDS";
    case '}':
      return "EMPTY_DICT";
    case 'd':
      return "DICT";
    case 's':
      return "SETITEM";
    case 'u':
      return "SETITEMS";
    case 'c':
      return "GLOBAL";
    case 0x93:
      return "STACK_GLOBAL";
    case 'R':
      return "REDUCE";
    case 0x81:
      return "NEWOBJ";
    case 'b':
      return "BUILD";
    case 'Q':
      return "BINPERSID";
    case 'h':
      return "BINGET";
    case 'j':
      return "LONG_BINGET";
    case 'q':
      return "BINPUT";
    case 'r':
      return "LONG_BINPUT";
    case 0x94:
      return "MEMOIZE";
    case 0x80:
      return "PROTO";
    case 0x95:
      return "FRAME";
    default:
      return nullptr;
  }
}

ElementType element_type_of(const std::string& storage_type) {
  if (storage_type == "torch.FloatStorage") return ElementType::float32;
  if (storage_type == "torch.DoubleStorage") return ElementType::float64;
  if (storage_type == "torch.HalfStorage") return ElementType::float16;
  if (storage_type == "torch.BFloat16Storage") return ElementType::bfloat16;
  if (storage_type == "torch.LongStorage") return ElementType::int64;
  if (storage_type == "torch.IntStorage") return ElementType::int32;
  if (storage_type == "torch.ShortStorage") return ElementType::int16;
  if (storage_type == "torch.CharStorage") return ElementType::int8;
  if (storage_type == "torch.ByteStorage") return ElementType::uint8;
  if (storage_type == "torch.BoolStorage") return ElementType::boolean;
  return ElementType::other;
}

class Parser {
 public:
  explicit Parser(std::string_view bytes) : bytes_(bytes) {}

  Pickle run() {
    if (bytes_.empty()) fail("empty pickle");
    for (;;) {
      op_pos_ = pos_;
      op_ = byte();
      if (op_ == '.') return stop();
      step();
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    const char* name = opcode_name(op_);
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", op_);
    throw std::runtime_error("pickle offset " + std::to_string(op_pos_) + " (" +
                             (name != nullptr ? name : code) + "): " + what);
  }

  // ---- input ----
  uint8_t byte() {
    if (pos_ >= bytes_.size()) fail("ends before its STOP opcode");
    return static_cast<uint8_t>(bytes_[pos_++]);
  }
  std::string_view take(uint64_t n) {
    if (n > bytes_.size() - pos_) {
      fail("needs " + std::to_string(n) + " bytes, " + std::to_string(bytes_.size() - pos_) +
           " left");
    }
    const std::string_view out = bytes_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return out;
  }
  uint64_t little(int n) {
    const std::string_view b = take(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[static_cast<size_t>(i)]);
    return v;
  }
  std::string line() {
    const size_t end = bytes_.find('\n', pos_);
    if (end == std::string_view::npos) fail("a GLOBAL name without its newline");
    std::string out(bytes_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }

  // ---- values and the stack ----
  uint32_t add(PickleValue value) {
    if (out_.values.size() >= kMaxValues) {
      fail("more than " + std::to_string(kMaxValues) + " values");
    }
    out_.values.push_back(std::move(value));
    return static_cast<uint32_t>(out_.values.size() - 1);
  }
  uint32_t add(Kind kind, int64_t integer = 0, std::string text = {}) {
    PickleValue v;
    v.kind = kind;
    v.integer = integer;
    v.text = std::move(text);
    return add(std::move(v));
  }
  void push(uint32_t index) { stack_.push_back(index); }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  uint32_t pop() {
    if (stack_.size() <= floor()) fail("the stack is empty (or only a MARK is left)");
    const uint32_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  uint32_t top() {
    if (stack_.size() <= floor()) fail("the stack is empty (or only a MARK is left)");
    return stack_.back();
  }
  std::vector<uint32_t> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<uint32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  PickleValue& value(uint32_t index) { return out_.values[index]; }
  PickleValue& expect(uint32_t index, Kind kind, const char* role) {
    PickleValue& v = value(index);
    if (v.kind != kind) {
      fail(std::string(role) + " is a " + kind_name(v.kind) + ", not a " + kind_name(kind));
    }
    return v;
  }
  uint32_t container(std::vector<uint32_t> items, Kind kind) {
    PickleValue v;
    v.kind = kind;
    v.items = std::move(items);
    return add(std::move(v));
  }
  void append_items(uint32_t target, const std::vector<uint32_t>& items, Kind kind) {
    PickleValue& v =
        expect(target, kind, kind == Kind::dict ? "the SETITEM target" : "the APPEND target");
    if (kind == Kind::dict && items.size() % 2 != 0) fail("an odd number of keys and values");
    v.items.insert(v.items.end(), items.begin(), items.end());
  }
  void memo_put(uint64_t key) { memo_[key] = top(); }
  void memo_get(uint64_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail("memo entry " + std::to_string(key) + " was never stored");
    push(it->second);
  }

  // ---- opcodes ----
  Pickle stop() {
    if (!marks_.empty() || stack_.size() != 1) {
      fail("the stack holds " + std::to_string(stack_.size()) + " values and " +
           std::to_string(marks_.size()) + " marks at STOP, not one value");
    }
    out_.root = stack_.back();
    return std::move(out_);
  }

  void step() {
    switch (op_) {
      case 0x80: {
        const uint8_t protocol = byte();
        if (protocol < 2 || protocol > 5) fail("protocol " + std::to_string(protocol));
        return;
      }
      case 0x95:
        take(8);
        return;
      case '(':
        marks_.push_back(stack_.size());
        return;
      case '0':
        pop();
        return;
      case '1':
        pop_mark();
        return;
      case '2':
        push(top());
        return;
      case 'N':
        push(add(Kind::none));
        return;
      case 0x88:
        push(add(Kind::boolean, 1));
        return;
      case 0x89:
        push(add(Kind::boolean, 0));
        return;
      case 'J':
        push(add(Kind::integer, static_cast<int32_t>(little(4))));
        return;
      case 'K':
        push(add(Kind::integer, static_cast<int64_t>(little(1))));
        return;
      case 'M':
        push(add(Kind::integer, static_cast<int64_t>(little(2))));
        return;
      case 0x8a:
        return long1();
      case 'G':
        return binfloat();
      case 'X':
        push(add(Kind::string, 0, std::string(take(little(4)))));
        return;
      case 0x8c:
        push(add(Kind::string, 0, std::string(take(little(1)))));
        return;
      case 0x8d:
        push(add(Kind::string, 0, std::string(take(little(8)))));
        return;
      case 'T':
        return binstring();
      case 'U':
        push(add(Kind::string, 0, std::string(take(little(1)))));
        return;
      case 'B':
        push(add(Kind::bytes, 0, std::string(take(little(4)))));
        return;
      case 'C':
        push(add(Kind::bytes, 0, std::string(take(little(1)))));
        return;
      case 0x8e:
        push(add(Kind::bytes, 0, std::string(take(little(8)))));
        return;
      default:
        return structure();
    }
  }

  void structure() {
    switch (op_) {
      case ')':
        push(container({}, Kind::tuple));
        return;
      case 't':
        push(container(pop_mark(), Kind::tuple));
        return;
      case 0x85:
      case 0x86:
      case 0x87:
        return small_tuple(op_ - 0x84);
      case ']':
        push(container({}, Kind::list));
        return;
      case 'l':
        push(container(pop_mark(), Kind::list));
        return;
      case '}':
        push(container({}, Kind::dict));
        return;
      case 'd': {
        std::vector<uint32_t> items = pop_mark();
        if (items.size() % 2 != 0) fail("an odd number of keys and values");
        push(container(std::move(items), Kind::dict));
        return;
      }
      case 'a': {
        const uint32_t item = pop();
        append_items(top(), {item}, Kind::list);
        return;
      }
      case 'e': {
        const std::vector<uint32_t> items = pop_mark();
        append_items(top(), items, Kind::list);
        return;
      }
      case 's': {
        const uint32_t v = pop();
        const uint32_t k = pop();
        append_items(top(), {k, v}, Kind::dict);
        return;
      }
      case 'u': {
        const std::vector<uint32_t> items = pop_mark();
        append_items(top(), items, Kind::dict);
        return;
      }
      default:
        return memo_or_object();
    }
  }

  void memo_or_object() {
    switch (op_) {
      case 'q':
        memo_put(little(1));
        return;
      case 'r':
        memo_put(little(4));
        return;
      case 0x94:
        memo_put(memo_.size());
        return;
      case 'h':
        memo_get(little(1));
        return;
      case 'j':
        memo_get(little(4));
        return;
      case 'c': {
        std::string module = line();
        const std::string name = line();
        push(add(Kind::global, 0, module + "." + name));
        return;
      }
      case 0x93: {
        const uint32_t name = pop();
        const uint32_t module = pop();
        const std::string text = expect(module, Kind::string, "the module").text + "." +
                                 expect(name, Kind::string, "the name").text;
        push(add(Kind::global, 0, text));
        return;
      }
      case 'R':
        return reduce();
      case 0x81:
        return newobj();
      case 'b':
        return build();
      case 'Q':
        return persistent_id();
      default:
        fail("an opcode PyTorch does not write");
    }
  }

  void long1() {
    const uint64_t n = little(1);
    if (n > 8) fail("an integer of " + std::to_string(n) + " bytes (at most 8 are read)");
    if (n == 0) {
      push(add(Kind::integer, 0));
      return;
    }
    const int bytes = static_cast<int>(n);
    uint64_t v = little(bytes);
    if (bytes < 8 && (v >> (8 * bytes - 1)) != 0) v |= ~uint64_t{0} << (8 * bytes);  // sign
    int64_t s = 0;
    std::memcpy(&s, &v, sizeof s);
    push(add(Kind::integer, s));
  }

  void binfloat() {
    const std::string_view b = take(8);
    uint64_t bits = 0;
    for (char c : b) bits = (bits << 8) | static_cast<uint8_t>(c);  // big-endian
    PickleValue v;
    v.kind = Kind::real;
    std::memcpy(&v.real, &bits, sizeof v.real);
    push(add(std::move(v)));
  }

  void binstring() {
    const uint64_t n = little(4);
    if (n > 0x7fffffffu) fail("a string of negative length");
    push(add(Kind::string, 0, std::string(take(n))));
  }

  void small_tuple(int n) {
    std::vector<uint32_t> items(static_cast<size_t>(n));
    for (int i = n - 1; i >= 0; --i) items[static_cast<size_t>(i)] = pop();
    push(container(std::move(items), Kind::tuple));
  }

  int64_t integer_of(uint32_t index, const char* role) {
    return expect(index, Kind::integer, role).integer;
  }

  std::vector<int64_t> integers_of(uint32_t index, const char* role) {
    const std::vector<uint32_t> items = expect(index, Kind::tuple, role).items;
    if (items.size() > kMaxDimensions) {
      fail(std::string(role) + " has " + std::to_string(items.size()) + " dimensions (at most " +
           std::to_string(kMaxDimensions) + ")");
    }
    std::vector<int64_t> out;
    for (uint32_t i : items) out.push_back(integer_of(i, role));
    return out;
  }

  uint32_t rebuild_tensor(const std::vector<uint32_t>& args) {
    if (args.size() < 4)
      fail("_rebuild_tensor_v2 with " + std::to_string(args.size()) + " arguments");
    PickleValue v;
    v.kind = Kind::tensor;
    v.tensor = expect(args[0], Kind::storage, "the tensor's storage").tensor;
    v.tensor.offset = integer_of(args[1], "the storage offset");
    v.tensor.sizes = integers_of(args[2], "the tensor's size");
    v.tensor.strides = integers_of(args[3], "the tensor's stride");
    if (v.tensor.sizes.size() != v.tensor.strides.size())
      fail("sizes and strides differ in length");
    return add(std::move(v));
  }

  uint32_t call(const std::string& function, const std::vector<uint32_t>& args) {
    if (function == "collections.OrderedDict") {
      if (!args.empty()) fail("OrderedDict called with arguments");
      return container({}, Kind::dict);
    }
    if (function == "torch._utils._rebuild_tensor_v2" ||
        function == "torch._utils._rebuild_tensor") {
      return rebuild_tensor(args);
    }
    if (function == "torch._utils._rebuild_parameter" ||
        function == "torch._utils._rebuild_parameter_with_state") {
      if (args.empty()) fail(function + " without arguments");
      expect(args[0], Kind::tensor, "the parameter's data");
      return args[0];
    }
    if (function == "torch.jit._pickle.restore_type_tag" ||
        function.rfind("torch.jit._pickle.build_", 0) == 0) {  // TorchScript's typed containers
      if (args.empty()) fail(function + " without arguments");
      return args[0];
    }
    fail("the file calls the Python function " + function +
         ", which mpgru does not run: it reads tensors and dicts only (save model.state_dict() or "
         "a TorchScript module, not a pickled Python object)");
  }

  void reduce() {
    const uint32_t args = pop();
    const uint32_t callable = pop();
    const std::string function = expect(callable, Kind::global, "the called object").text;
    const std::vector<uint32_t> items = expect(args, Kind::tuple, "the arguments").items;
    push(call(function, items));
  }

  void newobj() {
    pop();  // the arguments: TorchScript objects are built empty, then BUILD sets their state
    const std::string cls = expect(pop(), Kind::global, "the class").text;
    if (cls.rfind("__torch__.", 0) != 0) {
      fail("the file creates a " + cls +
           " object, which mpgru does not run: save model.state_dict() or a TorchScript module, "
           "not the pickled Python module");
    }
    push(add(Kind::object, 0, cls));
  }

  void build() {
    const uint32_t state = pop();
    PickleValue& target = value(top());
    if (target.kind == Kind::object) {
      target.items = {state};
    } else if (target.kind != Kind::dict) {  // an OrderedDict's _metadata: not needed
      fail("BUILD on a " + std::string(kind_name(target.kind)));
    }
  }

  void persistent_id() {
    const std::vector<uint32_t> pid = expect(pop(), Kind::tuple, "the persistent id").items;
    if (pid.size() != 5 || value(pid[0]).kind != Kind::string || value(pid[0]).text != "storage") {
      fail("a persistent id that is not ('storage', type, key, location, size)");
    }
    PickleValue v;
    v.kind = Kind::storage;
    v.tensor.storage_type = expect(pid[1], Kind::global, "the storage type").text;
    v.tensor.type = element_type_of(v.tensor.storage_type);
    v.tensor.storage_key = expect(pid[2], Kind::string, "the storage key").text;
    v.tensor.storage_elements = integer_of(pid[4], "the storage size");
    push(add(std::move(v)));
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
  Pickle out_;
  std::vector<uint32_t> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, uint32_t> memo_;
};

}  // namespace

bool is_integer(ElementType type) {
  switch (type) {
    case ElementType::int64:
    case ElementType::int32:
    case ElementType::int16:
    case ElementType::int8:
    case ElementType::uint8:
    case ElementType::boolean:
      return true;
    default:
      return false;
  }
}

int element_bytes(ElementType type) {
  switch (type) {
    case ElementType::float64:
    case ElementType::int64:
      return 8;
    case ElementType::float32:
    case ElementType::int32:
      return 4;
    case ElementType::float16:
    case ElementType::bfloat16:
    case ElementType::int16:
      return 2;
    case ElementType::int8:
    case ElementType::uint8:
    case ElementType::boolean:
      return 1;
    case ElementType::other:
      return 0;
  }
  return 0;
}

const char* kind_name(PickleValue::Kind kind) {
  switch (kind) {
    case Kind::none:
      return "None";
    case Kind::boolean:
      return "bool";
    case Kind::integer:
      return "int";
    case Kind::real:
      return "float";
    case Kind::string:
      return "str";
    case Kind::bytes:
      return "bytes";
    case Kind::tuple:
      return "tuple";
    case Kind::list:
      return "list";
    case Kind::dict:
      return "dict";
    case Kind::global:
      return "global";
    case Kind::object:
      return "object";
    case Kind::storage:
      return "storage";
    case Kind::tensor:
      return "tensor";
  }
  return "?";
}

Pickle parse_pickle(std::string_view bytes) {
  return Parser(bytes).run();
}

}  // namespace mpgru::torchfile
