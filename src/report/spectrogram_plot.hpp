// Spectrogram figures for the speech-enhancement report: a log-power spectrogram as a heat map
// (time in s on x, frequency in kHz on y, colour = dB with a colour box), drawn by gnuplot.
//
// Plain data in, no audio library: `db` is frames x bins, row-major by frame, frame t centred at
// t * hop_seconds and bin k at k * max_hz / (bins - 1) (audio::log_spectrogram's layout).
// Colours are clipped to [db_floor, db_ceiling].
//
// Size: gnuplot's svg terminal draws `with image` as one embedded base64 PNG, so the SVG grows
// with the pixel count: about 130 KB for a noisy 2.5 s clip at a 10 ms hop (251 frames x 161
// bins, drawn at full resolution), 60 KB for a clean one, 190 KB for white noise. Larger inputs
// are downsampled to at most kMaxImageFrames x kMaxImageBins pixels (white noise: about 345 KB)
// by averaging the power (not the dB) of groups of ceil(frames / kMaxImageFrames) frames and
// ceil(bins / kMaxImageBins) bins; a last, partial group is drawn as wide as the others, so the
// image may reach past the last frame or max_hz by less than one group.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mpgru::report {

constexpr int kMaxImageFrames = 400;
constexpr int kMaxImageBins = 200;

// Writes the figure to `svg` (whole or not at all, through run_gnuplot), working in a temporary
// folder beside it. Throws std::invalid_argument naming the bad argument: frames or bins < 1
// (bins < 2: a frequency axis needs two), db.size() != frames * bins, a NaN in db, hop_seconds or
// max_hz not finite and > 0, db_floor >= db_ceiling or either not finite, a title with a line
// break or other control character, an svg path with no file name. Throws std::runtime_error
// naming `svg` if it cannot be written or gnuplot fails.
void write_spectrogram_svg(const std::vector<float>& db, int frames, int bins, double hop_seconds,
                           double max_hz, const std::string& title, double db_floor,
                           double db_ceiling, const std::filesystem::path& svg);

}  // namespace mpgru::report
