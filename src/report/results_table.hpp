// The results table over several tasks: each task's float model (mpgru train) and its finished
// search runs (mpgru search, one per seed) summed up in RESULTS.md, the headline rule of
// report/headline.hpp applied to every run (chosen on validation, test reported with 95 %
// intervals): one row per task with the mean ± sd and the worst over its seeds, one row per run,
// and one figure, fronts.svg: every task's mixed front against its homogeneous baseline.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mpgru::report {

// One row of the table and where its runs are.
struct ResultsTask {
  std::string name;                 // the row's label
  std::filesystem::path float_dir;  // mpgru train's folder: metrics.json, checkpoint
  // mpgru search's folders (front.json, config.json), one per seed, and those seeds.
  std::vector<std::filesystem::path> search_dirs;
  std::vector<unsigned> seeds;
  std::string commands;  // how the runs were made, quoted in RESULTS.md (may be empty)
};

// A task left out of the table, listed under it with the reason.
struct SkippedTask {
  std::string name;
  std::string reason;
};

struct ResultsOptions {
  std::vector<SkippedTask> skipped;
  std::string command;  // the command that reproduces the table, quoted in RESULTS.md
  std::string date;     // of the table, YYYY-MM-DD; empty: today (UTC)
  // Markdown: the settings changed since the previous table and the validation figures behind
  // each, printed under its own heading after the summary; empty: no such section.
  std::string changes;
};

// Whether mpgru train finished in `float_dir`: the checkpoint exists and metrics.json has its test
// figures (train writes metrics.json after every epoch with them at zero and fills them in once
// the best epoch is tested).
bool float_run_finished(const std::filesystem::path& float_dir);
// Whether mpgru search finished in `search_dir`: front.json is written at the very end.
bool search_run_finished(const std::filesystem::path& search_dir);

// Reads every task's FLOAT_DIR/metrics.json and each SEARCH_DIR/front.json, then writes
// OUT/RESULTS.md and OUT/fronts.svg (gnuplot). Returns RESULTS.md's path. Throws
// std::invalid_argument if `tasks` is empty, names a task twice, or a task's seeds and search
// folders differ in number or are empty; std::runtime_error naming the file if one is missing or
// malformed, or if a search ran on another checkpoint than FLOAT_DIR/checkpoint (front.json's
// checkpoint_hash), or if gnuplot fails.
std::filesystem::path write_results_table(const std::vector<ResultsTask>& tasks,
                                          const std::filesystem::path& out_dir,
                                          const ResultsOptions& options = {});

}  // namespace mpgru::report
