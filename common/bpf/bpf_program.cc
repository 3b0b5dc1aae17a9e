// Serialization of BPF programs: the raw struct sock_filter array, native byte order.
#include "bpf/bpf_program.h"

#include <cstring>

namespace sbx::seccomp {

static_assert(sizeof(sock_filter) == 8);

std::string toBytes(const Program& program) {
  std::string out(program.size() * sizeof(sock_filter), '\0');
  if (!program.empty()) std::memcpy(out.data(), program.data(), out.size());
  return out;
}

bool fromBytes(std::string_view bytes, Program& program) {
  if (bytes.size() % sizeof(sock_filter) != 0) return false;
  program.resize(bytes.size() / sizeof(sock_filter));
  if (!bytes.empty()) std::memcpy(program.data(), bytes.data(), bytes.size());
  return true;
}

}  // namespace sbx::seccomp
