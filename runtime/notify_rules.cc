#include "runtime/notify_rules.h"

#include <linux/bpf_common.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cstddef>

#include "bpf/native_arch.h"

namespace sbx::run {

namespace {

constexpr std::uint32_t kMaxInstructions = 4096;  // BPF_MAXINSNS
constexpr std::uint32_t kSendtoAddressLow = offsetof(seccomp_data, args) + 4 * sizeof(std::uint64_t);
constexpr std::uint32_t kSendtoAddressHigh = kSendtoAddressLow + sizeof(std::uint32_t);

// The tail every allowed call reaches: the accumulator is reloaded, since the task's program left
// anything in it. Another architecture is allowed as the task's filter said; an x32 number (bit
// 30, which sbxc's filter already refuses as foreign) is held, so that no ABI reaches connect
// unbrokered (the supervisor answers it as a denial).
std::vector<sock_filter> tail() {
  using seccomp::kNativeArch;
  constexpr std::uint32_t hold = SECCOMP_RET_USER_NOTIF, x32 = 0x40000000;
  return {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNativeArch, 0, 10),
      /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      /* 3 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, x32, 7, 0),
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_connect, 6, 0),
      /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bind, 5, 0),
      /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendto, 0, 5),
      // sendto without an address sends on the socket's own destination: nothing to judge.
      /* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kSendtoAddressLow),
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
      /* 9 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kSendtoAddressHigh),
      /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
      /* 11 */ BPF_STMT(BPF_RET | BPF_K, hold),
      /* 12 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
}

}  // namespace

bool isBrokeredCall(std::uint32_t nr) {
  return nr == SYS_connect || nr == SYS_bind || nr == SYS_sendto;
}

std::optional<std::vector<sock_filter>> withBrokeredCalls(const std::vector<sock_filter>& filter) {
  std::vector<sock_filter> shared = tail();
  if (filter.size() + shared.size() > kMaxInstructions) return std::nullopt;
  std::vector<sock_filter> out;
  out.reserve(filter.size() + shared.size());
  const auto tailStart = static_cast<std::uint32_t>(filter.size());
  for (std::uint32_t i = 0; i < filter.size(); ++i) {
    sock_filter in = filter[i];
    if (in.code == (BPF_RET | BPF_A)) return std::nullopt;
    if (in.code == (BPF_RET | BPF_K) && (in.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW)
      in = BPF_STMT(BPF_JMP | BPF_JA, tailStart - (i + 1));  // forward only, as BPF requires
    out.push_back(in);
  }
  out.insert(out.end(), shared.begin(), shared.end());
  return out;
}

}  // namespace sbx::run
