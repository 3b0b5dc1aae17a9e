// What a command's --help text says, read back as data: its usage lines, description, options
// (with the values an option takes) and exit codes. The help texts in commands() are the one
// source; shell completion (cmd_completion.cc) and man pages (cmd_man.cc) are generated from
// them, so that neither can drift from what `sbxc COMMAND --help` prints.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace sbx::cli {

struct HelpOption {
  std::string name;                  // "--format"
  std::string value;                 // "text|json|sarif", "DIR", or empty for a flag
  std::vector<std::string> choices;  // the values of "a|b|c"
  std::string description;           // its lines joined
  bool takesPath() const;            // FILE, DIR, PATH, ... : completed with file names
  bool takesDirectory() const;
};

struct HelpText {
  std::vector<std::string> usage;        // "sbxc check [OPTIONS] FILES..."
  std::vector<std::string> description;  // paragraphs
  std::vector<HelpOption> options;
  std::string exit;  // the "Exit: ..." line without its label
};

HelpText readHelp(std::string_view help);

}  // namespace sbx::cli
