// `mpgru results`: the results table over several tasks (RESULTS.md, fronts.svg) from each task's
// float and search run folders; `--plan` tells scripts/reproduce.sh what each task still needs.
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/config_file.hpp"
#include "core/json_file.hpp"
#include "core/text_file.hpp"
#include "data/task.hpp"
#include "report/results_table.hpp"

namespace mpgru::cli {
namespace {

namespace fs = std::filesystem;

struct ResultsArgs {
  std::vector<std::string> tasks;  // NAME:TRAIN_CONFIG:SEARCH_CONFIG[:MINUTES[:SEEDS]]
  std::string seeds;               // e.g. "1,2,3": every task's seeds (overrides the list's)
  std::string runs = "runs";
  std::string out = "results";
  std::string only;
  std::string command = "scripts/reproduce.sh";
  std::string changes;  // a Markdown file quoted in RESULTS.md
  bool skip_missing = false;
  bool plan = false;
};

// One task of the table, its recipe and where its runs are: RUNS/NAME-float and one search per
// seed, RUNS/NAME-search-sSEED.
struct TaskSpec {
  std::string name, train_config, search_config;
  int minutes = 0;  // expected on 2 cores for training and one search from scratch
  std::vector<unsigned> seeds = {1};
  fs::path runs, float_dir;
  fs::path search_dir(unsigned seed) const {
    return runs / (name + "-search-s" + std::to_string(seed));
  }
};

// "1,2,3" (or "1+2+3") into seeds: distinct whole numbers >= 1.
std::vector<unsigned> parse_seeds(const std::string& text, const std::string& where) {
  std::vector<unsigned> seeds;
  std::string normal = text;
  for (char& c : normal) c = c == '+' ? ',' : c;
  std::stringstream s(normal);
  std::string part;
  while (std::getline(s, part, ',')) {
    const bool digits = !part.empty() && part.size() <= 9 &&
                        part.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoul(part) == 0) {
      throw std::invalid_argument(where + ": seed '" + part + "' is not a whole number >= 1");
    }
    const auto seed = static_cast<unsigned>(std::stoul(part));
    for (unsigned known : seeds) {
      if (known == seed) throw std::invalid_argument(where + ": seed " + part + " is listed twice");
    }
    seeds.push_back(seed);
  }
  if (seeds.empty()) throw std::invalid_argument(where + ": no seeds in '" + text + "'");
  return seeds;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream s(text);
  std::string part;
  while (std::getline(s, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

TaskSpec parse_spec(const std::string& spec, const fs::path& runs) {
  const std::vector<std::string> parts = split(spec, ':');
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument("--task '" + spec + "': " + why +
                                 " (expected NAME:TRAIN_CONFIG:SEARCH_CONFIG[:MINUTES[:SEEDS]])");
  };
  if (parts.size() < 3 || parts.size() > 5) throw bad("wrong number of fields");
  TaskSpec t;
  t.name = parts[0];
  t.train_config = parts[1];
  t.search_config = parts[2];
  if (!valid_name(t.name)) throw bad("the name may hold letters, digits, '-', '_' and '.'");
  if (t.train_config.empty() || t.search_config.empty()) throw bad("empty config path");
  if (parts.size() >= 4) {
    const std::string& m = parts[3];
    const bool digits =
        !m.empty() && m.size() <= 6 && m.find_first_not_of("0123456789") == std::string::npos;
    if (!digits) throw bad("MINUTES must be a whole number");
    t.minutes = std::stoi(m);
  }
  if (parts.size() == 5) t.seeds = parse_seeds(parts[4], "--task '" + spec + "'");
  t.runs = runs;
  t.float_dir = runs / (t.name + "-float");
  return t;
}

std::vector<TaskSpec> selected_specs(const ResultsArgs& args) {
  if (args.tasks.empty()) {
    throw std::invalid_argument(
        "results needs --task NAME:TRAIN_CONFIG:SEARCH_CONFIG[:MINUTES] (or --config "
        "configs/paper.toml)");
  }
  std::vector<TaskSpec> all;
  std::string known;
  for (const std::string& spec : args.tasks) {
    all.push_back(parse_spec(spec, args.runs));
    if (!args.seeds.empty()) all.back().seeds = parse_seeds(args.seeds, "--seeds");
    for (size_t i = 0; i + 1 < all.size(); ++i) {
      if (all[i].name == all.back().name) {
        throw std::invalid_argument("task '" + all.back().name + "' is listed twice");
      }
    }
    known += (known.empty() ? "" : ", ") + all.back().name;
  }
  if (args.only.empty()) return all;
  std::vector<TaskSpec> chosen;
  for (const std::string& name : split(args.only, ',')) {
    bool found = false;
    for (const TaskSpec& t : all) {
      if (t.name != name) continue;
      found = true;
      bool twice = false;
      for (const TaskSpec& c : chosen) twice = twice || c.name == name;
      if (!twice) chosen.push_back(t);
    }
    if (!found) {
      throw std::invalid_argument("no task '" + name + "' in the list (" + known + ")");
    }
  }
  return chosen;
}

// The last value of `--key=value` in an options file's arguments, or "".
std::string option_value(const std::vector<std::string>& args, const std::string& key) {
  const std::string prefix = "--" + key + "=";
  std::string value;
  for (const std::string& a : args) {
    if (a.rfind(prefix, 0) == 0) value = a.substr(prefix.size());
  }
  return value;
}

// Why the task's remaining work cannot run (a config or the data is missing), or "".
std::string missing_reason(const TaskSpec& t, unsigned seed, bool float_done) {
  const bool resume = fs::exists(t.search_dir(seed) / "config.json");
  const bool has_train = fs::is_regular_file(t.train_config);
  if (!float_done && !has_train) return t.train_config + " not found";
  if (!resume && !fs::is_regular_file(t.search_config)) return t.search_config + " not found";
  std::string task, data_dir;
  if (has_train) {
    const std::vector<std::string> train_args = config_file_arguments(t.train_config);
    task = option_value(train_args, "task");
    data_dir = option_value(train_args, "data");
    try {
      task = data::resolve_task(task, data_dir);  // a data file is task file
    } catch (const std::invalid_argument& e) {
      return t.train_config + ": " + e.what();
    }
  }
  if (task.empty() && fs::exists(t.float_dir / "config.json")) {
    task = core::read_json_file(t.float_dir / "config.json").value("task", std::string());
  }
  if (task.empty()) return t.train_config + " names no task (task = \"...\")";
  const data::TaskInfo* info = nullptr;
  try {
    info = &data::find_task(task);
  } catch (const std::invalid_argument& e) {
    return std::string(e.what()) + ": this build of mpgru does not have it";
  }
  const fs::path dir = data_dir.empty() ? data::default_data_dir() : fs::path(data_dir);
  if (data::task_data_present(*info, dir)) return "";
  const bool by_setup = info->how_to_get.find("scripts/setup.sh") != std::string::npos;
  return "no " + task + " data at " + data::task_data_dir(*info, dir).string() + ": " +
         info->how_to_get + (by_setup ? "" : " (scripts/setup.sh sets up the downloadable data)");
}

enum class State { done, train, search, missing };

struct Planned {
  TaskSpec spec;
  State state = State::missing;
  std::string note;
};

Planned plan_task(const TaskSpec& t, unsigned seed) {
  const fs::path search_dir = t.search_dir(seed);
  const bool float_done = report::float_run_finished(t.float_dir);
  const bool search_done = report::search_run_finished(search_dir);
  if (float_done && search_done) return {t, State::done, "finished, reused"};
  if (search_done) {
    return {t, State::missing,
            search_dir.string() + " is finished but " + t.float_dir.string() +
                " holds no finished float training"};
  }
  const std::string why = missing_reason(t, seed, float_done);
  if (!why.empty()) return {t, State::missing, why};
  const std::string search_note =
      fs::exists(search_dir / "config.json") ? "continue the search" : "search";
  if (float_done) return {t, State::search, search_note};
  return {t, State::train, "train the float model, " + search_note};
}

const char* state_name(State s) {
  switch (s) {
    case State::done:
      return "done";
    case State::train:
      return "train";
    case State::search:
      return "search";
    case State::missing:
      break;
  }
  return "missing";
}

// One tab-separated line per task and seed for scripts/reproduce.sh.
void print_plan(const std::vector<TaskSpec>& specs) {
  for (const TaskSpec& t : specs) {
    for (unsigned seed : t.seeds) {
      const Planned p = plan_task(t, seed);
      std::printf("%s\t%s\t%d\t%s\t%s\t%s\t%s\t%u\t%s\n", t.name.c_str(), state_name(p.state),
                  t.minutes, t.train_config.c_str(), t.search_config.c_str(),
                  t.float_dir.string().c_str(), t.search_dir(seed).string().c_str(), seed,
                  p.note.c_str());
    }
  }
}

std::string commands(const TaskSpec& t) {
  return "made with `mpgru train --config " + t.train_config + " --out " + t.float_dir.string() +
         "` and, per seed S, `mpgru search --config " + t.search_config + " --ckpt " +
         t.float_dir.string() + " --seed S --out " + (t.runs / (t.name + "-search-sS")).string() +
         "`";
}

int run_results(const ResultsArgs& args) {
  const std::vector<TaskSpec> specs = selected_specs(args);
  report::ResultsOptions options;
  // Read before any plan: a missing file stops scripts/reproduce.sh before its work, not after.
  if (!args.changes.empty()) options.changes = core::read_text_file(args.changes);
  if (args.plan) {
    print_plan(specs);
    return kExitOk;
  }
  std::vector<report::ResultsTask> tasks;
  options.command = args.command;
  for (const TaskSpec& t : specs) {
    bool finished = report::float_run_finished(t.float_dir);
    std::string why = "its runs have not finished";
    for (unsigned seed : t.seeds) {
      if (report::search_run_finished(t.search_dir(seed))) continue;
      finished = false;
      const Planned p = plan_task(t, seed);
      if (p.state == State::missing) why = p.note;
    }
    if (!finished && args.skip_missing) {
      options.skipped.push_back({t.name, why});
      continue;
    }
    report::ResultsTask task{t.name, t.float_dir, {}, t.seeds, commands(t)};
    for (unsigned seed : t.seeds) task.search_dirs.push_back(t.search_dir(seed));
    tasks.push_back(task);
  }
  if (tasks.empty()) throw std::runtime_error("no task has finished runs to tabulate");
  const fs::path path = report::write_results_table(tasks, args.out, options);
  std::printf("wrote %s and %s (%zu task%s)\n", path.string().c_str(),
              (fs::path(args.out) / "fronts.svg").string().c_str(), tasks.size(),
              tasks.size() == 1 ? "" : "s");
  for (const report::SkippedTask& s : options.skipped) {
    std::printf("skipped %s: %s\n", s.name.c_str(), s.reason.c_str());
  }
  return kExitOk;
}

}  // namespace

Command add_results_command(CLI::App& parent) {
  auto args = std::make_shared<ResultsArgs>();
  CLI::App* app = parent.add_subcommand(
      "results", "The results table over several tasks: RESULTS.md and fronts.svg");
  add_config_option(app);
  app->add_option("--task", args->tasks,
                  "NAME:TRAIN_CONFIG:SEARCH_CONFIG[:MINUTES[:SEEDS]], one per task (repeatable); "
                  "the runs are RUNS/NAME-float and RUNS/NAME-search-sSEED, MINUTES the "
                  "expected time of training and one search, SEEDS like 1+2+3 (default 1)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("--seeds", args->seeds,
                  "Search and QAT seeds of every task, comma-separated (e.g. 1,2,3); overrides "
                  "the tasks' SEEDS");
  app->add_option("--runs", args->runs, "Folder of the run folders")->capture_default_str();
  app->add_option("--out,-o", args->out, "Output folder for RESULTS.md and fronts.svg")
      ->capture_default_str();
  app->add_option("--only", args->only, "Only these tasks, comma-separated");
  app->add_flag("--skip-missing", args->skip_missing,
                "List unfinished tasks as skipped instead of failing");
  app->add_flag(
      "--plan", args->plan,
      "Print each task and seed's state, tab-separated (name, done/train/search/missing, "
      "minutes, train config, search config, float dir, search dir, seed, note); write nothing");
  app->add_option("--command", args->command, "The reproduction command quoted in RESULTS.md")
      ->capture_default_str();
  app->add_option("--changes", args->changes,
                  "Markdown file: the settings changed since the previous table and the "
                  "validation figures behind each, quoted in RESULTS.md under its own heading");
  return {app, [args] { return run_results(*args); }};
}

}  // namespace mpgru::cli
