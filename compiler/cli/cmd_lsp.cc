// sbxc lsp: the language server on stdin and stdout (lsp/server.h).
#include <cstdio>

#include "cli/command.h"
#include "cli/options.h"
#include "lsp/server.h"

namespace sbx::cli {

int runLsp(const std::vector<std::string>& argv) {
  auto args = parseArgs("lsp", argv, {{"--stdio", false, {}}});
  if (!args) return kUsageOrIo;
  if (!args->positionals.empty()) return usageError("lsp", "takes no arguments; it speaks on stdin and stdout");
  lsp::Server server;
  return server.run(stdin, stdout) == 0 ? kOk : kUsageOrIo;
}

}  // namespace sbx::cli
