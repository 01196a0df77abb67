// libFuzzer: .mpq bytes -> parse_model, and every model that loads is run by the engine (both
// kernel paths) and exported as C: anything that loads must run without reading out of bounds
// or overflowing (check_model's promise).
#include <cstddef>
#include <cstdint>

#include "engine/gru_engine.hpp"
#include "engine/model_file.hpp"
#include "export/c_model.hpp"
#include "fuzz_input.hpp"
#include "model_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mpgru::engine::IntegerModel model;
  if (!mpgru::engine::parse_model(mpgru::fuzz::bytes_of(data, size), "fuzz.mpq", &model).empty()) {
    return 0;
  }
  mpgru::fuzz::run_model(model, data, size);
  return 0;
}
