#include "frontend/syscall_table.h"

#include <seccomp.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <unordered_map>

namespace sbx::frontend {
namespace {

std::uint32_t scmpArch(model::Arch arch) {
  return arch == model::Arch::X86_64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64;
}

}  // namespace

std::optional<int> syscallNumber(model::Arch arch, std::string_view name) {
  std::string n(name);
  int number = seccomp_syscall_resolve_name_arch(scmpArch(arch), n.c_str());
  if (number < 0) return std::nullopt;  // __NR_SCMP_ERROR, or a pseudo-number: absent there
  return number;
}

bool syscallKnown(std::string_view name) {
  // libseccomp searches its tables linearly; policies name the same few hundred syscalls over
  // and over, so remember the answers.
  static std::unordered_map<std::string, bool> known;
  std::string key(name);
  if (auto it = known.find(key); it != known.end()) return it->second;
  bool found = syscallNumber(model::Arch::X86_64, name) || syscallNumber(model::Arch::Aarch64, name);
  known.emplace(std::move(key), found);
  return found;
}

const std::vector<std::string>& knownSyscalls() {
  static const std::vector<std::string> names = [] {
    std::set<std::string> all;
    for (auto arch : {model::Arch::X86_64, model::Arch::Aarch64}) {
      for (int nr = 0; nr < 1024; ++nr) {
        char* name = seccomp_syscall_resolve_num_arch(scmpArch(arch), nr);
        if (name != nullptr) {
          all.insert(name);
          std::free(name);
        }
      }
    }
    return std::vector<std::string>(all.begin(), all.end());
  }();
  return names;
}

}  // namespace sbx::frontend
