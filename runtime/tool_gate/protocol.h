// What sbx-tool-gate (tool_gate/main.cc) and the launcher's tool broker (tool_broker.cc) agree on:
// where the gates and the broker's socket live in the sandbox, where each gate copy carries its
// tool's key, and the request and the reply.
//
//   request: "SBXGATE1 <key, 64 hex digits>\n", sent with SCM_CREDENTIALS naming the gate's pid
//   reply:   "exec PATH\n", then per token "env NAME TOKEN\n" or "fd N TOKEN\n", then "end\n";
//            or "refused REASON\n"
//
// The key is what the broker trusts first: it lives only in the tool's gate copy, which is
// execute-only, so only a process running that gate can send it. The credentials (the sender is
// that gate, not dumpable, not traced, under the sandbox's one seccomp filter) are checked too.
#pragma once
#include <cstddef>
#include <string_view>

namespace sbx::gate {

// The private tmpfs with one directory per gated tool (its gate and its executable's copy) and
// the broker's socket; read-only once the sandbox's init has made it.
constexpr std::string_view kGateRoot = "/run/sbx";
constexpr std::string_view kBrokerSocket = "/run/sbx/broker.sock";

// The key slot: 16 bytes of marker, then the key. sbx-tool-gate's slot holds zeros after the
// marker; sbx-run writes each copy's key there.
#define SBX_GATE_KEY_MARKER "SBX-GATE-KEY-V1"  // 15 characters and the NUL: 16 bytes
constexpr std::size_t kMarkerBytes = 16;
constexpr std::size_t kKeyBytes = 32;

constexpr std::string_view kRequestPrefix = "SBXGATE1 ";

// A file exposure for one tool is a link on the secrets tmpfs to /proc/self/fd/N: the tool holds
// its token at N (a sealed memfd), anyone else finds their own descriptor N, normally nothing.
// N counts from here, one per tool file exposure, in the plan's order (broker.cc).
constexpr int kFirstSecretFd = 200;

// The largest reply the gate accepts; tokens are JWTs of well under 4 KiB.
constexpr std::size_t kMaxReply = 64 * 1024;

}  // namespace sbx::gate
