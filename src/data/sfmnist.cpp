// Task `sfmnist`: gzipped Fashion-MNIST IDX files to row-wise sequences, split as smnist.
#include "data/sfmnist.hpp"

#include "data/idx.hpp"
#include "data/smnist.hpp"

namespace mpgru::data {

InMemoryDataset load_sfmnist(const std::filesystem::path& dir) {
  const LabelledImages train = load_idx_images(
      dir / "train-images-idx3-ubyte.gz", dir / "train-labels-idx1-ubyte.gz", {60000, 28, 28, 10});
  const LabelledImages test = load_idx_images(
      dir / "t10k-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz", {10000, 28, 28, 10});
  Sequences all = images_to_row_sequences(train.pixels, train.labels, 28, 28);
  return InMemoryDataset("sfmnist", 10, all.slice(0, kSmnistTrain),
                         all.slice(kSmnistTrain, kSmnistValidation),
                         images_to_row_sequences(test.pixels, test.labels, 28, 28));
}

}  // namespace mpgru::data
