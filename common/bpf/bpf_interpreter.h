// A classic-BPF interpreter with the kernel's seccomp rules, for the tests and the benchmark:
// run a filter on a seccomp_data and count the instructions executed; validate a program as
// seccomp would; and emulate the kernel's action cache (seccomp_is_const_allow, Linux 5.11+),
// which proves for an (arch, nr) that the filter allows the call whatever the arguments.
#pragma once
#include <cstdint>
#include <string>

#include "bpf/bpf_program.h"

namespace sbx::seccomp {

struct SeccompData {
  std::uint32_t nr = 0;
  std::uint32_t arch = 0;
  std::uint64_t ip = 0;
  std::uint64_t args[6] = {};
};

struct Execution {
  bool ok = false;  // false: the program misbehaved (bad opcode, jump out of range, no return)
  std::uint32_t action = 0;
  unsigned executed = 0;  // instructions executed, the return included
  std::string error;
};

Execution interpret(const Program& program, const SeccompData& data);

// The checks seccomp(SECCOMP_SET_MODE_FILTER) makes: size, opcodes, aligned in-bounds loads,
// jumps that stay inside the program, scratch memory written before it is read is not checked.
bool validate(const Program& program, std::string& error);

// True when the kernel's emulation proves the filter returns ALLOW for this (arch, nr) with any
// arguments, so the kernel caches the decision and skips the filter for that syscall.
bool kernelCachesAllow(const Program& program, std::uint32_t arch, std::uint32_t nr);

}  // namespace sbx::seccomp
