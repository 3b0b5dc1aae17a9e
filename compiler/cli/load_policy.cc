#include "cli/load_policy.h"

#include <algorithm>

#include "cli/command.h"
#include "cli/io.h"

namespace sbx::cli {

LoadedPolicy loadPolicy(frontend::Session& session, const std::string& path, const ParsedArgs& args) {
  auto result = path == "-" ? session.loadText("<stdin>", readStdin()) : session.load(path);
  auto diagnostics = result.diagnostics.sorted();
  printDiagnostics(diagnostics, session.sources(), args);
  bool errors = std::any_of(diagnostics.begin(), diagnostics.end(),
                            [](const Diagnostic& d) { return d.severity == Severity::Error; });
  if (result.model && !errors) return {std::move(result.model), kOk};
  for (const auto& d : diagnostics)
    if (d.id == codeId(static_cast<int>(Code::IoError)) && !d.span.valid()) return {std::nullopt, kUsageOrIo};
  return {std::nullopt, kInvalidInput};
}

}  // namespace sbx::cli
