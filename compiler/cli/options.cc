#include "cli/options.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace sbx::cli {

int usageError(const std::string& command, const std::string& message) {
  fmt::print(stderr, "sbxc {}: {}\n", command, message);
  fmt::print(stderr, "Run `sbxc {} --help` for usage.\n", command);
  return 3;
}

std::vector<OptionSpec> commonOptions() {
  return {{"--color", true, {"auto", "always", "never"}}, {"--stdlib", true, {}}, {"--import-root", true, {}}};
}

std::optional<ParsedArgs> parseArgs(const std::string& command, const std::vector<std::string>& args,
                                    const std::vector<OptionSpec>& specs) {
  ParsedArgs parsed;
  bool optionsEnded = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (optionsEnded || arg == "-" || !arg.starts_with("-")) {
      parsed.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      optionsEnded = true;
      continue;
    }
    std::string name = arg, value;
    bool inlineValue = false;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inlineValue = true;
    }
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end()) {
      std::vector<std::string> names;
      for (const auto& s : specs) names.push_back(s.name);
      std::string message = fmt::format("unknown option `{}`", name);
      if (auto m = closestMatch(name, names)) message += fmt::format("; did you mean `{}`?", *m);
      usageError(command, message);
      return std::nullopt;
    }
    if (!spec->takesValue) {
      if (inlineValue) {
        usageError(command, fmt::format("option `{}` takes no value", name));
        return std::nullopt;
      }
      parsed.values[name] = "1";
      continue;
    }
    if (!inlineValue) {
      if (i + 1 >= args.size()) {
        usageError(command, fmt::format("option `{}` needs a value", name));
        return std::nullopt;
      }
      value = args[++i];
    }
    if (!spec->choices.empty() && std::find(spec->choices.begin(), spec->choices.end(), value) == spec->choices.end()) {
      std::string list;
      for (const auto& c : spec->choices) list += (list.empty() ? "" : ", ") + c;
      usageError(command, fmt::format("`{}` is not a value of {}; choose one of: {}", value, name, list));
      return std::nullopt;
    }
    parsed.values[name] = value;
  }
  return parsed;
}

void printDiagnostics(const std::vector<Diagnostic>& diagnostics, const SourceManager& sources,
                      const ParsedArgs& args) {
  RenderOptions options{colorWanted(STDERR_FILENO, args.get("--color", "auto"))};
  std::string out;
  for (const auto& d : diagnostics) out += renderText(d, sources, options) + "\n";
  std::fwrite(out.data(), 1, out.size(), stderr);
}

}  // namespace sbx::cli
