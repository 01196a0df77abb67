// Spectrogram heat maps: the dB matrix (downsampled if large, clipped) as a binary float array,
// drawn by gnuplot `with image` into an SVG with one embedded PNG.
#include "report/spectrogram_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "core/text_file.hpp"
#include "report/gnuplot.hpp"

namespace mpgru::report {
namespace {

namespace fs = std::filesystem;

std::string number(double value) {
  std::ostringstream s;
  s.precision(12);
  s << value;
  return s.str();
}

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("write_spectrogram_svg: " + what);
}

void check_positive(double value, const char* name) {
  if (!std::isfinite(value) || value <= 0)
    bad(std::string(name) + " = " + number(value) + ": expected finite and > 0");
}

void check_arguments(const std::vector<float>& db, int frames, int bins, double hop_seconds,
                     double max_hz, const std::string& title, double db_floor, double db_ceiling,
                     const fs::path& svg) {
  if (frames < 1) bad("frames = " + std::to_string(frames) + ": expected >= 1");
  if (bins < 2) bad("bins = " + std::to_string(bins) + ": expected >= 2");
  const size_t cells = static_cast<size_t>(frames) * static_cast<size_t>(bins);
  if (db.size() != cells) {
    bad("db has " + std::to_string(db.size()) + " values: expected frames x bins = " +
        std::to_string(frames) + " x " + std::to_string(bins) + " = " + std::to_string(cells));
  }
  const auto nan = std::find_if(db.begin(), db.end(), [](float v) { return std::isnan(v); });
  if (nan != db.end()) bad("db[" + std::to_string(nan - db.begin()) + "] is NaN");
  check_positive(hop_seconds, "hop_seconds");
  check_positive(max_hz, "max_hz");
  if (!std::isfinite(db_floor) || !std::isfinite(db_ceiling) || db_floor >= db_ceiling) {
    bad("db_floor = " + number(db_floor) + ", db_ceiling = " + number(db_ceiling) +
        ": expected finite with db_floor < db_ceiling");
  }
  const auto control = std::find_if(title.begin(), title.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control != title.end()) {
    bad("title \"" + title + "\": contains a line break or another control character");
  }
  if (svg.filename().empty()) bad("svg = " + svg.string() + ": expected a file name");
}

// The pixels gnuplot draws: groups of `fx` frames by `fy` bins, each the dB of its mean power,
// clipped to [floor, ceiling]; x (time) varies fastest, as gnuplot's binary array reads them.
struct Image {
  int fx = 1, fy = 1;  // frames and bins per pixel
  int nx = 0, ny = 0;  // pixels along time and frequency
  std::vector<float> values;
  double x0 = 0, dx = 0;  // centre of the first pixel and the pitch, in s
  double y0 = 0, dy = 0;  // the same in kHz
};

int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}

// dB of the mean power of frames [t0, t1) x bins [k0, k1); one cell is returned as it is.
double group_db(const std::vector<float>& db, int bins, int t0, int t1, int k0, int k1) {
  auto at = [&](int t, int k) {
    return static_cast<double>(
        db[static_cast<size_t>(t) * static_cast<size_t>(bins) + static_cast<size_t>(k)]);
  };
  if (t1 - t0 == 1 && k1 - k0 == 1) return at(t0, k0);
  double power = 0;
  for (int t = t0; t < t1; ++t) {
    for (int k = k0; k < k1; ++k) power += std::pow(10.0, at(t, k) / 10.0);
  }
  return 10.0 * std::log10(power / ((t1 - t0) * (k1 - k0)));
}

Image make_image(const std::vector<float>& db, int frames, int bins, double hop_seconds,
                 double max_hz, double floor, double ceiling) {
  Image im;
  im.fx = ceil_div(frames, kMaxImageFrames);
  im.fy = ceil_div(bins, kMaxImageBins);
  im.nx = ceil_div(frames, im.fx);
  im.ny = ceil_div(bins, im.fy);
  im.values.reserve(static_cast<size_t>(im.nx) * static_cast<size_t>(im.ny));
  for (int y = 0; y < im.ny; ++y) {
    for (int x = 0; x < im.nx; ++x) {
      const double value = group_db(db, bins, x * im.fx, std::min(frames, (x + 1) * im.fx),
                                    y * im.fy, std::min(bins, (y + 1) * im.fy));
      im.values.push_back(static_cast<float>(std::clamp(value, floor, ceiling)));
    }
  }
  // A pixel sits at the mean centre of its frames (t * hop) and bins (k * max_hz / (bins - 1)).
  im.dx = hop_seconds * im.fx;
  im.x0 = hop_seconds * (im.fx - 1) / 2.0;
  const double bin_khz = max_hz / 1000.0 / (bins - 1);
  im.dy = bin_khz * im.fy;
  im.y0 = bin_khz * (im.fy - 1) / 2.0;
  if (im.nx == 1) {  // gnuplot draws no image narrower than 2 pixels: two of half the width
    const std::vector<float> column = std::move(im.values);
    im.values.clear();
    for (float v : column) im.values.insert(im.values.end(), {v, v});
    im.nx = 2;
    im.dx /= 2;
    im.x0 -= im.dx / 2;
  }
  return im;
}

std::string float_bytes(const std::vector<float>& values) {
  std::string bytes(values.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::string script(const Image& im, const std::string& title, double floor, double ceiling,
                   const std::string& output) {
  const double x0 = im.x0, dx = im.dx, y0 = im.y0, dy = im.dy;
  std::ostringstream s;
  s << "set terminal svg size 820,420 dynamic noenhanced font 'Helvetica,12' background rgb "
       "'white'\n"
    << "set output " << gnuplot_quote(output) << "\n"
    << "set title " << gnuplot_quote(title) << "\n"
    << "set xlabel 'time (s)'\nset ylabel 'frequency (kHz)'\nset cblabel 'dB'\n"
    << "set tics out\nunset key\nset colorbox\n"
    << "set cbrange [" << number(floor) << ":" << number(ceiling) << "]\n"
    << "set xrange [" << number(x0 - dx / 2) << ":" << number(x0 + (im.nx - 0.5) * dx) << "]\n"
    << "set yrange [" << number(y0 - dy / 2) << ":" << number(y0 + (im.ny - 0.5) * dy) << "]\n"
    << "set palette defined (0 '#000004', 1 '#3b0f70', 2 '#8c2981', 3 '#de4968', 4 '#fe9f6d', "
       "5 '#fcfdbf')\n"
    << "plot 'spectrogram.bin' binary array=(" << im.nx << "," << im.ny
    << ") format='%float' dx=" << number(dx) << " dy=" << number(dy) << " origin=(" << number(x0)
    << "," << number(y0) << ") with image\n";
  return s.str();
}

}  // namespace

void write_spectrogram_svg(const std::vector<float>& db, int frames, int bins, double hop_seconds,
                           double max_hz, const std::string& title, double db_floor,
                           double db_ceiling, const fs::path& svg) {
  check_arguments(db, frames, bins, hop_seconds, max_hz, title, db_floor, db_ceiling, svg);
  const Image im = make_image(db, frames, bins, hop_seconds, max_hz, db_floor, db_ceiling);
  const fs::path dir = svg.parent_path().empty() ? fs::path(".") : svg.parent_path();
  try {
    const PlotFolder folder(dir / ("." + svg.filename().string() + ".plot"));
    core::write_file_atomically(float_bytes(im.values), folder.path() / "spectrogram.bin");
    run_gnuplot(script(im, title, db_floor, db_ceiling, svg.filename().string()),
                folder.path() / "spectrogram.gp", svg);
  } catch (const fs::filesystem_error& e) {
    throw std::runtime_error(svg.string() + ": cannot write (" + e.code().message() + ")");
  }
}

}  // namespace mpgru::report
