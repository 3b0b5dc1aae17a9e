// sbx-run runs sbxc for what it does not link: compiling a policy on a cache miss, and signing
// tokens (`sbxc token mint`). A launcher that starts on every task stays small, and the signing
// code (OpenSSL) loads only for tasks that have secrets.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace sbx::run {

// $SBXC, beside sbx-run, in the build tree, or on PATH.
std::string findSbxc();

// Resource bounds for one run of sbxc (zero: unbounded). A policy is input: a hostile one must
// cost the machine a bounded amount, and end in a message rather than an OOM kill of whatever
// the kernel picks. They become sbxc's RLIMIT_AS and RLIMIT_CPU.
struct SbxcLimits {
  std::size_t memoryBytes = 0;
  unsigned cpuSeconds = 0;
};

// The limits of a policy's compile: 4 GiB of address space and 60 s of CPU time (a policy of
// the 16 MiB sbxc accepts needs far less), or SBX_RUN_COMPILE_MEMORY_MIB and
// SBX_RUN_COMPILE_CPU_SECONDS. No memory limit in a build with AddressSanitizer, whose shadow
// memory alone reserves terabytes of address space.
SbxcLimits compileLimits();

// What a run that ended with `status` (runSbxc's) says about `limits`: "" when it was not
// stopped by one, else e.g. "ran out of its 4096 MiB of memory".
std::string limitExceeded(int status, const std::string& diagnostics, const SbxcLimits& limits);

// Runs sbxc with `args`, `input` on its stdin; its stdout into `output` (dropped when null),
// its stderr into `diagnostics`, or to ours when that is null. The exit status, or -1 with
// `error` when it could not run. `limits` bound its memory and CPU time.
int runSbxc(const std::vector<std::string>& args, const std::string& input, std::string* output, std::string& error,
            std::string* diagnostics = nullptr, const SbxcLimits& limits = {});

}  // namespace sbx::run
