// sbxc import docker-seccomp: an existing Docker / OCI seccomp profile -> a .sbx task
// (importers/docker_seccomp.h). What .sbx cannot state is printed as notes on stderr.
#include <sstream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/io.h"
#include "cli/options.h"
#include "importers/docker_seccomp.h"
#include "util/atomic_file.h"

namespace sbx::cli {

int runImport(const std::vector<std::string>& argv) {
  auto args = parseArgs("import", argv,
                        {{"--task", true, {}},
                         {"--arch", true, {"x86_64", "aarch64"}},
                         {"--capabilities", true, {}},
                         {"--widths", true, {"kernel", "libseccomp"}},
                         {"-o", true, {}},
                         {"--output", true, {}}});
  if (!args) return kUsageOrIo;
  if (args->positionals.size() != 2 || args->positionals[0] != "docker-seccomp")
    return usageError("import", "expected `sbxc import docker-seccomp FILE.json`");
  const std::string& file = args->positionals[1];
  std::string error;
  auto text = file == "-" ? std::optional<std::string>(readStdin()) : readFile(file, error);
  if (!text) {
    fmt::print(stderr, "sbxc import: {}\n", error);
    return kUsageOrIo;
  }

  importers::DockerImportOptions options;
  options.fileName = file == "-" ? "<stdin>" : file;
  options.taskName = args->get("--task", "");
  options.arch = args->get("--arch", "x86_64") == "aarch64" ? model::Arch::Aarch64 : model::Arch::X86_64;
  if (args->has("--capabilities")) {
    options.capabilities.clear();
    std::istringstream list(args->get("--capabilities", ""));
    for (std::string cap; std::getline(list, cap, ',');)
      if (!cap.empty() && cap != "none") options.capabilities.push_back(cap);
  }
  options.sixtyFourBitArguments = args->get("--widths", "kernel") == "libseccomp";
  importers::DockerImport result;
  if (!importDockerSeccomp(*text, options, result, error)) {
    fmt::print(stderr, "error: {}\n", error);
    return kInvalidInput;
  }
  for (const auto& note : result.notes) fmt::print(stderr, "note: {}\n", note);

  std::string output = args->get("-o", args->get("--output", ""));
  if (output.empty() || output == "-") {
    fmt::print("{}", result.sbx);
    return kOk;
  }
  if (!writeFilesAtomically({{output, result.sbx}}, error)) {
    fmt::print(stderr, "sbxc import: {}\n", error);
    return kUsageOrIo;
  }
  return kOk;
}

}  // namespace sbx::cli
