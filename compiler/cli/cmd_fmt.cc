// sbxc fmt: rewrite policies in canonical layout (frontend/format.h).
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/io.h"
#include "cli/options.h"
#include "frontend/format.h"
#include "util/atomic_file.h"
#include "util/read_file.h"

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
    // In place: the file is read and replaced through one descriptor of its directory, so that
    // the directory cannot be swapped between the two (util/atomic_file.h).
    DirectoryHandle directory;
    std::string name = std::filesystem::path(path).filename().string();
    struct stat original {};
    if (path == "-") {
      text = readStdin();
    } else if (!DirectoryHandle::open(std::filesystem::path(path).parent_path().string(), false, false, directory,
                                      error)) {
      fmt::print(stderr, "sbxc fmt: cannot read `{}`: {}\n", path, error);
      status = kUsageOrIo;
      continue;
    } else if (auto read = readRegularFile(directory.fd(), name, error, &original, !check)) {
      text = std::move(*read);
    } else {
      fmt::print(stderr, "sbxc fmt: cannot read `{}`: {}{}\n", path, error,
                 error == "is a symbolic link" ? "; fmt does not replace links (give the file it points to)" : "");
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
    // The file keeps its mode, owner and group.
    KeptIdentity identity{original.st_mode & 07777, true, original.st_uid, original.st_gid};
    if (!replaceFileAt(directory, name, *formatted, identity, error)) {
      fmt::print(stderr, "sbxc fmt: {}\n", error);
      status = kUsageOrIo;
    }
  }
  printDiagnostics(diags.sorted(), sources, *args);
  return status;
}

}  // namespace sbx::cli
