// Helpers of the seccomp tests: compile policy text with the real sbxc (as the launcher gets
// it), or in-process to a specification; run code in a forked child under a loaded filter.
#pragma once
#include <functional>
#include <string>

#include "bpf/bpf_program.h"
#include "backends/seccomp/policy.h"

namespace sbx::test {

// Runs `sbxc compile` on `policy` and returns DIR/<task>/seccomp.bpf; fails the test on error.
seccomp::Program compileWithSbxc(const std::string& policy, const std::string& task, const std::string& codegen);

// The task's specification, built in-process.
seccomp::FilterSpec specOf(const std::string& policy, const std::string& task, int tier);

// What a child reported: its exit status and the values it wrote with report().
struct ChildResult {
  bool exited = false;
  int exitCode = -1;
  int signal = 0;
  std::vector<long> values;  // one per report()
};

// Forks; the child sets no_new_privs, loads `program` with seccomp(SECCOMP_SET_MODE_FILTER)
// and runs `body`, which reports results through `report` (raw write(2), nothing else), then
// exits 0. A failed load exits 99.
ChildResult runFiltered(const seccomp::Program& program, const std::function<void(void (*report)(long))>& body);

// -errno of a raw syscall, or its result.
long rawSyscall(long nr, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0);

}  // namespace sbx::test
