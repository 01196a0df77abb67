// A Python pickle reader for the files PyTorch writes (torch.save, torch.jit.save): it builds
// values, it never runs code. Only the globals PyTorch uses for tensors and state dicts are
// accepted (OrderedDict, _rebuild_tensor_v2, _rebuild_parameter, TorchScript's __torch__ classes);
// any other call is an error naming it, like torch.load(weights_only=True).
//
// Values live in one arena and refer to each other by index, so shared and cyclic references
// (pickle's memo allows both) cost nothing and free nothing twice. Every read is bounds-checked;
// bad input throws std::runtime_error naming the byte offset and the opcode.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mpgru::torchfile {

enum class ElementType {
  float32,
  float64,
  float16,
  bfloat16,
  int64,
  int32,
  int16,
  int8,
  uint8,
  boolean,
  other
};

// Whether tensors of `type` hold integers (int8..int64, uint8, bool).
bool is_integer(ElementType type);

// Bytes per element (0 for `other`, whose tensors are read but cannot be converted).
int element_bytes(ElementType type);

// A tensor as the pickle describes it: a view (offset, sizes, strides, in elements) of a storage
// held in the archive's data/<key> record.
struct TensorRef {
  std::string storage_key;
  std::string storage_type;  // "torch.FloatStorage", ...
  ElementType type = ElementType::other;
  int64_t storage_elements = 0;  // as the pickle states it
  int64_t offset = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

struct PickleValue {
  enum class Kind {
    none,
    boolean,
    integer,
    real,
    string,
    bytes,
    tuple,
    list,
    dict,
    global,
    object,
    storage,
    tensor
  };
  Kind kind = Kind::none;
  int64_t integer = 0;  // boolean, integer
  double real = 0;
  // string and bytes: the contents; global: "module.name"; object: its class ("module.name").
  std::string text;
  // tuple, list: the elements; dict: key, value, key, value, ...; object: its state (BUILD) if set.
  std::vector<uint32_t> items;
  TensorRef tensor;  // storage (only the storage fields), tensor
};

const char* kind_name(PickleValue::Kind kind);

struct Pickle {
  std::vector<PickleValue> values;
  uint32_t root = 0;
  const PickleValue& at(uint32_t index) const { return values.at(index); }
};

// Parses one pickle (protocols 2 to 5, the opcodes PyTorch emits). Throws std::runtime_error
// "pickle offset N (OPCODE): what".
Pickle parse_pickle(std::string_view bytes);

}  // namespace mpgru::torchfile
