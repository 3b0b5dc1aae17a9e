// The launcher's escape suite (tests/runtime/escapes.py), for every sandbox that sbxc's output
// builds: sbx-run itself and the exported runtimes (runc, crun, bwrap). Each attempt runs inside
// the sandbox and, as a control, outside it; inside, every attempt must fail (a BLOCKED verdict or
// the payload killed). An attempt that fails outside too proves nothing and is counted as not
// applicable; a minimum of applicable attempts keeps a suite from passing vacuously.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "support/paths.h"
#include "support/process.h"

namespace sbx::test {

// Who runs a sandbox in the tests: root, and an unprivileged user (nobody).
struct Mode {
  std::string name;
  std::vector<std::string> prefix;  // how to become the user
};
inline const Mode kModes[] = {{"root", {}},
                              {"nobody", {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}}};

// Every attempt of escapes.py that any sandbox must block, by name.
const std::vector<std::string>& escapeAttempts();

// The attempts on sbx-run's own set-up: its init (PID 1, sharing the launcher's memory) through
// /proc and the cross-process calls, the namespace, mount, handle, terminal and keyring calls,
// vsock and core dumps. Outside a sandbox the peer attacked is a child of the attempt itself.
const std::vector<std::string>& launcherAttempts();

// How to run `python3 escapes.py NAME ARG`: inside the sandbox, or outside as the control.
// The command line must keep fd 7 open and SBX_ESCAPE_CANARY=1 set (see escapeCommand).
using EscapeRunner = std::function<Run(const std::string& name, const std::string& arg, bool inside)>;

// The shell command both runners start: fd 7 open across exec (the inherited-descriptor attempt
// looks for it), the canary variable set, then `command`.
std::string escapeCommand(const std::string& command);

// Runs every attempt both ways, CHECKs each is blocked inside, and returns how many were
// applicable (escaped in the control run). `label` names the sandbox in messages.
int runEscapeSuite(const std::string& label, const EscapeRunner& runner,
                   const std::vector<std::string>& names = escapeAttempts());

// A scratch directory for a sandbox run as root or as nobody: the workspace (with escapes.py,
// owned by nobody when run as root, since the payload then runs as the workspace's owner, never
// root) and the compile cache, both owned by the user who runs the sandbox.
struct EscapeScratch {
  TempDir dir;
  std::filesystem::path workspace, cache;
  explicit EscapeScratch(bool nobody);
};

// A TCP listener on the host's loopback, for the host-loopback attempt.
struct LoopbackListener {
  int fd = -1, port = 0;
  LoopbackListener();
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
};

}  // namespace sbx::test
