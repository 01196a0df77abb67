// Task `smnist`: MNIST IDX files to row-wise sequences, with the fixed validation split.
#include "data/smnist.hpp"

#include "data/idx.hpp"

namespace mpgru::data {

Sequences images_to_row_sequences(const std::vector<uint8_t>& pixels,
                                  const std::vector<uint8_t>& labels, int64_t rows, int64_t cols) {
  Sequences out;
  out.steps = rows;
  out.features = cols;
  out.values.resize(pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) out.values[i] = static_cast<float>(pixels[i]) / 255.0f;
  out.labels.assign(labels.begin(), labels.end());
  return out;
}

InMemoryDataset load_smnist(const std::filesystem::path& dir) {
  const LabelledImages train = load_idx_images(
      dir / "train-images-idx3-ubyte", dir / "train-labels-idx1-ubyte", {60000, 28, 28, 10});
  const LabelledImages test = load_idx_images(dir / "t10k-images-idx3-ubyte",
                                              dir / "t10k-labels-idx1-ubyte", {10000, 28, 28, 10});
  Sequences all = images_to_row_sequences(train.pixels, train.labels, 28, 28);
  return InMemoryDataset("smnist", 10, all.slice(0, kSmnistTrain),
                         all.slice(kSmnistTrain, kSmnistValidation),
                         images_to_row_sequences(test.pixels, test.labels, 28, 28));
}

}  // namespace mpgru::data
