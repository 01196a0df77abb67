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
// search has not finished) or malformed, if gnuplot fails or a file cannot be written. Holds the
// folder's lock (core::FolderLock: refused while a search of it runs) and replaces the plots and
// report.html together (core::StagedFolder): on failure every file is as it was.
std::filesystem::path write_run_report(const std::filesystem::path& run_dir);

// The same files, read from and written into `files` (a staging folder holding config.json,
// front.json and evaluated.csv), the page naming `run_dir` as the run folder. For the search,
// which holds the lock and stages its own outputs.
void write_run_report_files(const std::filesystem::path& files,
                            const std::filesystem::path& run_dir);

}  // namespace mpgru::report
