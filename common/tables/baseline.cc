// Lookups over the baseline tables; the data itself lives in baseline.def and arg_width.def.
#include "tables/baseline.h"

#include <algorithm>
#include <array>

namespace sbx::seccomp {
namespace {

constexpr auto kDangerous = std::to_array<std::string_view>({
#define SBX_DANGEROUS(name) #name,
#include "tables/baseline.def"
});

constexpr auto kEnosys = std::to_array<std::string_view>({
#define SBX_ANSWER_ENOSYS(name) #name,
#include "tables/baseline.def"
});

constexpr auto kCloneFlags = std::to_array<std::uint64_t>({
#define SBX_CLONE_NAMESPACE_FLAG(name, value) value,
#include "tables/baseline.def"
});

constexpr auto kIoctls = std::to_array<NamedValue>({
#define SBX_IOCTL_DENIED(name, value) NamedValue{#name, value},
#include "tables/baseline.def"
});

constexpr auto kFamilies = std::to_array<SocketFamily>({
#define SBX_SOCKET_FAMILY(name, value, needsEgress) SocketFamily{#name, value, needsEgress},
#include "tables/baseline.def"
});

constexpr auto kNarrowArgs = std::to_array<NarrowArg>({
#define SBX_ARG_NARROW(arch, syscall, index, bits) NarrowArg{#arch, #syscall, index, bits},
#include "tables/arg_width.def"
});

template <typename Table>
bool contains(const Table& table, std::string_view name) {
  return std::find(table.begin(), table.end(), name) != table.end();
}

}  // namespace

bool isDangerousSyscall(std::string_view name) {
  return contains(kDangerous, name);
}

std::span<const std::string_view> dangerousSyscalls() {
  return kDangerous;
}

bool answersEnosys(std::string_view name) {
  return contains(kEnosys, name);
}

std::uint64_t cloneNamespaceFlags() {
  std::uint64_t mask = 0;
  for (auto flag : kCloneFlags) mask |= flag;
  return mask;
}

std::span<const NamedValue> deniedIoctls() {
  return kIoctls;
}

std::span<const SocketFamily> socketFamilies() {
  return kFamilies;
}

std::span<const NarrowArg> narrowArgs() {
  return kNarrowArgs;
}

unsigned argBits(std::string_view arch, std::string_view syscall, unsigned index) {
  auto it = std::find_if(kNarrowArgs.begin(), kNarrowArgs.end(), [&](const NarrowArg& a) {
    return a.index == index && a.syscall == syscall && a.arch == arch;
  });
  return it == kNarrowArgs.end() ? 64 : it->bits;
}

}  // namespace sbx::seccomp
