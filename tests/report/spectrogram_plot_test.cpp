// Spectrogram figures: a complete SVG with its title under the size bound, full resolution for a
// 2.5 s clip and downsampled pixels for long ones, arguments rejected by name, unwritable paths.
#include "report/spectrogram_plot.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fixtures/temp_dir.hpp"

namespace mpgru::report {
namespace {

using mpgru::testing::TempDir;
namespace fs = std::filesystem;

constexpr size_t kSizeBound = 400 * 1024;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool ends_with_svg(const std::string& text) {
  const size_t end = text.find_last_not_of(" \t\r\n");
  return end != std::string::npos && end >= 5 && text.compare(end - 5, 6, "</svg>") == 0;
}

// Width and height of the PNG gnuplot embeds (its IHDR chunk, bytes 16 to 23, big-endian).
std::pair<uint32_t, uint32_t> embedded_png_size(const std::string& svg) {
  const std::string marker = "data:image/png;base64,";
  const size_t at = svg.find(marker);
  if (at == std::string::npos) return {0, 0};
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> bytes;
  uint32_t bits = 0;
  int count = 0;
  for (size_t i = at + marker.size(); bytes.size() < 24 && i < svg.size(); ++i) {
    bits = (bits << 6) | static_cast<uint32_t>(alphabet.find(svg[i]));
    if ((count += 6) >= 8) bytes.push_back(static_cast<uint8_t>(bits >> (count -= 8)));
  }
  if (bytes.size() < 24) return {0, 0};
  auto be32 = [&](size_t i) {
    return uint32_t{bytes[i]} << 24 | uint32_t{bytes[i + 1]} << 16 | uint32_t{bytes[i + 2]} << 8 |
           uint32_t{bytes[i + 3]};
  };
  return {be32(16), be32(20)};
}

// Voiced speech over noise, in dB: harmonics of a gliding 120 +- 40 Hz pitch over a -30 dB floor.
std::vector<float> speech_like(int frames, int bins, double max_hz) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> jitter(0.0, 4.0);
  std::vector<float> db;
  for (int t = 0; t < frames; ++t) {
    const double f0 = 120.0 + 40.0 * std::sin(t / 30.0);
    for (int k = 0; k < bins; ++k) {
      const double hz = k * max_hz / (bins - 1);
      const double harmonic = std::fabs(hz / f0 - std::round(hz / f0)) * f0 < 40 ? 1 : 0;
      db.push_back(static_cast<float>(-30.0 + jitter(rng) + harmonic * (60.0 - hz / 200.0)));
    }
  }
  return db;
}

// The worst case for the PNG: independent uniform dB over the whole colour range.
std::vector<float> white(int frames, int bins) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<float> uniform(-110.0f, 50.0f);
  std::vector<float> db(static_cast<size_t>(frames) * static_cast<size_t>(bins));
  for (float& v : db) v = uniform(rng);
  return db;
}

struct Figure {
  const char* name;
  int frames, bins;
  bool noise;
  uint32_t png_width, png_height;  // the frames x bins after downsampling
};

TEST(SpectrogramPlot, WritesACompleteFigureUnderTheSizeBound) {
  const Figure figures[] = {
      {"clip", 251, 161, false, 251, 161},           // 2.5 s at 10 ms: full resolution
      {"clip_noise", 251, 161, true, 251, 161},      // the same, incompressible
      {"long_noise", 2000, 257, true, 400, 129},     // 20 s, 512-point FFT: groups of 5 x 2
      {"largest_noise", 4000, 400, true, 400, 200},  // the most pixels drawn, incompressible
      {"one_frame", 1, 2, false, 2, 2},  // gnuplot needs 2 x 2: the frame as two columns
  };
  TempDir dir;
  for (const Figure& f : figures) {
    const std::vector<float> db =
        f.noise ? white(f.frames, f.bins) : speech_like(f.frames, f.bins, 8000.0);
    const std::string title = std::string("noisy p232_001 \"") + f.name + "\" (SNR 5 dB)";
    const fs::path svg = dir / (std::string(f.name) + ".svg");
    write_spectrogram_svg(db, f.frames, f.bins, 0.01, 8000.0, title, -100.0, 40.0, svg);
    const std::string text = read(svg);
    EXPECT_TRUE(ends_with_svg(text)) << f.name;
    EXPECT_NE(text.find("<text>" + title + "</text>"), std::string::npos) << f.name;
    EXPECT_NE(text.find("<text>dB</text>"), std::string::npos) << f.name << ": no colour box label";
    EXPECT_LT(text.size(), kSizeBound) << f.name;
    EXPECT_EQ(embedded_png_size(text), std::make_pair(f.png_width, f.png_height)) << f.name;
  }
  // Only the figures are left: the plot folders are gone.
  int entries = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().extension(), ".svg") << e.path();
    ++entries;
  }
  EXPECT_EQ(entries, 5);
}

struct Arguments {
  std::vector<float> db = std::vector<float>(30 * 11, -50.0f);
  int frames = 30, bins = 11;
  double hop_seconds = 0.01, max_hz = 8000.0;
  std::string title = "t";
  double db_floor = -100.0, db_ceiling = 40.0;
  std::string file = "bad.svg";
};

struct BadCase {
  const char* name;
  std::function<void(Arguments&)> spoil;
  const char* says;
};

TEST(SpectrogramPlot, RejectsBadArgumentsByName) {
  const BadCase cases[] = {
      {"no frames", [](Arguments& a) { a.frames = 0, a.db.clear(); }, "frames = 0"},
      {"negative frames", [](Arguments& a) { a.frames = -3; }, "frames = -3"},
      {"one bin", [](Arguments& a) { a.bins = 1, a.db.resize(30); }, "bins = 1"},
      {"size", [](Arguments& a) { a.db.pop_back(); }, "db has 329 values"},
      {"NaN", [](Arguments& a) { a.db[17] = std::nanf(""); }, "db[17] is NaN"},
      {"hop", [](Arguments& a) { a.hop_seconds = 0; }, "hop_seconds = 0"},
      {"max_hz", [](Arguments& a) { a.max_hz = -1; }, "max_hz = -1"},
      {"infinite max_hz", [](Arguments& a) { a.max_hz = HUGE_VAL; }, "max_hz = inf"},
      {"floor = ceiling", [](Arguments& a) { a.db_floor = 40; }, "db_floor = 40, db_ceiling = 40"},
      {"floor > ceiling", [](Arguments& a) { a.db_ceiling = -120; }, "db_ceiling = -120"},
      {"NaN floor", [](Arguments& a) { a.db_floor = std::nan(""); }, "db_floor = nan"},
      {"title", [](Arguments& a) { a.title = "two\nlines"; }, "title"},
      {"svg", [](Arguments& a) { a.file = ""; }, "svg = "},
  };
  TempDir dir;
  for (const BadCase& c : cases) {
    Arguments a;
    c.spoil(a);
    try {
      write_spectrogram_svg(a.db, a.frames, a.bins, a.hop_seconds, a.max_hz, a.title, a.db_floor,
                            a.db_ceiling, dir.path() / a.file);
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos)
          << c.name << ": " << e.what();
    }
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(SpectrogramPlot, AnUnwritablePathThrowsNamingIt) {
  TempDir dir;
  std::ofstream(dir / "file") << "not a folder";
  const fs::path svg = dir / "file" / "figure.svg";  // a folder under a file: even root fails
  try {
    write_spectrogram_svg(std::vector<float>(4, 0.0f), 2, 2, 0.01, 8000.0, "t", -100.0, 40.0, svg);
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(svg.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(dir / "file"), "not a folder");
}

}  // namespace
}  // namespace mpgru::report
