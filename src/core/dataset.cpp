// The Dataset interface: split names, sequence slicing and shape checks.
#include "core/dataset.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>
#include <utility>

namespace mpgru::data {

nlohmann::json Dataset::source() const {
  return nullptr;
}

nlohmann::json shape_json(const Dataset& dataset) {
  nlohmann::json j = {{"steps", dataset.steps()},
                      {"features", dataset.features()},
                      {"classes", dataset.num_classes()},
                      {"train", dataset.split(Split::train).count()},
                      {"validation", dataset.split(Split::validation).count()},
                      {"test", dataset.split(Split::test).count()}};
  if (dataset.vocabulary() > 0) j["vocabulary"] = dataset.vocabulary();
  if (dataset.outputs() > 0) j["outputs"] = dataset.outputs();
  if (nlohmann::json source = dataset.source(); !source.is_null()) j["source"] = std::move(source);
  return j;
}

const char* to_string(Split split) {
  switch (split) {
    case Split::train:
      return "train";
    case Split::validation:
      return "validation";
    case Split::test:
      return "test";
  }
  return "?";
}

Split parse_split(const std::string& name) {
  if (name == "train") return Split::train;
  if (name == "validation" || name == "val") return Split::validation;
  if (name == "test") return Split::test;
  throw std::invalid_argument("unknown split '" + name + "' (expected train, validation or test)");
}

std::string Sequences::token_error(int64_t vocabulary) const {
  if (features != 1) {
    return "token sequences need 1 feature per step, got " + std::to_string(features);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    if (!(v >= 0 && v < static_cast<float>(vocabulary)) ||
        v != static_cast<float>(static_cast<int64_t>(v))) {
      return "value " + std::to_string(v) + " of sequence " +
             std::to_string(static_cast<int64_t>(i) / steps) + " is not a token id in 0.." +
             std::to_string(vocabulary - 1);
    }
  }
  return {};
}

Sequences Sequences::slice(int64_t first, int64_t n) const {
  if (first < 0 || n < 0 || first + n > count()) {
    throw std::out_of_range("slice [" + std::to_string(first) + ", " + std::to_string(first + n) +
                            ") outside " + std::to_string(count()) + " sequences");
  }
  Sequences out;
  out.steps = steps;
  out.features = features;
  const int64_t per = steps * features;
  out.values.assign(values.begin() + first * per, values.begin() + (first + n) * per);
  out.outputs = outputs;
  if (outputs > 0) {
    const int64_t per_target = steps * outputs;
    out.targets.assign(targets.begin() + first * per_target,
                       targets.begin() + (first + n) * per_target);
  } else {
    out.labels.assign(labels.begin() + first, labels.begin() + first + n);
  }
  return out;
}

void Sequences::check_shape(int num_classes) const {
  if (steps <= 0 || features <= 0) {
    throw std::logic_error("sequences need steps > 0 and features > 0, got " +
                           std::to_string(steps) + " x " + std::to_string(features));
  }
  if (static_cast<int64_t>(values.size()) != count() * steps * features) {
    throw std::logic_error(std::to_string(values.size()) + " values for " +
                           std::to_string(count()) + " sequences of " + std::to_string(steps) +
                           " x " + std::to_string(features));
  }
  if (outputs > 0) {
    if (!labels.empty() || static_cast<int64_t>(targets.size()) != count() * steps * outputs) {
      throw std::logic_error(std::to_string(targets.size()) + " targets and " +
                             std::to_string(labels.size()) + " labels for " +
                             std::to_string(count()) + " sequences of " + std::to_string(steps) +
                             " steps x " + std::to_string(outputs) + " outputs");
    }
    return;
  }
  for (int64_t i = 0; i < count(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      throw std::logic_error("label " + std::to_string(labels[i]) + " of sequence " +
                             std::to_string(i) + " outside 0.." + std::to_string(num_classes - 1));
    }
  }
}

InMemoryDataset::InMemoryDataset(std::string name, int num_classes, Sequences train,
                                 Sequences validation, Sequences test, int64_t vocabulary)
    : name_(std::move(name)),
      num_classes_(num_classes),
      vocabulary_(vocabulary),
      splits_{std::move(train), std::move(validation), std::move(test)} {
  if (num_classes_ < 2) throw std::logic_error(name_ + ": needs at least 2 classes");
  for (const Sequences& s : splits_) {
    if (s.steps != splits_[0].steps || s.features != splits_[0].features) {
      throw std::logic_error(name_ + ": splits disagree on steps/features");
    }
    s.check_shape(num_classes_);
    if (vocabulary_ == 0) continue;
    if (const std::string error = s.token_error(vocabulary_); !error.empty()) {
      throw std::logic_error(name_ + ": " + error);
    }
  }
}

const Sequences& InMemoryDataset::split(Split split) const {
  return splits_[static_cast<int>(split)];
}

}  // namespace mpgru::data
