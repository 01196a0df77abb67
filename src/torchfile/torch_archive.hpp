// The named float tensors of a file PyTorch wrote: torch.save of a state dict (an OrderedDict or
// a plain dict, possibly nested, e.g. {"model": state_dict, "epoch": 3}) or torch.jit.save of a
// TorchScript module. Both are zip archives holding a pickle (PREFIX/data.pkl, read by
// parse_pickle, which runs no code) and one record per storage (PREFIX/data/KEY).
//
// Names follow PyTorch's state_dict: nested dicts and TorchScript submodules joined by '.', so a
// module's parameters read "gru.weight_ih_l0" whichever way it was saved. Tensors are converted
// to float32 row-major (float64, float16 and bfloat16 storages too; strides and offsets honoured).
// Integer tensors (int8..int64, uint8, bool: labels, token ids, a BatchNorm's num_batches_tracked)
// are read into `integers` with `floating` false; tensors of other types are listed with neither.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mpgru::torchfile {

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;  // row-major; empty when !floating
  bool floating = true;
  bool integer = false;           // an integer (or bool) tensor: its elements in `integers`
  std::vector<int64_t> integers;  // row-major; empty when !integer
  std::string storage_type;       // "torch.FloatStorage", ...
};

struct TorchFile {
  enum class Format { state_dict, torchscript };
  Format format = Format::state_dict;
  std::vector<NamedTensor> tensors;  // in the file's order
  // TorchScript: the class of every module ("" for the root), e.g. {"gru",
  // "__torch__.torch.nn.modules.rnn.GRU"}; empty for a state dict.
  std::vector<std::pair<std::string, std::string>> modules;
};

const char* format_name(TorchFile::Format format);

// Throws std::runtime_error naming `shown` and the cause: not a zip archive, a legacy
// (pre-1.6) torch.save file, a pickle that calls code, a storage record missing or shorter than
// its tensors, a big-endian file.
TorchFile read_torch_bytes(std::string_view bytes, const std::string& shown);
TorchFile read_torch_file(const std::filesystem::path& path);

}  // namespace mpgru::torchfile
