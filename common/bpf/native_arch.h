// The seccomp architecture of the machine sbxc and sbx-run were built for: what the launcher's
// own filters and checks run the task's filter with (the compiled filter covers the arches the
// policy names).
#pragma once
#include <linux/audit.h>

#include <cstdint>

namespace sbx::seccomp {

#if defined(__x86_64__)
constexpr std::uint32_t kNativeArch = AUDIT_ARCH_X86_64;
constexpr const char* kNativeArchName = "x86_64";
#elif defined(__aarch64__)
constexpr std::uint32_t kNativeArch = AUDIT_ARCH_AARCH64;
constexpr const char* kNativeArchName = "aarch64";
#else
#error "sbxc supports x86_64 and aarch64"
#endif

}  // namespace sbx::seccomp
