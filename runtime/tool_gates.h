// The tools that hold tokens, and their gates (tool_gate/main.cc, docs/tokens.md).
//
// In the launcher, before the sandbox exists: one gate per tool, with a random key, the tool's
// tokens, and the checks that sbx-run can gate the tool as declared (it has an executable that no
// other tool runs, the task's open-files limit leaves room for the tokens' descriptors, the task's
// seccomp filter lets the gate make its calls, sbx-tool-gate is found).
//
// In the sandbox's init, before pivot_root: a private tmpfs at /run/sbx with, per tool, a copy of
// the gate holding the tool's key and a copy of the tool's executable (which must be ELF: a script
// must be readable by its interpreter), both execute-only (0111); each gate bound read-only over
// the tool's executable; the broker's listening socket; then the tmpfs read-only. The payload has
// no capabilities and may not mount, so nobody inside can make the copies readable again.
#pragma once
#include <linux/filter.h>
#include <sys/types.h>

#include <array>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "runtime/broker.h"
#include "runtime/mounts.h"
#include "runtime/tool_gate/protocol.h"

namespace sbx::run {

struct GatedTool {
  std::string name, exec;  // the tool, and its executable inside the sandbox
  std::array<unsigned char, gate::kKeyBytes> key{};
  std::vector<const IssuedToken*> tokens;  // the broker's, for this tool alone
  // Written by the sandbox's init (which shares the launcher's memory) when it made the gate copy:
  // the broker answers only a process whose executable is this file.
  dev_t gateDevice = 0;
  ino_t gateInode = 0;

  std::string directory() const;  // /run/sbx/<tool>
  std::string gatePath() const;   // /run/sbx/<tool>/gate
  std::string copyPath() const;   // /run/sbx/<tool>/<the executable's name>: what the tool runs as
};

struct ToolGates {
  std::vector<GatedTool> tools;
  int gateProgram = -1;  // sbx-tool-gate, opened by the launcher
  int listener = -1;     // the broker's socket, made by init and passed to the launcher
  // The sandbox's user namespace (/proc/self/ns/user of init), written by init: the broker answers
  // only a gate in it. In a namespace the agent made, the agent (its owner) could trace the gate,
  // though the gate is not dumpable and its /proc files are root's.
  dev_t userNsDevice = 0;
  ino_t userNsInode = 0;
  ToolGates() = default;
  ~ToolGates();
  ToolGates(const ToolGates&) = delete;
  ToolGates& operator=(const ToolGates&) = delete;
};

// $SBX_TOOL_GATE, else sbx-tool-gate beside sbx-run.
std::string findToolGate();

// Whether the plan has tokens for one tool alone (only then does a task pay for gates).
bool planHasToolTokens(const plan::Plan& plan);

// One gate per tool that the plan's tokens name, before anything is minted. False, with `error`,
// when sbx-run cannot give the tokens to the tool alone (see above).
bool planToolGates(const plan::Plan& plan, const std::vector<sock_filter>& filter, ToolGates& out, std::string& error);

// Once the broker has minted them: each gate's tokens.
void attachTokens(ToolGates& gates, const Broker& broker);

// The plan entry that makes them (type tool-gates at /run/sbx): last of the mounts, so that each
// gate covers the tool's executable; read-only and executable for Landlock.
PlannedMount toolGateMount(ToolGates& gates);

// In the sandbox's init: builds everything under `root` + `target` (the staging root, before
// pivot_root); records each gate's identity and the listener in `gates`.
bool buildToolGates(const std::string& root, const std::string& target, ToolGates& gates, std::string& error);

// The plan's tools with each gated tool's executable copy added as another of its executables:
// a gated tool's processes run the copy (how the egress proxy tells a tool's connections).
std::vector<plan::Tool> toolsWithCopies(const std::vector<plan::Tool>& tools, const ToolGates& gates);

}  // namespace sbx::run
