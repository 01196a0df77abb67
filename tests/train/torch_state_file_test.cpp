// A state dict written through LibTorch's pickle_save reads back, names, shapes and values, with
// mpgru's own reader (and with Python's torch.load: scripts/check_torch_export.py in the docs).
#include "train/torch_state_file.hpp"

#include <gtest/gtest.h>

#include "fixtures/temp_dir.hpp"
#include "torchfile/torch_archive.hpp"

namespace mpgru::train {
namespace {

TEST(TorchStateFile, WritesWhatTheReaderReadsBack) {
  testing::TempDir dir;
  std::vector<torchfile::NamedTensor> tensors(2);
  tensors[0].name = "gru.weight_ih_l0";
  tensors[0].shape = {3, 2};
  tensors[0].values = {1.5f, -2.0f, 0.25f, 3e-8f, -0.0f, 7.0f};
  tensors[1].name = "classifier.bias";
  tensors[1].shape = {2};
  tensors[1].values = {0.5f, -0.5f};
  const auto path = dir / "state.pt";
  save_torch_state_dict(tensors, path);
  const torchfile::TorchFile back = torchfile::read_torch_file(path);
  EXPECT_EQ(back.format, torchfile::TorchFile::Format::state_dict);
  ASSERT_EQ(back.tensors.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.tensors[i].name, tensors[i].name);
    EXPECT_EQ(back.tensors[i].shape, tensors[i].shape);
    EXPECT_EQ(back.tensors[i].values, tensors[i].values);
  }
}

TEST(TorchStateFile, ANonFloatTensorIsRefusedByName) {
  testing::TempDir dir;
  std::vector<torchfile::NamedTensor> tensors(1);
  tensors[0].name = "bn.num_batches_tracked";
  tensors[0].floating = false;
  EXPECT_THROW(save_torch_state_dict(tensors, dir / "x.pt"), std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.pt"));
}

}  // namespace
}  // namespace mpgru::train
