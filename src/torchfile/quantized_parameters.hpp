// An integer model handed back to PyTorch: its parameters as fake-quantized floats (each weight
// q * scale of its row, each bias its int32 at the accumulator's scale) under nn.GRU's names, and
// every quantization point's bit width and scale, so a PyTorch user can inspect the model or
// continue from it (torch.fake_quantize_per_channel_affine with these scales gives the weights
// back unchanged). docs/pytorch.md describes the JSON.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "engine/model.hpp"
#include "torchfile/torch_archive.hpp"

namespace mpgru::torchfile {

// "embedding.weight" (token models), "gru.weight_ih_l0", ..., "classifier.weight",
// "classifier.bias": load_state_dict of a model with those module names takes them.
std::vector<NamedTensor> fake_quantized_parameters(const engine::IntegerModel& model);

// {"format", "genome", "parameters": {name: {genes, bits, rows_per_gene, scales, quant_min,
// quant_max}}, "points": [{gene, bits, signed, scale, quant_min, quant_max}]}: every gene of the
// genome appears once, weights under "parameters", activations under "points".
nlohmann::json quantization_json(const engine::IntegerModel& model);

}  // namespace mpgru::torchfile
