// sbxc fmt: rewrite policies in canonical layout (frontend/format.h).
#include <cstdio>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/io.h"
#include "cli/options.h"
#include "frontend/format.h"
#include "util/atomic_file.h"

namespace sbx::cli {

int runFmt(const std::vector<std::string>& argv) {
  auto specs = commonOptions();
  specs.push_back({"--check", false, {}});
  auto args = parseArgs("fmt", argv, specs);
  if (!args) return kUsageOrIo;
  if (args->positionals.empty()) return usageError("fmt", "no policy files given (use `-` for stdin)");
  bool check = args->has("--check");

  SourceManager sources;
  DiagnosticSink diags;
  int status = kOk;
  for (const auto& path : args->positionals) {
    std::string text, error;
    if (path == "-") {
      text = readStdin();
    } else if (auto read = readFile(path, error)) {
      text = std::move(*read);
    } else {
      fmt::print(stderr, "sbxc fmt: {}\n", error);
      status = kUsageOrIo;
      continue;
    }
    FileId file = sources.add(path == "-" ? "<stdin>" : path, text);
    auto formatted = frontend::format(file, sources.file(file).text, diags);
    if (!formatted) {
      if (status == kOk || status == kFindings) status = kInvalidInput;
      continue;
    }
    if (path == "-") {
      if (check) {
        if (*formatted != text) status = status == kOk ? kFindings : status;
      } else {
        std::fwrite(formatted->data(), 1, formatted->size(), stdout);
      }
      continue;
    }
    if (*formatted == text) continue;
    if (check) {
      fmt::print("{}\n", path);
      if (status == kOk) status = kFindings;
      continue;
    }
    if (!writeFilesAtomically({{path, *formatted, 0644}}, error)) {
      fmt::print(stderr, "sbxc fmt: {}\n", error);
      status = kUsageOrIo;
    }
  }
  printDiagnostics(diags.sorted(), sources, *args);
  return status;
}

}  // namespace sbx::cli
