#include "bpf/gate_calls.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "bpf/bpf_interpreter.h"
#include "bpf/native_arch.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U  // Linux 6.3
#endif

namespace sbx::seccomp {

namespace {

struct GateCall {
  std::uint32_t nr;
  std::uint64_t args[3];
  const char* text;
};

constexpr GateCall kGateCalls[] = {
#define SBX_GATE_CALL(name, arg0, arg1, arg2, text)                                                        \
  {SYS_##name,                                                                                             \
   {static_cast<std::uint64_t>(arg0), static_cast<std::uint64_t>(arg1), static_cast<std::uint64_t>(arg2)}, \
   text},
#include "tables/gate_calls.def"
};

}  // namespace

std::string gateCallsDenied(const std::vector<sock_filter>& filter) {
  std::string denied;
  for (const auto& call : kGateCalls) {
    SeccompData data;
    data.nr = call.nr;
    data.arch = kNativeArch;
    for (int i = 0; i < 3; ++i) data.args[i] = call.args[i];
    auto run = interpret(filter, data);
    std::uint32_t action = run.action & SECCOMP_RET_ACTION_FULL;
    if (run.ok && (action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG)) continue;
    denied += (denied.empty() ? "" : ", ") + std::string(call.text);
  }
  return denied;
}

}  // namespace sbx::seccomp
