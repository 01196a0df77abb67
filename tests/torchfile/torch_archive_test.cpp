// Reading the files PyTorch writes: state dicts in every form users save them, TorchScript
// modules, dtypes and strides, and clear refusals of everything else.
#include "torchfile/torch_archive.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fixtures/temp_dir.hpp"
#include "torchfile/torch_fixtures.hpp"

namespace mpgru::torchfile {
namespace {

using testing::torch_fixture;

std::string error_of(const std::filesystem::path& path) {
  try {
    read_torch_file(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

const NamedTensor& find(const TorchFile& file, const std::string& name) {
  for (const NamedTensor& t : file.tensors) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("no tensor " + name);
}

std::vector<std::string> names(const TorchFile& file) {
  std::vector<std::string> out;
  for (const NamedTensor& t : file.tensors) out.push_back(t.name);
  return out;
}

TEST(TorchArchive, StateDictDictAndTorchScriptHoldTheSameTensors) {
  MPGRU_NEED_TORCH_FIXTURES();
  const TorchFile sd = read_torch_file(torch_fixture("gru1.state_dict.pt"));
  const TorchFile dict = read_torch_file(torch_fixture("gru1.dict.pt"));
  const TorchFile script = read_torch_file(torch_fixture("gru1.script.pt"));
  EXPECT_EQ(sd.format, TorchFile::Format::state_dict);
  EXPECT_EQ(script.format, TorchFile::Format::torchscript);
  const std::vector<std::string> expected = {"gru.weight_ih_l0", "gru.weight_hh_l0",
                                             "gru.bias_ih_l0",   "gru.bias_hh_l0",
                                             "out.weight",       "out.bias"};
  EXPECT_EQ(names(sd), expected);
  EXPECT_EQ(names(dict), expected);
  for (const std::string& name : expected) {
    EXPECT_EQ(find(script, name).values, find(sd, name).values) << name;
    EXPECT_EQ(find(dict, name).shape, find(sd, name).shape) << name;
  }
  EXPECT_EQ(find(sd, "gru.weight_ih_l0").shape, (std::vector<int64_t>{18, 5}));
  EXPECT_EQ(find(sd, "gru.weight_ih_l0").values.size(), 90u);
  bool gru_class = false;
  for (const auto& [path, cls] : script.modules) {
    gru_class |= path == "gru" && cls == "__torch__.torch.nn.modules.rnn.GRU";
  }
  EXPECT_TRUE(gru_class);
}

TEST(TorchArchive, NestedCheckpointDictsAreNamedWithDots) {
  MPGRU_NEED_TORCH_FIXTURES();
  const TorchFile file = read_torch_file(torch_fixture("gru1.checkpoint.pt"));
  const TorchFile plain = read_torch_file(torch_fixture("gru1.state_dict.pt"));
  EXPECT_EQ(find(file, "model.gru.weight_hh_l0").values, find(plain, "gru.weight_hh_l0").values);
  // The optimizer's state is there too (integer keys), to be ignored by the importer.
  EXPECT_NO_THROW(find(file, "optimizer.state.0.exp_avg"));
}

TEST(TorchArchive, Float64AndFloat16AreConverted) {
  MPGRU_NEED_TORCH_FIXTURES();
  const TorchFile plain = read_torch_file(torch_fixture("gru1.state_dict.pt"));
  const TorchFile f64 = read_torch_file(torch_fixture("float64.pt"));
  const TorchFile f16 = read_torch_file(torch_fixture("float16.pt"));
  const auto& reference = find(plain, "gru.weight_ih_l0").values;
  EXPECT_EQ(find(f64, "gru.weight_ih_l0").storage_type, "torch.DoubleStorage");
  EXPECT_EQ(find(f64, "gru.weight_ih_l0").values, reference);  // float -> double -> float
  const auto& half = find(f16, "gru.weight_ih_l0").values;
  ASSERT_EQ(half.size(), reference.size());
  for (size_t i = 0; i < half.size(); ++i) {
    EXPECT_NEAR(half[i], reference[i], 1e-3 * std::max(1.0f, std::abs(reference[i])));
  }
}

TEST(TorchArchive, ViewsHonourStridesAndOffsets) {
  MPGRU_NEED_TORCH_FIXTURES();
  const TorchFile file = read_torch_file(torch_fixture("strided.pt"));
  // matrix = arange(12).reshape(3, 4); t = matrix.t() (stride 1, 4); row = matrix[1] (offset 4)
  EXPECT_EQ(find(file, "t").shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(find(file, "t").values, (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(find(file, "row").values, (std::vector<float>{4, 5, 6, 7}));
}

TEST(TorchArchive, RefusesWhatIsNotAStateDictOrModule) {
  MPGRU_NEED_TORCH_FIXTURES();
  EXPECT_NE(error_of(torch_fixture("bad/legacy.pt")).find("a legacy torch.save file"),
            std::string::npos);
  EXPECT_NE(error_of(torch_fixture("bad/module.pt"))
                .find("data.pkl: pickle offset 26 (NEWOBJ): the file creates a "
                      "__main__.Classifier object, which mpgru does not run"),
            std::string::npos)
      << error_of(torch_fixture("bad/module.pt"));
  EXPECT_NE(error_of(torch_fixture("bad/not_torch.zip"))
                .find("a zip archive without a FOLDER/data.pkl record"),
            std::string::npos);
  EXPECT_NE(error_of(torch_fixture("stamp")).find("not a PyTorch file"), std::string::npos);
  EXPECT_EQ(error_of(torch_fixture("missing.pt")),
            torch_fixture("missing.pt").string() + ": no such file");
}

TEST(TorchArchive, ATruncatedFileIsNamed) {
  MPGRU_NEED_TORCH_FIXTURES();
  testing::TempDir dir;
  std::ifstream in(torch_fixture("gru1.state_dict.pt"), std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string cut = bytes.str().substr(0, 1500);
  const std::string error = [&] {
    try {
      read_torch_bytes(cut, "cut.pt");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  EXPECT_EQ(error.rfind("cut.pt: not a readable zip archive", 0), 0u) << error;
}

// Inputs the fuzzer once crashed the reader with (tests/fuzz/corpus/torch_file/regression-*):
// each must now be refused with an error, under the sanitizer build too.
TEST(TorchArchive, FuzzRegressionsAreRefusedCleanly) {
  const std::filesystem::path corpus =
      std::filesystem::path(MPGRU_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / "torch_file";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    if (entry.path().filename().string().rfind("regression-", 0) != 0) continue;
    ++seen;
    const std::string error = error_of(entry.path());
    EXPECT_FALSE(error.empty()) << entry.path();
  }
  EXPECT_GE(seen, 1);
}

}  // namespace
}  // namespace mpgru::torchfile
