// The interpreter follows the kernel's classic BPF semantics as seccomp restricts them
// (kernel/seccomp.c seccomp_check_filter, net/core/filter.c): 32-bit A and X, 16 scratch words,
// absolute loads from struct seccomp_data only, forward jumps only.
#include "bpf/bpf_interpreter.h"

#include <cstring>

#include <fmt/format.h>

namespace sbx::seccomp {
namespace {

constexpr std::uint32_t kDataSize = 64;  // sizeof(struct seccomp_data)

std::uint32_t loadWord(const SeccompData& d, std::uint32_t offset) {
  unsigned char bytes[kDataSize];
  std::memcpy(bytes, &d.nr, 4);
  std::memcpy(bytes + 4, &d.arch, 4);
  std::memcpy(bytes + 8, &d.ip, 8);
  std::memcpy(bytes + 16, d.args, 48);
  std::uint32_t w;
  std::memcpy(&w, bytes + offset, 4);
  return w;
}

bool jumpHolds(std::uint16_t op, std::uint32_t a, std::uint32_t operand) {
  switch (op) {
    case BPF_JEQ:
      return a == operand;
    case BPF_JGT:
      return a > operand;
    case BPF_JGE:
      return a >= operand;
    case BPF_JSET:
      return (a & operand) != 0;
  }
  return false;
}

bool alu(std::uint16_t op, std::uint32_t& a, std::uint32_t v) {
  switch (op) {
    case BPF_ADD:
      a += v;
      return true;
    case BPF_SUB:
      a -= v;
      return true;
    case BPF_MUL:
      a *= v;
      return true;
    case BPF_DIV:
      if (v == 0) return false;
      a /= v;
      return true;
    case BPF_MOD:
      if (v == 0) return false;
      a %= v;
      return true;
    case BPF_AND:
      a &= v;
      return true;
    case BPF_OR:
      a |= v;
      return true;
    case BPF_XOR:
      a ^= v;
      return true;
    case BPF_LSH:
      a = v >= 32 ? 0 : a << v;
      return true;
    case BPF_RSH:
      a = v >= 32 ? 0 : a >> v;
      return true;
    case BPF_NEG:
      a = 0u - a;
      return true;
  }
  return false;
}

}  // namespace

Execution interpret(const Program& program, const SeccompData& data) {
  Execution e;
  std::uint32_t a = 0, x = 0, mem[16] = {};
  std::size_t pc = 0;
  while (pc < program.size()) {
    const sock_filter& in = program[pc];
    ++e.executed;
    std::uint16_t cls = BPF_CLASS(in.code);
    switch (cls) {
      case BPF_LD:
        if (in.code == (BPF_LD | BPF_W | BPF_ABS)) {
          if (in.k % 4 != 0 || in.k >= kDataSize) break;
          a = loadWord(data, in.k);
        } else if (in.code == (BPF_LD | BPF_W | BPF_LEN)) {
          a = kDataSize;
        } else if (in.code == (BPF_LD | BPF_IMM)) {
          a = in.k;
        } else if (in.code == (BPF_LD | BPF_MEM) && in.k < 16) {
          a = mem[in.k];
        } else {
          break;
        }
        ++pc;
        continue;
      case BPF_LDX:
        if (in.code == (BPF_LDX | BPF_W | BPF_LEN)) {
          x = kDataSize;
        } else if (in.code == (BPF_LDX | BPF_IMM)) {
          x = in.k;
        } else if (in.code == (BPF_LDX | BPF_MEM) && in.k < 16) {
          x = mem[in.k];
        } else {
          break;
        }
        ++pc;
        continue;
      case BPF_ST:
      case BPF_STX:
        if (in.k >= 16) break;
        mem[in.k] = cls == BPF_ST ? a : x;
        ++pc;
        continue;
      case BPF_ALU:
        if (!alu(BPF_OP(in.code), a, BPF_SRC(in.code) == BPF_X ? x : in.k)) break;
        ++pc;
        continue;
      case BPF_JMP:
        if (BPF_OP(in.code) == BPF_JA) {
          pc += 1 + in.k;
        } else {
          bool taken = jumpHolds(BPF_OP(in.code), a, BPF_SRC(in.code) == BPF_X ? x : in.k);
          pc += 1 + (taken ? in.jt : in.jf);
        }
        continue;
      case BPF_RET:
        e.ok = true;
        e.action = BPF_RVAL(in.code) == BPF_A ? a : in.k;
        return e;
      case BPF_MISC:
        if (BPF_MISCOP(in.code) == BPF_TAX)
          x = a;
        else
          a = x;
        ++pc;
        continue;
    }
    e.error = fmt::format("instruction {} (code 0x{:04x}) is not valid in a seccomp filter", pc, in.code);
    return e;
  }
  e.error = "ran past the end of the program";
  return e;
}

bool validate(const Program& program, std::string& error) {
  if (program.empty() || program.size() > kMaxInstructions) {
    error = fmt::format("{} instructions (1 to {} allowed)", program.size(), kMaxInstructions);
    return false;
  }
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& in = program[pc];
    std::uint16_t cls = BPF_CLASS(in.code);
    if (cls == BPF_JMP) {
      std::size_t far = BPF_OP(in.code) == BPF_JA ? pc + 1 + in.k : pc + 1 + std::max(in.jt, in.jf);
      if (far >= program.size()) {
        error = fmt::format("instruction {} jumps past the end", pc);
        return false;
      }
    }
    if (in.code == (BPF_LD | BPF_W | BPF_ABS) && (in.k % 4 != 0 || in.k >= kDataSize)) {
      error = fmt::format("instruction {} loads outside struct seccomp_data", pc);
      return false;
    }
  }
  if (BPF_CLASS(program.back().code) != BPF_RET && BPF_CLASS(program.back().code) != BPF_JMP) {
    error = "the program does not end in a return";
    return false;
  }
  return true;
}

bool kernelCachesAllow(const Program& program, std::uint32_t arch, std::uint32_t nr) {
  // kernel/seccomp.c seccomp_is_const_allow(): anything else than these instructions, or a
  // load of anything but nr and arch, ends the emulation with "not constant".
  std::uint32_t a = 0;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& in = program[pc];
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (in.k == kOffsetNr)
          a = nr;
        else if (in.k == kOffsetArch)
          a = arch;
        else
          return false;
        break;
      case BPF_RET | BPF_K:
        return in.k == 0x7fff0000u;
      case BPF_JMP | BPF_JA:
        pc += in.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
      case BPF_JMP | BPF_JGE | BPF_K:
      case BPF_JMP | BPF_JGT | BPF_K:
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += jumpHolds(BPF_OP(in.code), a, in.k) ? in.jt : in.jf;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        a &= in.k;
        break;
      default:
        return false;
    }
  }
  return false;
}

}  // namespace sbx::seccomp
