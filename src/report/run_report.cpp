// The run report: data files and gnuplot scripts for the plots, then one HTML page.
#include "search/run_report.hpp"

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

#include "core/json_file.hpp"
#include "search/evaluation_store.hpp"
#include "search/genome_clusters.hpp"
#include "search/gnuplot.hpp"
#include "search/report_format.hpp"
#include "search/search_run.hpp"

namespace mpgru::search {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Point {
  std::string compact;
  std::vector<int> bits;
  double val_accuracy = 0;
  double test_accuracy = -1;  // -1: not measured on test (evaluated genomes)
  int64_t size_bits = 0, footprint_bytes = 0, bops = 0;
};

struct Run {
  fs::path dir;
  json doc;  // front.json
  std::vector<std::string> genes;
  std::vector<Point> front, baseline, evaluated;
  bool has_store = false;
  bool bops_objective = false;
  double float_accuracy = -1;
};

// "x=8,w_i.r=2,..." into gene names and bits.
void split_pairs(const std::string& pairs, std::vector<std::string>& names,
                 std::vector<int>& bits) {
  std::stringstream s(pairs);
  std::string token;
  while (std::getline(s, token, ',')) {
    const size_t eq = token.find('=');
    if (eq == std::string::npos) throw std::runtime_error("bad genome '" + pairs + "'");
    names.push_back(token.substr(0, eq));
    bits.push_back(std::stoi(token.substr(eq + 1)));
  }
}

Point parse_point(const json& j, std::vector<std::string>& genes) {
  Point p;
  std::vector<std::string> names;
  split_pairs(j.at("genome").get<std::string>(), names, p.bits);
  if (genes.empty()) genes = names;
  if (names != genes) throw std::runtime_error("genomes of different layouts");
  p.compact = j.at("compact").get<std::string>();
  p.val_accuracy = j.at("val_accuracy").get<double>();
  p.test_accuracy = j.at("test_accuracy").get<double>();
  p.size_bits = j.at("size_bits").get<int64_t>();
  p.footprint_bytes = j.at("footprint_bytes").get<int64_t>();
  p.bops = j.at("bops").get<int64_t>();
  return p;
}

// The store's rows of this run's search fitness: every genome the search evaluated.
std::vector<Point> evaluated_points(const Run& run, const SearchConfig& config) {
  const fs::path path = run.dir / "evaluations.sqlite";
  if (!fs::exists(path)) return {};
  std::string hash = run.doc.value("checkpoint_hash", std::string());
  const fs::path checkpoint = fs::path(config.checkpoint) / "checkpoint";
  if (hash.empty() && fs::exists(checkpoint)) hash = file_hash(checkpoint);
  const EvaluationStore store(path);
  std::vector<Point> out;
  for (const auto& [compact, e] : store.all(run.doc.at("task").get<std::string>(), hash,
                                            search_fitness_settings(config).canonical())) {
    Point p;
    p.compact = compact;
    for (char c : compact) p.bits.push_back(c - '0');
    p.val_accuracy = e.accuracy;
    p.size_bits = e.size_bits;
    p.footprint_bytes = e.footprint_bytes;
    p.bops = e.bops;
    out.push_back(p);
  }
  return out;
}

double float_test_accuracy(const SearchConfig& config) {
  const fs::path metrics = fs::path(config.checkpoint) / "metrics.json";
  if (!fs::exists(metrics)) return -1;
  try {
    return core::read_json_file(metrics).value("test_accuracy", -1.0);
  } catch (const std::exception&) {
    return -1;
  }
}

Run load_run(const fs::path& dir) {
  Run run;
  run.dir = dir;
  if (!fs::exists(dir / "config.json")) {
    throw std::runtime_error(dir.string() + ": not a search run folder (no config.json)");
  }
  const fs::path front_json = dir / "front.json";
  if (!fs::exists(front_json)) {
    throw std::runtime_error(front_json.string() +
                             ": missing; the search has not finished (continue it with "
                             "`mpgru search --resume " +
                             dir.string() + "`)");
  }
  const SearchConfig config = load_search_config(dir);
  try {
    run.doc = core::read_json_file(front_json);
    for (const json& j : run.doc.at("front")) run.front.push_back(parse_point(j, run.genes));
    for (const json& j : run.doc.at("baseline")) run.baseline.push_back(parse_point(j, run.genes));
    run.doc.at("task").get<std::string>();
  } catch (const std::exception& e) {
    throw std::runtime_error(front_json.string() + ": not a search result: " + e.what());
  }
  run.bops_objective = config.objectives == Objectives::error_size_bops;
  run.evaluated = evaluated_points(run, config);
  run.has_store = fs::exists(dir / "evaluations.sqlite");
  run.float_accuracy = float_test_accuracy(config);
  return run;
}

// ---- plots -------------------------------------------------------------------------------

double kib(int64_t bits) {
  return static_cast<double>(bits) / 8.0 / 1024.0;
}
double mbops(int64_t bops) {
  return static_cast<double>(bops) / 1e6;
}

// x (KiB or MBOPs), error %, first gene's bits (a homogeneous genome's label).
void write_points(const std::vector<Point>& points, bool test, bool bops, const fs::path& path) {
  std::ofstream out(path);
  for (const Point& p : points) {
    out << (bops ? mbops(p.bops) : kib(p.size_bits)) << ' '
        << error_pct(test ? p.test_accuracy : p.val_accuracy) << ' ' << p.bits[0] << '\n';
  }
  if (!out) throw std::runtime_error(path.string() + ": cannot write");
}

std::string pareto_script(const Run& run, bool bops, const std::string& output) {
  const std::string task = run.doc.at("task").get<std::string>();
  std::ostringstream s;
  s << "set terminal svg size 820,500 dynamic noenhanced font 'Helvetica,13' background rgb "
       "'white'\n"
    << "set output " << gnuplot_quote(output) << "\n"
    << "set title " << gnuplot_quote(task + ": error vs " + (bops ? "BOPs" : "model size")) << "\n"
    << "set xlabel "
    << gnuplot_quote(bops ? "bit operations per sequence (millions)"
                          : "model size (KiB: packed weights + int32 biases)")
    << "\nset ylabel 'error (%, log scale)'\nset logscale y\nset grid\nset key top right\n"
    << "plot ";
  if (!run.evaluated.empty()) {
    s << "'all.dat' using 1:2 with points pt 7 ps 0.35 lc rgb '#c8c8c8' "
         "title 'every evaluated genome (validation)', \\\n     ";
  }
  s << "'baseline.dat' using 1:2 with linespoints pt 5 ps 0.8 lw 2 lc rgb '#d62728' "
       "title 'homogeneous 8..2 bits (test)', \\\n"
    << "     'baseline.dat' using 1:2:(sprintf('%d', $3)) with labels offset 0,0.9 "
       "tc rgb '#d62728' notitle, \\\n"
    << "     'front.dat' using 1:2 with linespoints pt 7 ps 0.8 lw 2 lc rgb '#1f77b4' "
       "title 'mixed-precision front (test)'\n";
  return s.str();
}

std::string genomes_script(const Run& run) {
  std::ostringstream s;
  const size_t rows = run.front.size(), cols = run.genes.size();
  s << "set terminal svg size 900," << 170 + 22 * rows
    << " dynamic noenhanced font 'Helvetica,12' background rgb 'white'\n"
    << "set output '../genomes.svg'\n"
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
    s << (i ? ", " : "") << gnuplot_quote(std::to_string(run.front[i].size_bits / 8) + " B") << ' '
      << i;
  }
  s << ")\nset ylabel 'model size'\n"
    << "plot 'genomes.dat' matrix with image, \\\n"
    << "     'genomes.dat' matrix using 1:2:($3 >= 6 ? sprintf('%d', $3) : '') with labels "
       "tc rgb 'white', \\\n"
    << "     'genomes.dat' matrix using 1:2:($3 < 6 ? sprintf('%d', $3) : '') with labels "
       "tc rgb 'black'\n";
  return s.str();
}

void write_plots(const Run& run) {
  const fs::path work = run.dir / ".plots";
  fs::create_directories(work);
  write_points(run.evaluated, false, false, work / "all.dat");
  write_points(run.front, true, false, work / "front.dat");
  write_points(run.baseline, true, false, work / "baseline.dat");
  run_gnuplot(pareto_script(run, false, "../pareto.svg"), work / "pareto.gp");
  if (run.bops_objective) {
    write_points(run.evaluated, false, true, work / "all.dat");
    write_points(run.front, true, true, work / "front.dat");
    write_points(run.baseline, true, true, work / "baseline.dat");
    run_gnuplot(pareto_script(run, true, "../pareto_bops.svg"), work / "pareto_bops.gp");
  }
  if (!run.front.empty()) {
    std::ofstream m(work / "genomes.dat");
    for (const Point& p : run.front) {
      for (size_t g = 0; g < p.bits.size(); ++g) m << (g ? " " : "") << p.bits[g];
      m << '\n';
    }
    m.close();
    run_gnuplot(genomes_script(run), work / "genomes.gp");
  }
  fs::remove_all(work);
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

bool is_weight_gene(const std::string& name) {
  const size_t dot = name.find('.');
  const std::string base = name.rfind('l', 0) == 0 && dot != std::string::npos &&
                                   std::isdigit(static_cast<unsigned char>(name[1]))
                               ? name.substr(dot + 1)
                               : name;
  return base.rfind("w_", 0) == 0 || base == "emb";
}

const Point* eight_bit(const Run& run) {
  const Point* best = nullptr;
  for (const Point& p : run.baseline) {
    if (best == nullptr || p.size_bits > best->size_bits) best = &p;
  }
  return best;
}

const Point* iso_accuracy(const Run& run, const char* key = "iso_accuracy_genome") {
  if (!run.doc.contains(key)) return nullptr;
  const std::string compact = run.doc[key].at("compact").get<std::string>();
  for (const Point& p : run.front) {
    if (p.compact == compact) return &p;
  }
  return nullptr;
}

std::string row(const std::string& name, const std::string& value) {
  return "<tr><th>" + name + "</th><td>" + value + "</td></tr>\n";
}

std::string headline(const Run& run) {
  const json& c = run.doc.at("config");
  const Point* eight = eight_bit(run);
  const Point* iso = iso_accuracy(run);
  std::string s = "<table class=\"kv\">\n";
  if (run.float_accuracy >= 0) s += row("float model", pct(run.float_accuracy));
  if (eight != nullptr) {
    s += row("homogeneous 8-bit", pct(eight->test_accuracy) + ", " +
                                      std::to_string(eight->size_bits / 8) + " B, " +
                                      fmt("%.1f MBOPs", mbops(eight->bops)));
  }
  if (iso != nullptr && eight != nullptr) {
    s += row("smallest front genome within 0.5 pp of 8-bit",
             "<code>" + escape(iso->compact) + "</code>, " + pct(iso->test_accuracy) + ", " +
                 std::to_string(iso->size_bits / 8) + " B");
    s += row("size reduction at iso-accuracy",
             "<b>" + fmt("%.1f %%", 100 * run.doc.value("size_reduction", 0.0)) + "</b>");
    const Point* fewest = iso_accuracy(run, "iso_accuracy_bops_genome");
    s += row("BOPs reduction at iso-accuracy",
             fmt("%.1f %%", 100 * run.doc.value("bops_reduction", 0.0)) +
                 (fewest != nullptr ? " (<code>" + escape(fewest->compact) + "</code>, " +
                                          pct(fewest->test_accuracy) + ", " +
                                          fmt("%.1f MBOPs", mbops(fewest->bops)) + ")"
                                    : std::string()));
  } else {
    s += row("size reduction at iso-accuracy", "no front genome within 0.5 pp of 8-bit");
  }
  s += row("hypervolume (test error, size / size<sub>8</sub>" +
               std::string(run.bops_objective ? ", BOPs / BOPs<sub>8</sub>" : "") + ")",
           "mixed " + fmt("%.4f", run.doc.value("hypervolume_front", 0.0)) + " vs homogeneous " +
               fmt("%.4f", run.doc.value("hypervolume_baseline", 0.0)));
  s += row(
      "evaluations",
      (run.has_store ? std::to_string(run.evaluated.size()) + " genomes evaluated (store); " : "") +
          std::to_string(run.doc.value("evaluations", 0)) + " evaluations and " +
          std::to_string(run.doc.value("cache_hits", 0)) + " cache hits in the last session; " +
          duration(run.doc.value("seconds", 0.0)) + " wall time over all sessions");
  s += row("search", escape(c.value("fitness", std::string())) + " fitness, " +
                         std::to_string(c.value("qat_steps", 0)) + " QAT steps per evaluation, " +
                         std::to_string(c.value("final_steps", 0)) + " for the final scores; " +
                         "population " + std::to_string(c.value("population", 0)) + " × " +
                         std::to_string(c.value("generations", 0)) + " generations, objectives " +
                         escape(c.value("objectives", std::string())) + ", seed " +
                         std::to_string(c.value("seed", 0)) + ", " +
                         std::to_string(c.value("workers", 0)) + " workers");
  return s + "</table>\n";
}

std::string points_table(const Run& run, const std::vector<Point>& points,
                         const std::vector<int>* clusters) {
  std::string s =
      "<table class=\"t\"><tr><th>genome</th><th>validation</th><th>test</th><th>size B</th>"
      "<th>footprint B</th><th>MBOPs</th>" +
      std::string(clusters ? "<th>cluster</th>" : "") + gene_header(run) + "</tr>\n";
  for (size_t i = 0; i < points.size(); ++i) {
    const Point& p = points[i];
    s += "<tr><td><code>" + escape(p.compact) + "</code></td><td>" + pct(p.val_accuracy) +
         "</td><td>" + pct(p.test_accuracy) + "</td><td>" + std::to_string(p.size_bits / 8) +
         "</td><td>" + std::to_string(p.footprint_bytes) + "</td><td>" +
         fmt("%.1f", mbops(p.bops)) + "</td>";
    if (clusters) s += "<td>" + std::to_string((*clusters)[i] + 1) + "</td>";
    for (int b : p.bits) s += bits_cell(b, 0);
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
      "<th>genomes</th><th>size B</th><th>test</th>" +
      gene_header(run) + "</tr>\n";
  for (size_t c = 0; c < clusters.centroids.size(); ++c) {
    int64_t lo = INT64_MAX, hi = 0;
    double acc_lo = 1, acc_hi = 0;
    for (size_t i = 0; i < run.front.size(); ++i) {
      if (clusters.assignment[i] != static_cast<int>(c)) continue;
      lo = std::min(lo, run.front[i].size_bits / 8);
      hi = std::max(hi, run.front[i].size_bits / 8);
      acc_lo = std::min(acc_lo, run.front[i].test_accuracy);
      acc_hi = std::max(acc_hi, run.front[i].test_accuracy);
    }
    s += "<tr><td>" + std::to_string(c + 1) + "</td><td>" + std::to_string(clusters.sizes[c]) +
         "</td><td>" + std::to_string(lo) + "–" + std::to_string(hi) + "</td><td>" + pct(acc_lo) +
         "–" + pct(acc_hi) + "</td>";
    for (double b : clusters.centroids[c]) s += bits_cell(b, 1);
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

// Which genes the iso-accuracy genome sets below 8 bits, weights and the rest apart: with the
// size objective only weight genes cost anything, with BOPs the activations do too.
std::string lowered_section(const Run& run) {
  const Point* iso = iso_accuracy(run);
  if (iso == nullptr) return "<p>No front genome is within 0.5 pp of homogeneous 8-bit.</p>\n";
  std::string weights, others;
  for (size_t g = 0; g < run.genes.size(); ++g) {
    if (iso->bits[g] >= 8) continue;
    std::string& list = is_weight_gene(run.genes[g]) ? weights : others;
    list += (list.empty() ? "" : ", ") + escape(run.genes[g]) + "=" + std::to_string(iso->bits[g]);
  }
  double mean_other = 0;
  int n_other = 0;
  for (size_t g = 0; g < run.genes.size(); ++g) {
    if (!is_weight_gene(run.genes[g])) mean_other += iso->bits[g], ++n_other;
  }
  return "<p>The iso-accuracy genome <code>" + escape(iso->compact) +
         "</code> lowers<br>weights: " + (weights.empty() ? "none" : weights) +
         "<br>activations and intermediates: " + (others.empty() ? "none" : others) +
         "<br>mean bit width of the activation and intermediate genes: " +
         fmt("%.2f", n_other ? mean_other / n_other : 0.0) + "</p>\n";
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

std::string html(const Run& run, const GenomeClusters& clusters) {
  const std::string task = run.doc.at("task").get<std::string>();
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mpgru "
      "search report: " +
      escape(task) + "</title><style>" + kStyle + "</style></head><body>\n";
  s += "<h1>mpgru search report — " + escape(task) + "</h1>\n<p>Run folder <code>" +
       escape(run.dir.string()) + "</code>, report generated " + utc_now() +
       ". Every accuracy is the integer engine's; the front and the baseline are scored on the "
       "test split, the search itself saw only the validation split.</p>\n";
  s += "<h2>Headline (test split)</h2>\n" + headline(run);
  s += "<h2>Pareto fronts</h2>\n" + inline_svg(run.dir / "pareto.svg");
  if (!run.has_store) {
    s += "<p>(No evaluations.sqlite in this folder: the cloud of evaluated genomes is not "
         "shown.)</p>\n";
  }
  if (run.bops_objective) s += inline_svg(run.dir / "pareto_bops.svg");
  if (!run.front.empty()) {
    s += "<h2>Bit widths of the front</h2>\n" + inline_svg(run.dir / "genomes.svg");
    s += "<h2>Families of front genomes</h2>\n" + clusters_section(run, clusters);
  }
  s += "<h2>Genes lowered at iso-accuracy</h2>\n" + lowered_section(run);
  s += "<h2>Mixed-precision front (by size)</h2>\n" +
       points_table(run, run.front, &clusters.assignment);
  s += "<h2>Homogeneous baseline</h2>\n" + points_table(run, run.baseline, nullptr);
  s += "<h2>Configuration</h2>\n<pre>" + escape(run.doc.at("config").dump(2)) + "</pre>\n";
  return s + "</body></html>\n";
}

}  // namespace

fs::path write_run_report(const fs::path& run_dir) {
  const Run run = load_run(run_dir);
  write_plots(run);
  std::vector<std::vector<int>> genomes;
  for (const Point& p : run.front) genomes.push_back(p.bits);
  const GenomeClusters clusters = cluster_genomes(genomes);
  const fs::path path = run_dir / "report.html";
  const fs::path temp = run_dir / "report.html.tmp";
  {
    std::ofstream out(temp);
    out << html(run, clusters);
    if (!out) throw std::runtime_error(temp.string() + ": cannot write");
  }
  fs::rename(temp, path);
  return path;
}

}  // namespace mpgru::search
