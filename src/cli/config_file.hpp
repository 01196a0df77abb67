// `--config FILE` for subcommands: the file's options become command-line arguments placed
// before the user's own, so flags given on the command line override the file.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace mpgru::cli {

// Whether the command takes option `name` (without dashes); empty: every name is taken.
using KnownOption = std::function<bool(const std::string& name)>;

// Reads a TOML (key = value) or JSON (flat object) options file into "--key=value" arguments, one
// per value, so the option each reaches decides its type: a flag reads true/false, a string
// option keeps "false" as the string. Throws std::invalid_argument naming the file and the
// problem: missing, unreadable, sections, non-scalar values, a key the command does not take
// (`known`), or a nested `config` key.
std::vector<std::string> config_file_arguments(const std::string& path,
                                               const KnownOption& known = {});

// Given argv without the program name, returns it with every `--config FILE` (or
// `--config=FILE`) replaced by nothing and the files' arguments inserted right after the
// subcommand name (args[0]), so the command line's own flags come later and win.
std::vector<std::string> expand_config_arguments(const std::vector<std::string>& args,
                                                 const KnownOption& known = {});

}  // namespace mpgru::cli
