#include "cli/prove_target.h"

#include <filesystem>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/load_policy.h"

namespace sbx::cli {

namespace {

// "FILE:TASK" unless the whole argument is an existing file (a path may hold a colon).
std::pair<std::string, std::string> splitSpec(const std::string& spec) {
  std::error_code ec;
  auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || std::filesystem::is_regular_file(spec, ec)) return {spec, ""};
  return {spec.substr(0, colon), spec.substr(colon + 1)};
}

}  // namespace

std::optional<ProveTarget> loadProveTarget(const std::string& spec, const ParsedArgs& args, int& exitCode) {
  auto [file, taskName] = splitSpec(spec);
  ProveTarget t;
  t.name = spec;
  t.session =
      std::make_unique<frontend::Session>(frontend::Options{args.get("--stdlib", ""), args.get("--import-root", "")});
  auto loaded = loadPolicy(*t.session, file, args);
  if (!loaded.model) {
    exitCode = loaded.exitCode;
    return std::nullopt;
  }
  t.model = std::move(loaded.model);
  std::vector<std::string> roots;
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < t.model->tasks.size(); ++i) {
    if (!t.model->tasks[i].root) continue;
    roots.push_back(t.model->tasks[i].name);
    if (t.model->tasks[i].name == taskName || (taskName.empty() && roots.size() == 1)) found = i;
  }
  exitCode = kInvalidInput;
  if (taskName.empty() && roots.size() != 1) {
    fmt::print(stderr, "sbxc prove: `{}` declares {} tasks{}: name one as `{}:TASK`\n", file, roots.size(),
               roots.empty() ? "" : fmt::format(" ({})", fmt::join(roots, ", ")), file);
    return std::nullopt;
  }
  if (!found) {
    auto m = closestMatch(taskName, roots);
    fmt::print(stderr, "sbxc prove: `{}` declares no task `{}`{}\n", file, taskName,
               m ? fmt::format(": did you mean `{}`?", *m) : fmt::format(" (it declares {})", fmt::join(roots, ", ")));
    return std::nullopt;
  }
  t.index = *found;
  t.report = classifier::classify(*t.model, {classifier::todayUtc()});
  std::vector<Diagnostic> errors;
  t.compiled = backends::compileTask(*t.model, *t.report, t.index, seccomp::Codegen::Sbxc, errors);
  if (!t.compiled) {
    printDiagnostics(errors, t.session->sources(), args);
    return std::nullopt;
  }
  exitCode = kOk;
  return t;
}

}  // namespace sbx::cli
