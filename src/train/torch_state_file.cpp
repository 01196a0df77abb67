// torch::pickle_save of a Dict[str, Tensor]: Python's torch.load returns it as a dict, which
// load_state_dict accepts.
#include "train/torch_state_file.hpp"

#include <torch/torch.h>

#include <stdexcept>

#include "core/text_file.hpp"

namespace mpgru::train {

void save_torch_state_dict(const std::vector<torchfile::NamedTensor>& tensors,
                           const std::filesystem::path& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const torchfile::NamedTensor& t : tensors) {
    if (!t.floating) throw std::invalid_argument(t.name + ": not a float tensor");
    torch::Tensor value = torch::tensor(t.values, torch::kFloat32).reshape(t.shape).clone();
    dict.insert(t.name, value);
  }
  std::vector<char> bytes;
  try {
    bytes = torch::pickle_save(c10::IValue(dict));
  } catch (const c10::Error& e) {
    throw std::runtime_error(path.string() + ": cannot write: " + e.what_without_backtrace());
  }
  core::write_file_atomically(std::string_view(bytes.data(), bytes.size()), path);
}

}  // namespace mpgru::train
