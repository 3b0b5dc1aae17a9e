// "NEW grants nothing that OLD does not", decided on two compiled tasks (driver/compiled_task.h):
// their mount plans, egress allowlists, request rules, tokens, tools and seccomp programs, each
// exactly (docs/prove.md). A counterexample is something concrete the new task may do and the
// old may not: a path and an access, a host:port (and the tool), a request, a syscall call.
#pragma once
#include <string>
#include <vector>

#include "driver/compiled_task.h"

namespace sbx::prove {

struct Counterexample {
  std::string kind;          // "path", "egress", "request", "token", "tool", "syscall", ...
  std::string what;          // the concrete thing: "write /work/out", "api.example.com:443 (tcp)"
  std::string inNew, inOld;  // how each side decides it: "allowed (writable mount at /work)"
};

struct Comparison {
  std::vector<Counterexample> counterexamples;  // at most one per kind
  std::vector<std::string> undecided;           // kinds that could not be decided, and why
  std::uint64_t syscallCells = 0;               // filter inputs evaluated
};

// What `newer` grants that `older` does not.
Comparison grantsBeyond(const backends::CompiledTask& newer, const backends::CompiledTask& older);

// The parts, one file each.
void comparePaths(const plan::Plan& newer, const plan::Plan& older, Comparison& out);
void compareEgress(const plan::Plan& newer, const plan::Plan& older, Comparison& out);
void compareGrants(const plan::Plan& newer, const plan::Plan& older, Comparison& out);  // tools, tokens, requests...
void compareSyscalls(const seccomp::Program& newer, const seccomp::Program& older, Comparison& out);

}  // namespace sbx::prove
