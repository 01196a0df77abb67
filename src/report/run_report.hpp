// The report of a search run folder: pareto.svg (mixed and homogeneous fronts on validation,
// solid, and on test, dashed; every evaluated genome faint), genomes.svg (the front's bit widths
// per gene), pareto_bops.svg for runs with the BOPs objective, and report.html, self-contained
// (plots inlined): headline figures, front and baseline tables, a k-means clustering of the front
// genomes with each cluster's mean bit width per gene, and which genes the iso-accuracy genome
// lowers.
#pragma once

#include <filesystem>

namespace mpgru::report {

// Regenerates the report from the run's front.json (headline figures by report/headline.hpp)
// and evaluated.csv (the faint cloud of evaluated genomes; without it the report says so). Returns
// the path of report.html. Throws std::runtime_error naming the file if front.json is missing (the
// search has not finished) or malformed, or if gnuplot fails.
std::filesystem::path write_run_report(const std::filesystem::path& run_dir);

}  // namespace mpgru::report
