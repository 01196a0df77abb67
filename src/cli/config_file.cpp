// Options files for subcommands, TOML through CLI11's reader or JSON through nlohmann-json.
#include "cli/config_file.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace mpgru::cli {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::invalid_argument("config file " + path + ": " + what);
}

// One "--key=value" argument per value: a value can never be taken for an option or swallow the
// next argument, and the option it reaches decides its type (a string option keeps "false", a
// flag reads true/false).
void append_option(std::vector<std::string>& out, const std::string& path, const std::string& key,
                   const std::vector<std::string>& values, const KnownOption& known) {
  if (key == "config") fail(path, "'config': an options file cannot name another");
  if (known && !known(key)) fail(path, "unknown option '" + key + "' for this command");
  if (values.empty()) fail(path, "option '" + key + "' has no value");
  for (const std::string& v : values) out.push_back("--" + key + "=" + v);
}

std::vector<std::string> json_arguments(const std::string& path, const KnownOption& known) {
  std::ifstream in(path);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("invalid JSON: ") + e.what());
  }
  if (!json.is_object()) fail(path, "expected a JSON object of option names to values");
  std::vector<std::string> out;
  for (const auto& [key, value] : json.items()) {
    if (value.is_string()) {
      append_option(out, path, key, {value.get<std::string>()}, known);
    } else if (value.is_boolean() || value.is_number()) {
      append_option(out, path, key, {value.dump()}, known);
    } else {
      fail(path, "option '" + key + "' must be a string, number or boolean");
    }
  }
  return out;
}

std::vector<std::string> toml_arguments(const std::string& path, const KnownOption& known) {
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::Error& e) {
    fail(path, e.what());
  }
  std::vector<std::string> out;
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    if (!item.parents.empty()) {
      fail(path, "sections are not supported ('" + item.fullname() +
                     "'): write the subcommand's options at the top level");
    }
    append_option(out, path, item.name, item.inputs, known);
  }
  return out;
}

}  // namespace

std::vector<std::string> config_file_arguments(const std::string& path, const KnownOption& known) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail(path, "not found");
  if (std::filesystem::path(path).extension() == ".json") return json_arguments(path, known);
  return toml_arguments(path, known);
}

std::vector<std::string> expand_config_arguments(const std::vector<std::string>& args,
                                                 const KnownOption& known) {
  if (args.empty()) return args;
  std::vector<std::string> from_files, rest;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string file;
    if (args[i] == "--config" && i + 1 < args.size()) {
      file = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      file = args[i].substr(9);
    } else {
      rest.push_back(args[i]);
      continue;
    }
    const std::vector<std::string> more = config_file_arguments(file, known);
    from_files.insert(from_files.end(), more.begin(), more.end());
  }
  std::vector<std::string> out = {args[0]};
  out.insert(out.end(), from_files.begin(), from_files.end());
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace mpgru::cli
