// The run report: data files and gnuplot scripts for the plots, then one HTML page.
#include "report/run_report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/folder_lock.hpp"
#include "core/json_file.hpp"
#include "core/staged_folder.hpp"
#include "core/text_file.hpp"
#include "report/front_file.hpp"
#include "report/genome_clusters.hpp"
#include "report/gnuplot.hpp"
#include "report/headline.hpp"
#include "report/report_format.hpp"

namespace mpgru::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Run {
  fs::path dir;    // where its files are read and the new ones written
  fs::path shown;  // the run folder, as the page and errors name it
  FrontFile file;
  std::vector<std::string> genes;
  std::vector<EvaluatedGenome> evaluated;
  bool has_evaluated = false;
  bool bops_objective = false;
  double float_accuracy = -1;
  std::string task() const { return file.task; }
};

double float_test_accuracy(const json& config) {
  const fs::path metrics = fs::path(config.value("checkpoint", std::string())) / "metrics.json";
  if (!fs::exists(metrics)) return -1;
  try {
    return core::read_json_file(metrics).value("test_accuracy", -1.0);
  } catch (const std::exception&) {
    return -1;
  }
}

// The run whose files are in `dir`, shown as `shown` (the run folder while `dir` is its staging).
Run load_run(const fs::path& dir, const fs::path& shown) {
  Run run;
  run.dir = dir;
  run.shown = shown;
  if (!fs::exists(dir / "config.json")) {
    throw std::runtime_error(shown.string() + ": not a search run folder (no config.json)");
  }
  if (!fs::exists(dir / "front.json")) {
    throw std::runtime_error((shown / "front.json").string() +
                             ": missing; the search has not finished (continue it with "
                             "`mpgru search --resume " +
                             shown.string() + "`)");
  }
  try {
    run.file = read_front_file(dir / "front.json");
    run.evaluated = read_evaluated_csv(dir / "evaluated.csv");
  } catch (const std::exception& e) {
    throw std::runtime_error(core::with_path_replaced(e.what(), dir, shown));
  }
  for (const core::Gene& g : run.file.baseline.front().genome.table()) run.genes.push_back(g.name);
  run.bops_objective = run.file.bops_objective();
  run.has_evaluated = fs::exists(dir / "evaluated.csv");
  run.float_accuracy = float_test_accuracy(run.file.config);
  return run;
}

std::vector<int> bits_of(const ScoredGenome& g) {
  std::vector<int> bits;
  for (size_t i = 0; i < g.genome.size(); ++i) bits.push_back(g.genome.bits(i));
  return bits;
}

// ---- plots -------------------------------------------------------------------------------

double kib(int64_t bits) {
  return static_cast<double>(bits) / 8.0 / 1024.0;
}
double mbops(int64_t bops) {
  return static_cast<double>(bops) / 1e6;
}

// The y value of a score: error in % (accuracy, log axis) or the quality itself.
double plotted(const Metric& metric, double score) {
  return metric.is_accuracy() ? error_pct(score) : score;
}

// A Pareto plot's x axis: model size, BOPs, or the predicted instructions per step on the
// latency objective's target.
enum class Axis { size, bops, latency };

// A genome's predicted instructions per step on `target`, in thousands; < 0 if it has none.
double kilo_instructions(const ScoredGenome& p, const std::string& target) {
  for (const DeviceCost& c : p.device) {
    if (c.target == target) return static_cast<double>(c.instructions) / 1e3;
  }
  return -1;
}

// x (KiB, MBOPs or thousands of instructions), y, first gene's bits (a homogeneous genome's
// label).
std::string points_data(const std::vector<ScoredGenome>& points, bool test, Axis axis,
                        const Run& run) {
  std::ostringstream out;
  for (const ScoredGenome& p : points) {
    const double x = axis == Axis::bops      ? mbops(p.bops)
                     : axis == Axis::latency ? kilo_instructions(p, run.file.latency_target())
                                             : kib(p.size_bits);
    if (x < 0) continue;
    out << x << ' ' << plotted(run.file.metric, test ? p.test_accuracy : p.val_accuracy) << ' '
        << p.genome.bits(0) << '\n';
  }
  return out.str();
}

// The evaluated genomes carry no device costs: no cloud on the latency plot.
std::string evaluated_data(const std::vector<EvaluatedGenome>& points, Axis axis,
                           const Metric& metric) {
  std::ostringstream out;
  for (const EvaluatedGenome& p : points) {
    if (axis == Axis::latency) break;
    out << (axis == Axis::bops ? mbops(p.bops) : kib(p.size_bits)) << ' '
        << plotted(metric, p.val_accuracy) << '\n';
  }
  return out.str();
}

// The y axis: error on a log scale (accuracy), or the quality, higher is better.
std::string y_axis(const Metric& metric) {
  if (metric.is_accuracy()) {
    return "set ylabel 'error (%, log scale)'\nset logscale y\nset grid\nset key top right\n";
  }
  const std::string unit = metric.kind == Metric::Kind::sisdr ? " (dB)" : "";
  return "set ylabel " + gnuplot_quote(metric.label() + unit + ", mean over clips") +
         "\nset grid\nset key bottom right\n";
}

std::string axis_title(const Run& run, Axis axis) {
  if (axis == Axis::bops) return "BOPs";
  if (axis == Axis::latency)
    return "predicted instructions per step on " + run.file.latency_target();
  return "model size";
}

std::string axis_label(const Run& run, Axis axis) {
  if (axis == Axis::bops) return "bit operations per sequence (millions)";
  if (axis == Axis::latency) {
    return "instructions per step on " + run.file.latency_target() +
           " (thousands, predicted by the device cost model)";
  }
  return "model size (KiB: packed weights + int32 biases)";
}

std::string pareto_script(const Run& run, Axis axis, const std::string& output) {
  std::ostringstream s;
  s << "set terminal svg size 820,500 dynamic noenhanced font 'Helvetica,13' background rgb "
       "'white'\n"
    << "set output " << gnuplot_quote(output) << "\n"
    << "set title "
    << gnuplot_quote(run.task() + ": " +
                     (run.file.metric.is_accuracy() ? "error" : run.file.metric.label()) + " vs " +
                     axis_title(run, axis) + " (chosen on validation; test dashed)")
    << "\n"
    << "set xlabel " << gnuplot_quote(axis_label(run, axis)) << "\n"
    << y_axis(run.file.metric) << "plot ";
  if (!run.evaluated.empty() && axis != Axis::latency) {
    s << "'all.dat' using 1:2 with points pt 7 ps 0.35 lc rgb '#c8c8c8' "
         "title 'every evaluated genome (validation, search budget)', \\\n     ";
  }
  s << "'baseline_val.dat' using 1:2 with linespoints pt 5 ps 0.8 lw 2 lc rgb '#d62728' "
       "title 'homogeneous 8..2 bits (validation)', \\\n"
    << "     'baseline_val.dat' using 1:2:(sprintf('%d', $3)) with labels offset 0,0.9 "
       "tc rgb '#d62728' notitle, \\\n"
    << "     'front_val.dat' using 1:2 with linespoints pt 7 ps 0.8 lw 2 lc rgb '#1f77b4' "
       "title 'mixed-precision front (validation)', \\\n"
    << "     'baseline_test.dat' using 1:2 with linespoints pt 4 ps 0.7 lw 1 dt 2 "
       "lc rgb '#d62728' title 'homogeneous (test)', \\\n"
    << "     'front_test.dat' using 1:2 with linespoints pt 6 ps 0.7 lw 1 dt 2 "
       "lc rgb '#1f77b4' title 'mixed front (test)'\n";
  return s.str();
}

std::string genomes_script(const Run& run) {
  std::ostringstream s;
  const size_t rows = run.file.front.size(), cols = run.genes.size();
  s << "set terminal svg size 900," << 170 + 22 * rows
    << " dynamic noenhanced font 'Helvetica,12' background rgb 'white'\n"
    << "set output 'genomes.svg'\n"
    << "set title 'bit width per gene of the front genomes (smallest model at the bottom)'\n"
    << "unset key\nset cbrange [1.5:8.5]\nset cbtics 2,1,8\nset cblabel 'bits'\n"
    << "set palette maxcolors 7 defined (0 '#f7fbff', 1 '#c6dbef', 2 '#6baed6', 3 '#2171b5', "
       "4 '#08306b')\n"
    << "set xrange [-0.5:" << static_cast<double>(cols) - 0.5
    << "]\nset yrange [-0.5:" << static_cast<double>(rows) - 0.5 << "]\n"
    << "set xtics rotate by -60 (";
  for (size_t g = 0; g < cols; ++g) s << (g ? ", " : "") << gnuplot_quote(run.genes[g]) << ' ' << g;
  s << ")\nset ytics (";
  for (size_t i = 0; i < rows; ++i) {
    s << (i ? ", " : "") << gnuplot_quote(std::to_string(run.file.front[i].size_bits / 8) + " B")
      << ' ' << i;
  }
  s << ")\nset ylabel 'model size'\n"
    << "plot 'genomes.dat' matrix with image, \\\n"
    << "     'genomes.dat' matrix using 1:2:($3 >= 6 ? sprintf('%d', $3) : '') with labels "
       "tc rgb 'white', \\\n"
    << "     'genomes.dat' matrix using 1:2:($3 < 6 ? sprintf('%d', $3) : '') with labels "
       "tc rgb 'black'\n";
  return s.str();
}

void write_pareto(const Run& run, Axis axis, const fs::path& work, const fs::path& svg) {
  core::write_text_file(evaluated_data(run.evaluated, axis, run.file.metric), work / "all.dat");
  for (const bool test : {false, true}) {
    const std::string split = test ? "_test.dat" : "_val.dat";
    core::write_text_file(points_data(run.file.front, test, axis, run), work / ("front" + split));
    core::write_text_file(points_data(run.file.baseline, test, axis, run),
                          work / ("baseline" + split));
  }
  run_gnuplot(pareto_script(run, axis, svg.filename().string()),
              work / (svg.stem().string() + ".gp"), svg);
}

void write_plots(const Run& run) {
  const PlotFolder folder(run.dir / ".plots");
  const fs::path& work = folder.path();
  write_pareto(run, Axis::size, work, run.dir / "pareto.svg");
  if (run.bops_objective) write_pareto(run, Axis::bops, work, run.dir / "pareto_bops.svg");
  if (!run.file.latency_target().empty()) {
    write_pareto(run, Axis::latency, work, run.dir / "pareto_latency.svg");
  }
  if (!run.file.front.empty()) {
    std::ostringstream m;
    for (const ScoredGenome& p : run.file.front) {
      for (size_t g = 0; g < p.genome.size(); ++g) m << (g ? " " : "") << p.genome.bits(g);
      m << '\n';
    }
    core::write_text_file(m.str(), work / "genomes.dat");
    run_gnuplot(genomes_script(run), work / "genomes.gp", run.dir / "genomes.svg");
  }
}

// ---- HTML --------------------------------------------------------------------------------

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string duration(double seconds) {
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

// An inline SVG: the file without its XML prolog.
std::string inline_svg(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  const size_t start = text.find("<svg");
  if (start == std::string::npos) throw std::runtime_error(path.string() + ": not an SVG");
  return text.substr(start);
}

// A table cell coloured by bit width (light = few bits, dark = 8).
std::string bits_cell(double bits, int decimals) {
  const double lightness = 96.0 - (std::clamp(bits, 2.0, 8.0) - 2.0) * 9.0;
  return "<td class=\"b\" style=\"background:hsl(210,65%," + fmt("%.0f", lightness) +
         "%);color:" + (lightness < 62 ? "#fff" : "#000") + "\">" +
         fmt(decimals == 0 ? "%.0f" : "%.1f", bits) + "</td>";
}

std::string gene_header(const Run& run) {
  std::string s;
  for (const std::string& g : run.genes) s += "<th class=\"g\">" + escape(g) + "</th>";
  return s;
}

// The run's QAT work (front.json's "effort"): how many genomes got each fidelity.
std::string effort_text(const nlohmann::json& e) {
  const auto n = [&](const char* key) { return std::to_string(e.value(key, int64_t{0})); };
  std::string s;
  if (e.value("fidelity", std::string()) == "screened") {
    s += n("screened") + " genomes scored by PTQ first, " + n("search_fine_tunes") +
         " fine-tuned (" + n("search_steps") + " steps); final scores: " + n("final_fine_tunes") +
         " at " + n("final_steps") + " steps, the baseline's " + n("rung_fine_tunes") +
         " narrower widths at " + n("rung_steps") + "; ";
  } else {
    s += n("search_fine_tunes") + " genomes fine-tuned by the search (" + n("search_steps") +
         " steps), " + n("final_fine_tunes") + " for the final scores (" + n("final_steps") +
         " steps); ";
  }
  return s + n("qat_steps") + " QAT steps in all";
}

std::string row(const std::string& name, const std::string& value) {
  return "<tr><th>" + name + "</th><td>" + value + "</td></tr>\n";
}

// "98.51 % [98.27, 98.72]": a score and its 95 % interval, if the count is known.
std::string with_interval(const Metric& metric, double score, const Interval& i, int64_t count) {
  if (count <= 0 || (!metric.is_accuracy() && i.low == i.high)) return metric.format(score);
  const double scale = metric.is_accuracy() ? 100 : 1;
  const char* digits = metric.kind == Metric::Kind::stoi ? "%.3f" : "%.2f";
  return metric.format(score) + " [" + fmt(digits, scale * i.low) + ", " +
         fmt(digits, scale * i.high) + "] (n = " + std::to_string(count) + ")";
}

// The paired test difference to 8-bit with its interval (and McNemar's test for accuracy).
std::string difference_text(const Metric& metric, const Pick& p) {
  const ScoredGenome& g = *p.genome;
  std::string difference = metric.format_difference(p.test_difference);
  if (!p.paired) return difference;
  if (!metric.is_accuracy()) {
    return difference + " [" + metric.format_difference(p.test_difference_interval.low) + ", " +
           metric.format_difference(p.test_difference_interval.high) +
           "] paired 95 % (mean per-clip difference +- 1.96 standard errors)";
  }
  return difference + " [" + fmt("%+.2f", 100 * p.test_difference_interval.low) + ", " +
         fmt("%+.2f", 100 * p.test_difference_interval.high) +
         "] paired 95 % (Newcombe); McNemar exact p = " + fmt("%.3g", p.mcnemar_p) + " (" +
         std::to_string(g.test_only_this) + " test sequences only it gets right, " +
         std::to_string(g.test_only_eight) + " only 8-bit)";
}

std::string pick_rows(const Metric& metric, const Pick& p, const std::string& what) {
  const ScoredGenome& g = *p.genome;
  std::string s =
      row(std::string(what) + " (chosen on validation)",
          "<code>" + escape(g.genome.to_compact()) + "</code>, " + std::to_string(g.size_bits / 8) +
              " B, " + fmt("%.1f MBOPs", mbops(g.bops)));
  s += row("&nbsp;&nbsp;its validation " + metric.label(),
           with_interval(metric, g.val_accuracy, p.val_interval, g.val_count));
  s += row("&nbsp;&nbsp;its test " + metric.label() + " (reported)",
           with_interval(metric, g.test_accuracy, p.test_interval, g.test_count));
  s += row("&nbsp;&nbsp;test difference to 8-bit", difference_text(metric, p));
  return s;
}

std::string headline_table(const Run& run, const Headline& h) {
  const json& c = run.file.config;
  const ScoredGenome& eight = *h.eight;
  const Metric& m = h.metric;
  const std::string within = "within " + m.tolerance_text() + " of 8-bit";
  std::string s = "<table class=\"kv\">\n";
  if (m.is_accuracy() && run.float_accuracy >= 0) {
    s += row("float model (test)", pct(run.float_accuracy));
  }
  if (!m.is_accuracy()) {
    s += row("float model (validation " + m.label() + ", the error's reference)",
             m.format(m.reference));
  }
  s += row("homogeneous 8-bit", "validation " + m.format(eight.val_accuracy) + ", test " +
                                    m.format(eight.test_accuracy) + ", " +
                                    std::to_string(eight.size_bits / 8) + " B, " +
                                    fmt("%.1f MBOPs", mbops(eight.bops)));
  if (h.size) {
    s += pick_rows(m, *h.size, "smallest front genome " + within);
    s += row("size reduction at " + m.iso(),
             "<b>" + fmt("%.1f %%", 100 * h.size->size_reduction) + "</b> (BOPs " +
                 fmt("%.1f %%", 100 * h.size->bops_reduction) + ")");
    if (h.bops && h.bops->genome != h.size->genome) {
      s += pick_rows(m, *h.bops, "fewest-BOPs front genome " + within);
    }
    s += row("BOPs reduction at " + m.iso(), fmt("%.1f %%", 100 * h.bops->bops_reduction));
  } else {
    s += row("size reduction at " + m.iso(), "no front genome is " + within + " on validation");
  }
  if (h.size_reduction_bound) {
    s +=
        row("size reduction at most (homogeneous 2-bit: every weight at 2 bits, the int32 "
            "biases stay)",
            fmt("%.1f %%", 100 * *h.size_reduction_bound));
  }
  const std::string error = m.is_accuracy() ? "error" : "1 - " + m.label() + " / float's";
  const std::string axes =
      error + ", size / size<sub>8</sub>" + (h.bops_axis ? ", BOPs / BOPs<sub>8</sub>" : "");
  s += row("hypervolume on validation (" + axes + ")", "mixed " + fmt("%.4f", h.validation.front) +
                                                           " vs homogeneous " +
                                                           fmt("%.4f", h.validation.baseline));
  s += row("hypervolume on test (reported)", "mixed " + fmt("%.4f", h.test.front) +
                                                 " vs homogeneous " + fmt("%.4f", h.test.baseline));
  const FrontFile& f = run.file;
  s += row("evaluations",
           (f.evaluations >= 0
                ? std::to_string(f.evaluations) + " distinct evaluations over all sessions; "
                : std::string()) +
               std::to_string(f.session_evaluations) + " evaluations and " +
               std::to_string(f.session_cache_hits) + " cache hits in the last session; " +
               duration(f.seconds) + " wall time over all sessions");
  if (f.effort.value("qat_steps", int64_t{0}) > 0) s += row("QAT work", effort_text(f.effort));
  s += row("search", escape(c.value("fitness", std::string())) + " fitness, " +
                         std::to_string(c.value("qat_steps", 0)) + " QAT steps per evaluation, " +
                         std::to_string(c.value("final_steps", 0)) + " for the final scores of " +
                         std::to_string(c.value("final_fronts", 1)) +
                         " non-dominated rank(s); population " +
                         std::to_string(c.value("population", 0)) + " × " +
                         std::to_string(c.value("generations", 0)) + " generations, objectives " +
                         escape(c.value("objectives", std::string())) + ", seed " +
                         std::to_string(c.value("seed", 0)) + ", " +
                         std::to_string(c.value("workers", 0)) + " workers");
  return s + "</table>\n";
}

// What the device columns are, and the latency objective's target if the search had one.
std::string device_note(const Run& run) {
  if (device_targets(run.file.front).empty() && device_targets(run.file.baseline).empty()) {
    return {};
  }
  const std::string target = run.file.latency_target();
  return "<p>Instructions per time step and flash (model and runtime, linked) on each device are "
         "<b>predicted</b> by the device cost model (src/device; its errors against QEMU: "
         "results/deploy/cost_model.md), -O2." +
         (target.empty() ? std::string()
                         : " The search minimised the predicted instructions per step on <b>" +
                               escape(target) + "</b> (objectives error, size, latency).") +
         "</p>\n";
}

std::string points_table(const Run& run, const std::vector<ScoredGenome>& points,
                         const std::vector<int>* clusters) {
  const Metric& metric = run.file.metric;
  const std::vector<std::string> targets = device_targets(points);
  std::string devices;
  for (const std::string& t : targets) {
    devices += "<th>" + escape(t) + " instr./step</th><th>" + escape(t) + " flash B</th>";
  }
  std::string s =
      "<table class=\"t\"><tr><th>genome</th><th>validation</th><th>test</th><th>size B</th>"
      "<th>footprint B</th><th>MBOPs</th>" +
      devices + std::string(clusters ? "<th>cluster</th>" : "") + gene_header(run) + "</tr>\n";
  for (size_t i = 0; i < points.size(); ++i) {
    const ScoredGenome& p = points[i];
    s += "<tr><td><code>" + escape(p.genome.to_compact()) + "</code></td><td>" +
         metric.format(p.val_accuracy) + "</td><td>" + metric.format(p.test_accuracy) +
         "</td><td>" + std::to_string(p.size_bits / 8) + "</td><td>" +
         std::to_string(p.footprint_bytes) + "</td><td>" + fmt("%.1f", mbops(p.bops)) + "</td>";
    for (const std::string& t : targets) {
      const auto c = std::find_if(p.device.begin(), p.device.end(),
                                  [&t](const DeviceCost& d) { return d.target == t; });
      s += c == p.device.end() ? "<td></td><td></td>"
                               : "<td>" + std::to_string(c->instructions) + "</td><td>" +
                                     std::to_string(c->flash_bytes) + "</td>";
    }
    if (clusters) s += "<td>" + std::to_string((*clusters)[i] + 1) + "</td>";
    for (int b : bits_of(p)) s += bits_cell(b, 0);
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

std::string clusters_section(const Run& run, const GenomeClusters& clusters) {
  std::string s =
      "<p>k-means over the front genomes' bit widths (k chosen by the best mean silhouette, " +
      fmt("%.2f", clusters.silhouette) +
      "). Each row is one family of front genomes and its mean bit width per gene: dark genes "
      "are the operators this task wants precise.</p>\n<table class=\"t\"><tr><th>cluster</th>"
      "<th>genomes</th><th>size B</th><th>validation</th>" +
      gene_header(run) + "</tr>\n";
  const std::vector<ScoredGenome>& front = run.file.front;
  for (size_t c = 0; c < clusters.centroids.size(); ++c) {
    int64_t lo = INT64_MAX, hi = 0;
    double acc_lo = HUGE_VAL, acc_hi = -HUGE_VAL;
    for (size_t i = 0; i < front.size(); ++i) {
      if (clusters.assignment[i] != static_cast<int>(c)) continue;
      lo = std::min(lo, front[i].size_bits / 8);
      hi = std::max(hi, front[i].size_bits / 8);
      acc_lo = std::min(acc_lo, front[i].val_accuracy);
      acc_hi = std::max(acc_hi, front[i].val_accuracy);
    }
    s += "<tr><td>" + std::to_string(c + 1) + "</td><td>" + std::to_string(clusters.sizes[c]) +
         "</td><td>" + std::to_string(lo) + "–" + std::to_string(hi) + "</td><td>" +
         run.file.metric.format(acc_lo) + "–" + run.file.metric.format(acc_hi) + "</td>";
    for (double b : clusters.centroids[c]) s += bits_cell(b, 1);
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

// Which genes the iso-accuracy genome sets below 8 bits, weights and the rest apart: with the
// size objective only weight genes cost anything, with BOPs the activations do too.
std::string lowered_section(const Headline& h) {
  if (!h.size) {
    return "<p>No front genome is within " + h.metric.tolerance_text() +
           " of homogeneous 8-bit on validation.</p>\n";
  }
  const core::Genome& genome = h.size->genome->genome;
  std::string weights, others;
  double mean_other = 0;
  int n_other = 0;
  for (size_t g = 0; g < genome.size(); ++g) {
    const core::Gene& gene = genome.table()[g];
    const bool weight = core::is_weight(gene.op);
    if (!weight) mean_other += genome.bits(g), ++n_other;
    if (genome.bits(g) >= 8) continue;
    std::string& list = weight ? weights : others;
    list += (list.empty() ? "" : ", ") + escape(gene.name) + "=" + std::to_string(genome.bits(g));
  }
  return "<p>The " + h.metric.iso() + " genome <code>" + escape(genome.to_compact()) +
         "</code> lowers<br>weights: " + (weights.empty() ? "none" : weights) +
         "<br>activations and intermediates: " + (others.empty() ? "none" : others) +
         "<br>mean bit width of the activation and intermediate genes: " +
         fmt("%.2f", n_other ? mean_other / n_other : 0.0) + "</p>\n";
}

// Listening examples of a speech-enhancement run (RUN/examples/examples.json, written by the
// search): per clip, each version's player, SI-SDR/STOI and spectrogram, linked, not inlined.
std::string examples_section(const Run& run) {
  const fs::path file = run.shown / "examples" / "examples.json";
  if (!fs::exists(file)) return {};
  json doc;
  try {
    doc = core::read_json_file(file);
    std::string s = "<h2>Listening examples</h2>\n<p>The first " +
                    std::to_string(doc.at("clips").size()) + " clips of the " +
                    escape(doc.at("split").get<std::string>()) +
                    " split (fixed before any result; shown, never used to choose): WAVs and "
                    "spectrograms in <code>examples/</code>, each with its SI-SDR and STOI "
                    "against the clean clip.</p>\n";
    for (const json& clip : doc.at("clips")) {
      s += "<h3>" + escape(clip.at("name").get<std::string>()) +
           "</h3>\n<table class=\"t\"><tr><th>version</th><th>listen</th><th>SI-SDR</th>"
           "<th>STOI</th><th>spectrogram</th></tr>\n";
      for (const json& v : clip.at("versions")) {
        const std::string wav = "examples/" + v.at("wav").get<std::string>();
        const std::string svg = "examples/" + v.at("svg").get<std::string>();
        s += "<tr><td>" + escape(v.at("title").get<std::string>()) +
             "</td><td><audio controls preload=\"none\" src=\"" + escape(wav) +
             "\"></audio><br><a href=\"" + escape(wav) + "\">WAV</a></td><td>" +
             (v.contains("si_sdr") ? fmt("%.2f dB", v.at("si_sdr").get<double>()) : "–") +
             "</td><td>" + (v.contains("stoi") ? fmt("%.3f", v.at("stoi").get<double>()) : "–") +
             "</td><td><img width=\"560\" src=\"" + escape(svg) + "\" alt=\"" + escape(svg) +
             "\"></td></tr>\n";
      }
      s += "</table>\n";
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file.string() + ": not an examples file: " + e.what());
  }
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return buffer;
}

constexpr const char* kStyle =
    "body{font-family:Helvetica,Arial,sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;"
    "color:#222}h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid "
    "#ddd}table{border-collapse:collapse;font-size:13px}td,th{padding:3px 6px;border:1px solid "
    "#e4e4e4;text-align:right}table.kv th{text-align:left;background:#f6f6f6}td.b{padding:3px "
    "4px;text-align:center;min-width:1.4em}th.g{writing-mode:vertical-rl;transform:rotate(180deg);"
    "font-weight:normal;font-size:11px}code{font-size:12px}pre{background:#f6f6f6;padding:1em;"
    "font-size:12px}svg{max-width:100%;height:auto}";

std::string html(const Run& run, const Headline& h, const GenomeClusters& clusters) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mpgru "
      "search report: " +
      escape(run.task()) + "</title><style>" + kStyle + "</style></head><body>\n";
  s += "<h1>mpgru search report — " + escape(run.task()) + "</h1>\n<p>Run folder <code>" +
       escape(run.shown.string()) + "</code>, report generated " + utc_now() +
       ". Every score is the integer engine's. The search and every choice below (the front, "
       "the " +
       run.file.metric.iso() +
       " genomes) use the <b>validation</b> split only; the <b>test</b> split is reported beside "
       "them, never used to choose. " +
       (run.file.metric.is_accuracy()
            ? "Intervals are 95 %: Wilson for one accuracy, Newcombe's paired interval for a "
              "difference on the same test sequences.</p>\n"
            : "Scores are " + run.file.metric.label() +
                  ", means over clips; intervals are 95 % (1.96 standard errors of the mean; "
                  "of the per-clip differences for a difference to 8-bit).</p>\n");
  s += "<h2>Headline</h2>\n" + headline_table(run, h);
  s += "<h2>Pareto fronts</h2>\n" + inline_svg(run.dir / "pareto.svg");
  if (!run.has_evaluated) {
    s += "<p>(No evaluated.csv in this folder: the cloud of evaluated genomes is not "
         "shown.)</p>\n";
  }
  if (run.bops_objective) s += inline_svg(run.dir / "pareto_bops.svg");
  if (!run.file.latency_target().empty()) s += inline_svg(run.dir / "pareto_latency.svg");
  if (!run.file.front.empty()) {
    s += "<h2>Bit widths of the front</h2>\n" + inline_svg(run.dir / "genomes.svg");
    s += "<h2>Families of front genomes</h2>\n" + clusters_section(run, clusters);
  }
  s += "<h2>Genes lowered at " + h.metric.iso() + "</h2>\n" + lowered_section(h);
  s += examples_section(run);
  s += "<h2>Mixed-precision front (non-dominated on validation, by size)</h2>\n" +
       device_note(run) + points_table(run, run.file.front, &clusters.assignment);
  s += "<h2>Homogeneous baseline</h2>\n" + points_table(run, run.file.baseline, nullptr);
  s += "<h2>Configuration</h2>\n<pre>" + escape(run.file.config.dump(2)) + "</pre>\n";
  return s + "</body></html>\n";
}

void report_files(const fs::path& files, const fs::path& run_dir) {
  const Run run = load_run(files, run_dir);
  write_plots(run);
  Headline h;
  try {
    h = headline(run.file.front, run.file.baseline, run.bops_objective, run.file.metric);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error((run_dir / "front.json").string() + ": " + e.what());
  }
  std::vector<std::vector<int>> genomes;
  for (const ScoredGenome& p : run.file.front) genomes.push_back(bits_of(p));
  const GenomeClusters clusters = cluster_genomes(genomes);
  core::write_text_file(html(run, h, clusters), files / "report.html");
}

}  // namespace

void write_run_report_files(const fs::path& files, const fs::path& run_dir) {
  try {
    report_files(files, run_dir);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(core::with_path_replaced(e.what(), files, run_dir));
  }
}

fs::path write_run_report(const fs::path& run_dir) {
  if (!fs::exists(run_dir / "config.json")) {
    throw std::runtime_error(run_dir.string() + ": not a search run folder (no config.json)");
  }
  const core::FolderLock lock(run_dir);
  core::StagedFolder out(run_dir);
  for (const char* name : {"config.json", "front.json", "evaluated.csv"}) out.link(name);
  write_run_report_files(out.path(), run_dir);
  for (const char* name : {"config.json", "front.json", "evaluated.csv"}) {
    fs::remove(out.path() / name);  // only the new files move in
  }
  out.commit();
  return run_dir / "report.html";
}

}  // namespace mpgru::report
