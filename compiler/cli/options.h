// A small, strict command-line parser shared by the subcommands, and the output helpers they
// have in common (diagnostics as text or JSON).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "diag/diagnostic.h"
#include "diag/render.h"

namespace sbx::cli {

struct OptionSpec {
  std::string name;  // "--format"
  bool takesValue;
  std::vector<std::string> choices;  // empty: any value
};

struct ParsedArgs {
  std::map<std::string, std::string> values;  // flags map to "1"
  std::vector<std::string> positionals;
  bool has(const std::string& name) const { return values.contains(name); }
  std::string get(const std::string& name, const std::string& fallback) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
};

// Parses `args` against `specs`; on error prints a usage message and returns nullopt.
// "-" is a positional; "--" ends options.
std::optional<ParsedArgs> parseArgs(const std::string& command, const std::vector<std::string>& args,
                                    const std::vector<OptionSpec>& specs);

int usageError(const std::string& command, const std::string& message);

// Options every policy-reading command takes.
std::vector<OptionSpec> commonOptions();

// Prints diagnostics to stderr as compiler-style text (colour per --color / NO_COLOR).
void printDiagnostics(const std::vector<Diagnostic>& diagnostics, const SourceManager& sources, const ParsedArgs& args);

}  // namespace sbx::cli
