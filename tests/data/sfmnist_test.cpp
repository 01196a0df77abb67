// Task sfmnist: gzipped IDX files (sound, damaged, mislabelled), the registry entry, the real data.
#include "data/sfmnist.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>

#include "data/idx.hpp"
#include "data/task.hpp"
#include "fixtures/idx_files.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

using testing::expect_error;
using testing::idx_bytes;
using testing::labels_bytes;
using testing::TempDir;
using testing::write_bytes;

// `bytes` as one gzip member, as gzip(1) writes it.
std::vector<uint8_t> gzip(const std::vector<uint8_t>& bytes) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::vector<uint8_t> out(deflateBound(&z, static_cast<uLong>(bytes.size())));
  z.next_in = const_cast<Bytef*>(bytes.data());  // zlib reads it only
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// 20 images of 28x28 with varied pixels, so the deflate stream has real Huffman-coded content.
std::vector<uint8_t> images_idx() {
  return idx_bytes(kIdxImagesMagic, {20, 28, 28}, 3);
}

std::vector<uint8_t> labels_idx() {
  return labels_bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
}

TEST(Sfmnist, GzippedIdxFilesLoadLikePlainOnes) {
  TempDir dir;
  write_bytes(dir / "img", images_idx());
  write_bytes(dir / "lab", labels_idx());
  write_bytes(dir / "img.gz", gzip(images_idx()));
  write_bytes(dir / "lab.gz", gzip(labels_idx()));
  const ImageFormat format{20, 28, 28, 10};
  const LabelledImages plain = load_idx_images(dir / "img", dir / "lab", format);
  const LabelledImages gz = load_idx_images(dir / "img.gz", dir / "lab.gz", format);
  EXPECT_EQ(gz.count, 20);
  EXPECT_EQ(gz.pixels, plain.pixels);
  EXPECT_EQ(gz.labels, plain.labels);
}

TEST(Sfmnist, ConcatenatedGzipMembersJoinAsGzipDoes) {
  std::vector<uint8_t> two = gzip({1, 2, 3});
  const std::vector<uint8_t> second = gzip({4, 5});
  two.insert(two.end(), second.begin(), second.end());
  EXPECT_EQ(gunzip(two, "two"), (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(gunzip(gzip({}), "empty").empty());
}

TEST(Sfmnist, GzippedLabelsFileAsImagesIsTheWrongMagic) {
  TempDir dir;
  write_bytes(dir / "img.gz", gzip(labels_idx()));
  write_bytes(dir / "lab.gz", gzip(labels_idx()));
  expect_error(
      [&] {
        load_idx_images(dir / "img.gz", dir / "lab.gz", {20, 28, 28, 10});
      },
      {(dir / "img.gz").string(), "wrong magic number 0x00000801", "expected 0x00000803"});
}

TEST(Sfmnist, GzippedIdxWithTooFewBytesIsTruncatedIdx) {
  TempDir dir;
  std::vector<uint8_t> short_images = images_idx();
  short_images.resize(short_images.size() - 5);
  write_bytes(dir / "img.gz", gzip(short_images));
  write_bytes(dir / "lab.gz", gzip(labels_idx()));
  expect_error(
      [&] {
        load_idx_images(dir / "img.gz", dir / "lab.gz", {20, 28, 28, 10});
      },
      {(dir / "img.gz").string(), "truncated", "promises 15696 bytes"});
}

// A damaged .gz file: how it is damaged, and what the error must say besides the file's name.
struct Damage {
  const char* name;
  std::vector<uint8_t> (*apply)(std::vector<uint8_t> gz);
  const char* mention;
};

void PrintTo(const Damage& d, std::ostream* os) {
  *os << d.name;
}

class SfmnistDamagedGzip : public ::testing::TestWithParam<Damage> {};

TEST_P(SfmnistDamagedGzip, IsAClearErrorNamingTheFile) {
  TempDir dir;
  write_bytes(dir / "img.gz", GetParam().apply(gzip(images_idx())));
  write_bytes(dir / "lab.gz", gzip(labels_idx()));
  expect_error(
      [&] {
        load_idx_images(dir / "img.gz", dir / "lab.gz", {20, 28, 28, 10});
      },
      {(dir / "img.gz").string() + ": ", GetParam().mention});
}

// The gzip trailer is CRC-32 then the length, 4 bytes each, little-endian.
constexpr size_t kTrailer = 8;

INSTANTIATE_TEST_SUITE_P(
    Cases, SfmnistDamagedGzip,
    ::testing::Values(Damage{"empty", [](std::vector<uint8_t>) { return std::vector<uint8_t>{}; },
                             "not a gzip file"},
                      Damage{"plain_idx", [](std::vector<uint8_t>) { return images_idx(); },
                             "not a gzip file"},
                      Damage{"cut_in_half",
                             [](std::vector<uint8_t> gz) {
                               gz.resize(gz.size() / 2);
                               return gz;
                             },
                             "truncated gzip file"},
                      Damage{"trailer_cut",
                             [](std::vector<uint8_t> gz) {
                               gz.resize(gz.size() - 3);
                               return gz;
                             },
                             "truncated gzip file"},
                      Damage{"bit_flipped_in_deflate_data",
                             [](std::vector<uint8_t> gz) {
                               gz[gz.size() / 2] ^= 0x10;
                               return gz;
                             },
                             "gzip"},
                      Damage{"bit_flipped_in_crc",
                             [](std::vector<uint8_t> gz) {
                               gz[gz.size() - kTrailer] ^= 0x01;
                               return gz;
                             },
                             "corrupt gzip data"},
                      Damage{"length_off_by_one",
                             [](std::vector<uint8_t> gz) {
                               gz[gz.size() - kTrailer + 4] ^= 0x01;
                               return gz;
                             },
                             "incorrect length check"},
                      Damage{"trailing_garbage",
                             [](std::vector<uint8_t> gz) {
                               gz.push_back(0);
                               return gz;
                             },
                             "trailing data after the gzip stream"}),
    [](const ::testing::TestParamInfo<Damage>& p) { return std::string(p.param.name); });

TEST(Sfmnist, RegistryKnowsItAndResolvesItsFolder) {
  const TaskInfo& task = find_task("sfmnist");
  EXPECT_EQ(task.marker, "train-images-idx3-ubyte.gz");
  TempDir dir;
  EXPECT_EQ(task_data_dir(task, dir.path()), dir / "fashion-mnist");
  EXPECT_FALSE(task_data_present(task, dir.path()));
  write_bytes(dir / task.marker, {});  // --data naming the folder itself
  EXPECT_EQ(task_data_dir(task, dir.path()), dir.path());
  EXPECT_TRUE(task_data_present(task, dir.path()));
}

TEST(Sfmnist, MissingDataSaysWhereAndHow) {
  TempDir dir;
  expect_error([&] { load_task("sfmnist", dir.path()); },
               {(dir / "fashion-mnist").string(), "dataset-fashion-mnist", "setup.sh"});
}

// The real files of Debian's dataset-fashion-mnist, which scripts/setup.sh installs.
TEST(Sfmnist, RealFashionMnistLoadsWithTheSmnistSplits) {
  const std::filesystem::path dir = kDebianFashionMnistDir;
  if (!std::filesystem::exists(dir)) {
    GTEST_SKIP() << dir << " absent: install dataset-fashion-mnist (scripts/setup.sh)";
  }
  const std::unique_ptr<Dataset> d = load_task("sfmnist", dir);  // --data naming the folder
  EXPECT_EQ(d->name(), "sfmnist");
  EXPECT_EQ(d->num_classes(), 10);
  EXPECT_EQ(d->split(Split::train).count(), 55000);
  EXPECT_EQ(d->split(Split::validation).count(), 5000);
  EXPECT_EQ(d->split(Split::test).count(), 10000);
  EXPECT_EQ(d->steps(), 28);
  EXPECT_EQ(d->features(), 28);
  // Every class occurs in every split, and pixels span [0, 1].
  for (Split split : {Split::train, Split::validation, Split::test}) {
    std::vector<int> counts(10, 0);
    for (int32_t label : d->split(split).labels) {
      ASSERT_GE(label, 0);
      ASSERT_LT(label, 10);
      ++counts[static_cast<size_t>(label)];
    }
    for (int c = 0; c < 10; ++c) EXPECT_GT(counts[static_cast<size_t>(c)], 0) << to_string(split);
    const auto& v = d->split(split).values;
    EXPECT_EQ(*std::min_element(v.begin(), v.end()), 0.0f);
    EXPECT_EQ(*std::max_element(v.begin(), v.end()), 1.0f);
  }
  // Fashion-MNIST's test set is balanced: 1,000 of each class.
  std::vector<int> test_counts(10, 0);
  for (int32_t label : d->split(Split::test).labels) ++test_counts[static_cast<size_t>(label)];
  EXPECT_EQ(test_counts, std::vector<int>(10, 1000));
}

}  // namespace
}  // namespace mpgru::data
