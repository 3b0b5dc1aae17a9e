// The tier baselines of the seccomp back end (baseline.def) and the per-syscall argument widths
// (arg_width.def), as lookups. The classifier's dangerous-syscall lint includes this header.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace sbx::seccomp {

// TIERS.md's dangerous set: never allowed at T1 and above while the baseline is on.
bool isDangerousSyscall(std::string_view name);
std::span<const std::string_view> dangerousSyscalls();

// Answered ENOSYS at T1 and above (clone3, io_uring_*), unless the policy kills or traps.
bool answersEnosys(std::string_view name);

// The clone flag bits that create namespaces (denied at T1 and above).
std::uint64_t cloneNamespaceFlags();

struct NamedValue {
  std::string_view name;
  std::uint64_t value;
};
// ioctl requests denied at T1 and above, compared on the low 32 bits of arg1.
std::span<const NamedValue> deniedIoctls();

struct SocketFamily {
  std::string_view name;
  std::uint64_t value;
  bool needsEgress;
};
std::span<const SocketFamily> socketFamilies();

// How many low bits of argument `index` of `syscall` the kernel reads on `arch` ("x86_64" or
// "aarch64"): 16 (umode_t), 32 (int, unsigned int, pid_t, uid_t, ...) or 64 (long, pointers,
// size_t, and any syscall or argument the generated table does not list; arg_width.def).
unsigned argBits(std::string_view arch, std::string_view syscall, unsigned index);

struct NarrowArg {
  std::string_view arch;
  std::string_view syscall;
  unsigned index;
  unsigned bits;
};
// Every argument narrower than 64 bits, for both architectures (the tests go through them all).
std::span<const NarrowArg> narrowArgs();

}  // namespace sbx::seccomp
