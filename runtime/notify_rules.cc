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
// anything in it. Another architecture (the x32 ABI's numbers included, which have bit 30 set and
// so match none of these) is allowed as the task's filter said.
std::vector<sock_filter> tail() {
  using seccomp::kNativeArch;
  constexpr std::uint32_t hold = SECCOMP_RET_USER_NOTIF;
  return {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNativeArch, 0, 9),
      /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_connect, 6, 0),
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bind, 5, 0),
      /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendto, 0, 5),
      // sendto without an address sends on the socket's own destination: nothing to judge.
      /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kSendtoAddressLow),
      /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
      /* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kSendtoAddressHigh),
      /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
      /* 10 */ BPF_STMT(BPF_RET | BPF_K, hold),
      /* 11 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
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
