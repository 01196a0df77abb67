// IDX parsing and image/label pairing: valid files load, every malformed case names its problem.
#include "data/idx.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fixtures/idx_files.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

using testing::expect_error;
using testing::idx_bytes;
using testing::labels_bytes;
using testing::TempDir;
using testing::write_bytes;

TEST(Idx, ParsesHeaderAndData) {
  const IdxArray a = parse_idx(idx_bytes(kIdxImagesMagic, {2, 3, 4}, 7), kIdxImagesMagic, "x");
  EXPECT_EQ(a.dims, (std::vector<uint32_t>{2, 3, 4}));
  ASSERT_EQ(a.data.size(), 24u);
  EXPECT_EQ(a.data[0], 7);
  EXPECT_EQ(a.data[23], 7 + 23);
}

// Dimensions whose product would wrap a 64-bit count are refused, not allocated or wrapped.
TEST(Idx, RejectsDimensionsWhoseProductWouldWrap) {
  std::vector<uint8_t> header;
  testing::put_be32(header, 0x00000803);
  for (uint32_t d : {1u << 20, 1u << 20, 0xFFFFFFFFu}) testing::put_be32(header, d);
  expect_error([&] { parse_idx(header, kIdxImagesMagic, "huge.idx"); },
               {"huge.idx", "dimensions too large"});
}

// A file larger than any data file is refused before it is read (a sparse file: no disk used).
TEST(Idx, RefusesAFileLargerThanTheLimitBeforeReadingIt) {
  TempDir dir;
  const auto path = dir / "huge.idx";
  std::ofstream(path).put('x');
  std::filesystem::resize_file(path, kMaxFileBytes + 1);
  expect_error([&] { read_file_bytes(path); }, {path.string(), "more than any data file"});
}

TEST(Idx, RejectsWrongMagic) {
  expect_error(
      [] {
        parse_idx(idx_bytes(0x00000802, {2, 3, 4}, 0), kIdxImagesMagic, "img");
      },
      {"img", "wrong magic number 0x00000802", "expected 0x00000803"});
}

TEST(Idx, RejectsTruncatedHeader) {
  auto bytes = idx_bytes(kIdxImagesMagic, {2, 3, 4}, 0);
  bytes.resize(9);
  expect_error([&] { parse_idx(bytes, kIdxImagesMagic, "img"); }, {"img", "truncated header"});
  bytes.resize(2);
  expect_error([&] { parse_idx(bytes, kIdxImagesMagic, "img"); }, {"img", "truncated"});
}

TEST(Idx, RejectsTruncatedData) {
  auto bytes = idx_bytes(kIdxImagesMagic, {2, 3, 4}, 0);
  bytes.pop_back();
  expect_error([&] { parse_idx(bytes, kIdxImagesMagic, "img"); },
               {"img", "truncated", "promises 40 bytes", "has 39"});
}

TEST(Idx, RejectsTrailingData) {
  auto bytes = idx_bytes(kIdxLabelsMagic, {5}, 0);
  bytes.push_back(0);
  expect_error([&] { parse_idx(bytes, kIdxLabelsMagic, "lab"); }, {"lab", "trailing data"});
}

TEST(Idx, LoadsMatchingImagesAndLabels) {
  TempDir dir;
  write_bytes(dir / "img", idx_bytes(kIdxImagesMagic, {3, 2, 2}, 0));
  write_bytes(dir / "lab", labels_bytes({1, 0, 2}));
  const LabelledImages li = load_idx_images(dir / "img", dir / "lab", {3, 2, 2, 3});
  EXPECT_EQ(li.count, 3);
  EXPECT_EQ(li.pixels.size(), 12u);
  EXPECT_EQ(li.labels, (std::vector<uint8_t>{1, 0, 2}));
}

TEST(Idx, RejectsCountMismatchBetweenImagesAndLabels) {
  TempDir dir;
  write_bytes(dir / "img", idx_bytes(kIdxImagesMagic, {3, 2, 2}, 0));
  write_bytes(dir / "lab", labels_bytes({1, 0}));
  expect_error(
      [&] {
        load_idx_images(dir / "img", dir / "lab", {3, 2, 2, 3});
      },
      {(dir / "lab").string(), "2 labels but", "3 images"});
}

TEST(Idx, RejectsWrongImageDimensions) {
  TempDir dir;
  write_bytes(dir / "img", idx_bytes(kIdxImagesMagic, {3, 2, 3}, 0));
  write_bytes(dir / "lab", labels_bytes({1, 0, 2}));
  expect_error(
      [&] {
        load_idx_images(dir / "img", dir / "lab", {3, 2, 2, 3});
      },
      {(dir / "img").string(), "images are 2x3, expected 2x2"});
}

TEST(Idx, RejectsUnexpectedCount) {
  TempDir dir;
  write_bytes(dir / "img", idx_bytes(kIdxImagesMagic, {3, 2, 2}, 0));
  write_bytes(dir / "lab", labels_bytes({1, 0, 2}));
  expect_error(
      [&] {
        load_idx_images(dir / "img", dir / "lab", {4, 2, 2, 3});
      },
      {"3 images, expected 4"});
}

TEST(Idx, RejectsLabelOutOfRange) {
  TempDir dir;
  write_bytes(dir / "img", idx_bytes(kIdxImagesMagic, {3, 2, 2}, 0));
  write_bytes(dir / "lab", labels_bytes({1, 9, 2}));
  expect_error(
      [&] {
        load_idx_images(dir / "img", dir / "lab", {3, 2, 2, 3});
      },
      {"label 9 at index 1 outside 0..2"});
}

TEST(Idx, RejectsLabelsFileAsImages) {
  TempDir dir;
  write_bytes(dir / "img", labels_bytes({1, 0, 2}));
  write_bytes(dir / "lab", labels_bytes({1, 0, 2}));
  expect_error(
      [&] {
        load_idx_images(dir / "img", dir / "lab", {3, 2, 2, 3});
      },
      {(dir / "img").string(), "wrong magic number 0x00000801"});
}

TEST(Idx, RejectsMissingFile) {
  TempDir dir;
  expect_error([&] { read_file_bytes(dir / "nope"); }, {"nope", "not found"});
  expect_error([&] { read_file_bytes(dir.path()); }, {"not a regular file"});
}

}  // namespace
}  // namespace mpgru::data
