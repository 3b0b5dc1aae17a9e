#include "runtime/denial_filter.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>

#include "bpf/bpf_interpreter.h"
#include "bpf/native_arch.h"

namespace sbx::run {

namespace {

using seccomp::kNativeArch;

bool denies(std::uint32_t action) {
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ERRNO:
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
    case SECCOMP_RET_USER_NOTIF:
      return true;
    default:  // allow, log, trace (no tracer: ENOSYS) and trap (a signal the task may handle) stay
      return false;
  }
}

bool runs(std::uint32_t action) {
  action &= SECCOMP_RET_ACTION_FULL;
  return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
}

std::uint64_t word(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p);
}

}  // namespace

std::vector<sock_filter> notifyingDenials(const std::vector<sock_filter>& filter) {
  constexpr std::uint32_t kFlagsLow = offsetof(seccomp_data, args) + sizeof(std::uint64_t);  // args[1], low half
  std::vector<sock_filter> rewritten = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNativeArch, 0, 5),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kFlagsLow),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SECCOMP_FILTER_FLAG_NEW_LISTENER, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
  };
  // Jumps are relative: the task's filter, after the guard, is intact but for its returns.
  for (sock_filter in : filter) {
    if (in.code == (BPF_RET | BPF_K) && denies(in.k)) in.k = SECCOMP_RET_USER_NOTIF;
    rewritten.push_back(in);
  }
  return rewritten;
}

bool supervisableStart(const std::vector<sock_filter>& filter, const char* program, char* const* argv,
                       char* const* envp) {
  const std::uint64_t exec[6] = {word(program), word(argv), word(envp), 0, 0, 0};
  const std::uint64_t close[6] = {3, 0, 0, 0, 0, 0};
  const std::uint64_t write[6] = {3, 0, 64, 0, 0, 0};
  const std::uint64_t exit[6] = {0, 0, 0, 0, 0, 0};
  return runs(originalAction(filter, kNativeArch, SYS_execve, 0, exec)) &&
         runs(originalAction(filter, kNativeArch, SYS_close, 0, close)) &&
         runs(originalAction(filter, kNativeArch, SYS_write, 0, write)) &&
         runs(originalAction(filter, kNativeArch, SYS_exit_group, 0, exit));
}

int loadSeccompWithListener(const std::vector<sock_filter>& filter) {
  sock_fprog program{static_cast<unsigned short>(filter.size()), const_cast<sock_filter*>(filter.data())};
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program));
}

std::uint32_t originalAction(const std::vector<sock_filter>& filter, std::uint32_t arch, std::uint32_t nr,
                             std::uint64_t ip, const std::uint64_t (&args)[6]) {
  seccomp::SeccompData data;
  data.nr = nr;
  data.arch = arch;
  data.ip = ip;
  for (int i = 0; i < 6; ++i) data.args[i] = args[i];
  seccomp::Execution e = seccomp::interpret(filter, data);
  // A filter the kernel loaded always returns; were the interpreter to disagree, refuse.
  return e.ok ? e.action : SECCOMP_RET_ERRNO | EPERM;
}

}  // namespace sbx::run
