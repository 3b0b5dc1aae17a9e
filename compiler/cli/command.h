// The sbxc subcommands, registered in one table (commands() in main.cc): name, summary, help, handler.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace sbx::cli {

// Exit codes of every subcommand.
enum Exit : int {
  kOk = 0,
  kFindings = 1,      // findings at or above --fail-level (`fmt --check`: a file would change; `test`: a test failed)
  kInvalidInput = 2,  // a policy does not parse or resolve
  kUsageOrIo = 3,     // bad command line, or a file could not be read or written (`prove`: also undecided)
};

struct Command {
  std::string_view name;
  std::string_view summary;
  std::string_view help;  // full --help text
  int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& commands();

int runCheck(const std::vector<std::string>& args);
int runFmt(const std::vector<std::string>& args);
int runParse(const std::vector<std::string>& args);
int runCompile(const std::vector<std::string>& args);
int runClassify(const std::vector<std::string>& args);
int runExplain(const std::vector<std::string>& args);
int runRules(const std::vector<std::string>& args);
int runGraph(const std::vector<std::string>& args);
int runDiff(const std::vector<std::string>& args);
int runImport(const std::vector<std::string>& args);
int runToken(const std::vector<std::string>& args);
int runTest(const std::vector<std::string>& args);
int runCompletion(const std::vector<std::string>& args);
int runMan(const std::vector<std::string>& args);
int runLsp(const std::vector<std::string>& args);
int runInit(const std::vector<std::string>& args);
int runProve(const std::vector<std::string>& args);

}  // namespace sbx::cli
