// `--config FILE` for subcommands: the file's options become command-line arguments placed
// before the user's own, so flags given on the command line override the file.
#pragma once

#include <string>
#include <vector>

namespace mpgru::cli {

// Reads a TOML (key = value) or JSON (flat object) options file into "--key value" arguments.
// `true` booleans become bare flags, `false` ones are dropped. Throws std::invalid_argument
// naming the file and the problem (missing, unreadable, nested sections, non-scalar values).
std::vector<std::string> config_file_arguments(const std::string& path);

// Given argv without the program name, returns it with every `--config FILE` (or
// `--config=FILE`) replaced by nothing and the files' arguments inserted right after the
// subcommand name (args[0]), so the command line's own flags come later and win.
std::vector<std::string> expand_config_arguments(const std::vector<std::string>& args);

}  // namespace mpgru::cli
