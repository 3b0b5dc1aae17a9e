// The disassembler: a forward pass records what the accumulator holds (the syscall number, the
// architecture, an argument half) and which architecture was established on every path
// reaching an instruction, so comparisons print as `nr == openat` rather than a bare number.
#include "backends/seccomp/disassemble.h"

#include <seccomp.h>

#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "backends/seccomp/policy.h"

namespace sbx::seccomp {
namespace {

struct State {
  bool reached = false;
  std::optional<std::uint32_t> loaded;  // offset of the last BPF_LD|BPF_W|BPF_ABS, if A holds it
  std::optional<std::uint32_t> arch;    // audit arch proved on every path
};

State merge(const State& a, const State& b) {
  if (!a.reached) return b;
  if (!b.reached) return a;
  State s;
  s.reached = true;
  if (a.loaded == b.loaded) s.loaded = a.loaded;
  if (a.arch == b.arch) s.arch = a.arch;
  return s;
}

std::string archName(std::uint32_t arch) {
  switch (arch) {
    case kAuditArchX86_64:
      return "x86_64";
    case kAuditArchI386:
      return "i386";
    case kAuditArchAarch64:
      return "aarch64";
    default:
      return fmt::format("0x{:08x}", arch);
  }
}

std::string fieldName(std::uint32_t offset) {
  if (offset == kOffsetNr) return "nr";
  if (offset == kOffsetArch) return "arch";
  if (offset == 8) return "ip.lo";
  if (offset == 12) return "ip.hi";
  if (offset >= kOffsetArgs && offset < kOffsetArgs + 48)
    return fmt::format("arg{}.{}", (offset - kOffsetArgs) / 8, (offset - kOffsetArgs) % 8 == 0 ? "lo" : "hi");
  return fmt::format("[{}]", offset);
}

std::string syscallName(std::uint32_t arch, std::uint32_t nr) {
  std::uint32_t scmp = arch == kAuditArchAarch64 ? SCMP_ARCH_AARCH64 : SCMP_ARCH_X86_64;
  if (arch != kAuditArchX86_64 && arch != kAuditArchAarch64) return {};
  char* name = seccomp_syscall_resolve_num_arch(scmp, static_cast<int>(nr));
  if (name == nullptr) return {};
  std::string out = name;
  std::free(name);
  return out;
}

std::string operand(const State& s, std::uint32_t k) {
  if (s.loaded == kOffsetArch) return archName(k);
  if (s.loaded == kOffsetNr && s.arch) {
    std::string name = syscallName(*s.arch, k);
    if (!name.empty()) return fmt::format("{} ({})", k, name);
  }
  return fmt::format("0x{:x}", k);
}

}  // namespace

std::string disassemble(const Program& program, std::string_view header) {
  std::vector<State> states(program.size());
  if (!states.empty()) states[0].reached = true;
  std::string out;
  for (auto line : header) out += line;
  if (!header.empty() && header.back() != '\n') out += '\n';
  out += fmt::format("# {} instructions\n", program.size());
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& in = program[pc];
    State s = states[pc];
    std::string text;
    State next = s;
    auto flow = [&](std::size_t target, const State& st) {
      if (target < states.size()) states[target] = merge(states[target], st);
    };
    std::uint16_t cls = BPF_CLASS(in.code);
    if (in.code == (BPF_LD | BPF_W | BPF_ABS)) {
      text = fmt::format("ld   {}", fieldName(in.k));
      next.loaded = in.k;
      flow(pc + 1, next);
    } else if (cls == BPF_RET) {
      text = fmt::format("ret  {}", in.code == (BPF_RET | BPF_K) ? actionName(in.k) : "A");
    } else if (in.code == (BPF_JMP | BPF_JA)) {
      text = fmt::format("jmp  {:04}", pc + 1 + in.k);
      flow(pc + 1 + in.k, s);
    } else if (cls == BPF_JMP) {
      const char* op = "j?";
      switch (BPF_OP(in.code)) {
        case BPF_JEQ:
          op = "jeq ";
          break;
        case BPF_JGT:
          op = "jgt ";
          break;
        case BPF_JGE:
          op = "jge ";
          break;
        case BPF_JSET:
          op = "jset";
          break;
      }
      std::string subject = s.loaded ? fieldName(*s.loaded) : "A";
      std::string value = BPF_SRC(in.code) == BPF_X ? "X" : operand(s, in.k);
      text = fmt::format("{} {} {}  ? {:04} : {:04}", op, subject, value, pc + 1 + in.jt, pc + 1 + in.jf);
      State taken = s;
      if (s.loaded == kOffsetArch && BPF_OP(in.code) == BPF_JEQ && BPF_SRC(in.code) == BPF_K) taken.arch = in.k;
      flow(pc + 1 + in.jt, taken);
      flow(pc + 1 + in.jf, s);
    } else if (cls == BPF_ALU) {
      text = fmt::format("alu  0x{:02x} 0x{:x}", in.code, in.k);
      next.loaded.reset();
      flow(pc + 1, next);
    } else {
      text = fmt::format("op   code=0x{:04x} jt={} jf={} k=0x{:x}", in.code, in.jt, in.jf, in.k);
      next.loaded.reset();
      flow(pc + 1, next);
    }
    out += fmt::format("{:04}: {}\n", pc, text);
  }
  return out;
}

}  // namespace sbx::seccomp
