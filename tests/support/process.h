// Runs a program and captures what it printed: the CLI tests drive the real sbxc binary.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace sbx::test {

struct Run {
  int exitCode = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
};

// argv[0] is the program path. `env` replaces the environment when non-empty.
Run run(const std::vector<std::string>& argv, const std::string& stdinText = "", const std::string& cwd = "",
        const std::vector<std::string>& env = {});

// Runs the sbxc under test with NO_COLOR set.
Run sbxc(const std::vector<std::string>& args, const std::string& stdinText = "", const std::string& cwd = "");

// `sbxc token verify` of a token minted with the keys in `stateDir`, with further options.
Run verifyToken(const std::string& stateDir, const std::string& token, const std::vector<std::string>& options = {});

// `count` processes of nobody's (uid 65534) on the host for as long as it lives: more than a
// task's pids limit, which must count the sandbox's processes alone, never all of its user's.
// Needs root.
class BusyNobody {
 public:
  explicit BusyNobody(int count);
  ~BusyNobody();
  BusyNobody(const BusyNobody&) = delete;
  BusyNobody& operator=(const BusyNobody&) = delete;

 private:
  pid_t leader_ = -1;
};

}  // namespace sbx::test
