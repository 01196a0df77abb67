// The PyTorch files the tests read (made at build time by tests/fixtures/torch/make_fixtures.py
// with python3-torch into the build folder, MPGRU_TORCH_FIXTURES) and PyTorch's outputs.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mpgru::testing {

inline std::filesystem::path torch_fixture(const std::string& name) {
  return std::filesystem::path(MPGRU_TORCH_FIXTURES) / name;
}

// The generator writes `stamp` last: the fixtures are complete.
inline bool have_torch_fixtures() {
  return std::filesystem::exists(torch_fixture("stamp"));
}

// First statement of a test that reads the fixtures.
#define MPGRU_NEED_TORCH_FIXTURES()                        \
  if (!mpgru::testing::have_torch_fixtures())              \
  GTEST_SKIP()                                             \
      << "no PyTorch fixtures in " << MPGRU_TORCH_FIXTURES \
      << ": they are made at build time with python3-torch (scripts/setup.sh installs it)"

inline nlohmann::json torch_fixture_json(const std::string& name) {
  std::ifstream in(torch_fixture(name));
  return nlohmann::json::parse(in);
}

// NAME.inputs.json as sequences of steps x values ([batch][steps][features], or token ids
// [batch][steps] as one value per step).
inline std::vector<std::vector<float>> torch_fixture_inputs(const std::string& model) {
  std::vector<std::vector<float>> out;
  for (const auto& sequence : torch_fixture_json(model + ".inputs.json")) {
    std::vector<float> values;
    for (const auto& step : sequence) {
      if (step.is_array()) {
        for (const auto& v : step) values.push_back(v.get<float>());
      } else {
        values.push_back(step.get<float>());
      }
    }
    out.push_back(values);
  }
  return out;
}

}  // namespace mpgru::testing
