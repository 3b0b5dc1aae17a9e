// A classic BPF program as seccomp loads it: the struct sock_filter array, its file form
// (native byte order, 8 bytes per instruction) and the kernel's limits.
#pragma once
#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sbx::seccomp {

using Program = std::vector<sock_filter>;

constexpr std::size_t kMaxInstructions = 4096;  // BPF_MAXINSNS

// seccomp_data offsets.
constexpr std::uint32_t kOffsetNr = 0;
constexpr std::uint32_t kOffsetArch = 4;
constexpr std::uint32_t kOffsetArgs = 16;
constexpr std::uint32_t argLowOffset(unsigned arg) {  // little-endian: the low half comes first
  return kOffsetArgs + 8 * arg;
}
constexpr std::uint32_t argHighOffset(unsigned arg) {
  return kOffsetArgs + 8 * arg + 4;
}

std::string toBytes(const Program& program);
// False when the size is not a multiple of 8.
bool fromBytes(std::string_view bytes, Program& program);

inline sock_filter stmt(std::uint16_t code, std::uint32_t k) {
  return sock_filter{code, 0, 0, k};
}
inline sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
  return sock_filter{code, jt, jf, k};
}

}  // namespace sbx::seccomp
