// From PyTorch's parameter names to mpgru's float model, and back.
//
// Taken: an nn.GRU (1..N layers, unidirectional, biases on; batch_first either way, it does not
// change the weights), one nn.Linear on the last hidden state, and an nn.Embedding before the
// GRU for token tasks. Names follow state_dict(): "<gru>.weight_ih_l0", "<gru>.bias_hh_l1", ...,
// "<head>.weight", "<head>.bias", "<embedding>.weight"; the module paths are found, or given
// when a model nests them ("model.rnn"). Parameters outside the GRU's parent module (an
// optimizer's state in a checkpoint dict, say) are ignored; inside it, every float tensor must
// find its place, or the import fails naming what is left over.
#pragma once

#include <string>
#include <vector>

#include "quant/float_gru.hpp"
#include "torchfile/torch_archive.hpp"

namespace mpgru::torchfile {

struct GruImportOptions {
  std::string gru;        // module path of the nn.GRU, e.g. "rnn" or "model.rnn"; "" = find it
  std::string head;       // of the nn.Linear classifier; "" = find it
  std::string embedding;  // of the nn.Embedding; "" = find it (token models only)
  // Features per step of the data the model reads (0: unknown). A weight_ih_l0 that is not
  // [3 x hidden, k] is refused naming the shape it should have, [3 x hidden, input].
  int64_t input = 0;
};

struct ImportedGru {
  quant::FloatGruModel model;
  // The module paths used ("" for a bare nn.GRU state dict; embedding "" when there is none).
  std::string gru;
  std::string head;
  std::string embedding;
  bool has_embedding = false;
};

// Throws std::runtime_error with a specific reason: an LSTM or vanilla RNN, a bidirectional
// GRU, an LSTM's projection, missing biases, a head that is not one nn.Linear on the hidden
// state, parameters that fit nowhere, inconsistent shapes, non-finite values.
ImportedGru gru_from_torch(const TorchFile& file, const GruImportOptions& options = {});

// The model's parameters under PyTorch's names (gates r, z, n stacked as nn.GRU stores them):
// "<gru>.weight_ih_l0", ..., "<head>.weight", "<head>.bias", and "<embedding>.weight" when the
// model has an embedding. gru_from_torch of these returns the same model.
std::vector<NamedTensor> torch_parameters(const quant::FloatGruModel& model,
                                          const std::string& gru = "gru",
                                          const std::string& head = "classifier",
                                          const std::string& embedding = "embedding");

}  // namespace mpgru::torchfile
