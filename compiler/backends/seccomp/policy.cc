// Builds the filter specification: model rules -> comparisons with their widths resolved and
// constants folded, ordered strictest first, then the tier baselines (baseline.def) merged in.
#include "backends/seccomp/policy.h"

#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "tables/baseline.h"

namespace sbx::seccomp {

bool isPermissive(Action a) {
  return a == kAllow || a == kLog || a == kNotify;
}

std::string actionName(Action a) {
  switch (a & 0xffff0000u) {
    case kKillProcess:
      return "kill";
    case kTrap:
      return "trap";
    case 0x00050000u:
      return fmt::format("errno {}", a & 0xffffu);
    case kNotify:
      return "notify";
    case kLog:
      return "log";
    case kAllow:
      return "allow";
    default:
      return fmt::format("0x{:08x}", a);
  }
}

std::uint32_t auditArch(model::Arch arch) {
  return arch == model::Arch::X86_64 ? kAuditArchX86_64 : kAuditArchAarch64;
}

namespace {

constexpr std::uint64_t kLow32 = 0xffffffffull;

Action toAction(const model::SyscallAction& a) {
  switch (a.kind) {
    case model::SyscallActionKind::Allow:
      return kAllow;
    case model::SyscallActionKind::Errno:
      return errnoAction(a.errnoValue);
    case model::SyscallActionKind::Kill:
      return kKillProcess;
    case model::SyscallActionKind::Trap:
      return kTrap;
    case model::SyscallActionKind::Log:
      return kLog;
    case model::SyscallActionKind::Notify:
      return kNotify;
  }
  return kKillProcess;
}

// Lower is stricter: when the conditions of several rules hold, the strictest action decides.
int strictness(Action a) {
  switch (a & 0xffff0000u) {
    case kKillProcess:
      return 0;
    case kTrap:
      return 1;
    case 0x00050000u:
      return 2;
    case kNotify:
      return 3;
    case kLog:
      return 4;
    default:
      return 5;
  }
}

Op toOp(model::CompareOp op) {
  switch (op) {
    case model::CompareOp::Eq:
      return Op::Eq;
    case model::CompareOp::Ne:
      return Op::Ne;
    case model::CompareOp::Lt:
      return Op::Lt;
    case model::CompareOp::Le:
      return Op::Le;
    case model::CompareOp::Gt:
      return Op::Gt;
    case model::CompareOp::Ge:
      return Op::Ge;
    case model::CompareOp::MaskedEq:
      return Op::MaskedEq;
    case model::CompareOp::In:
      return Op::In;
  }
  return Op::Eq;
}

// Folds comparisons whose outcome the width already decides (a narrow comparison with a value
// above 32 bits, `>= 0`, ...). Returns the constant, or nullopt when the comparison is real.
std::optional<bool> fold(Compare& c) {
  std::uint64_t top = c.wide ? ~0ull : kLow32;
  switch (c.op) {
    case Op::Eq:
      if (c.value > top) return false;
      return std::nullopt;
    case Op::Ne:
      if (c.value > top) return true;
      return std::nullopt;
    case Op::Lt:
      if (c.value == 0) return false;
      if (c.value > top) return true;
      return std::nullopt;
    case Op::Le:
      if (c.value >= top) return true;
      return std::nullopt;
    case Op::Gt:
      if (c.value >= top) return false;
      return std::nullopt;
    case Op::Ge:
      if (c.value == 0) return true;
      if (c.value > top) return false;
      return std::nullopt;
    case Op::MaskedEq:
    case Op::MaskedNe: {
      c.mask &= top;
      bool never = (c.value & ~c.mask) != 0;
      if (never) return c.op == Op::MaskedNe;
      if (c.mask == 0) return c.op == Op::MaskedEq;  // 0 == 0
      return std::nullopt;
    }
    case Op::In: {
      std::erase_if(c.set, [&](std::uint64_t v) { return v > top; });
      std::sort(c.set.begin(), c.set.end());
      c.set.erase(std::unique(c.set.begin(), c.set.end()), c.set.end());
      if (c.set.empty()) return false;
      if (c.set.size() == 1) {
        c.op = Op::Eq;
        c.value = c.set[0];
        c.set.clear();
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// A 16-bit argument (umode_t): the kernel casts the register to 16 bits, so == and != compare
// the low 16 and a mask keeps only its low 16 bits (else mode 0x10000 | 04755 would pass a rule
// on 04755). Ordering and `in` keep the low-32 comparison seccomp can make in one step.
void narrowTo16Bits(Compare& c) {
  constexpr std::uint64_t kLow16 = 0xffff;
  if (c.op == Op::Eq || c.op == Op::Ne) {
    c.op = c.op == Op::Eq ? Op::MaskedEq : Op::MaskedNe;
    c.mask = kLow16;
  } else if (c.op == Op::MaskedEq || c.op == Op::MaskedNe) {
    c.mask &= kLow16;
  }
}

// nullopt: the rule can never match and is dropped. Argument widths are the kernel's on `arch`
// (arg_width.def): a narrow argument is compared on the bits the kernel reads.
std::optional<Rule> toRule(const model::SyscallRule& r, model::Arch arch) {
  Rule rule;
  rule.action = toAction(r.action);
  for (const auto& cond : r.conditions) {
    Compare c;
    c.arg = cond.arg;
    unsigned bits = cond.width != 0 ? cond.width : argBits(model::nameOf(arch), r.syscall, cond.arg);
    c.wide = bits == 64;
    c.op = toOp(cond.op);
    if (c.op == Op::MaskedEq) c.mask = cond.mask;
    if (c.op == Op::In)
      c.set = cond.values;
    else if (!cond.values.empty())
      c.value = cond.values[0];
    if (bits == 16) narrowTo16Bits(c);
    auto constant = fold(c);
    if (constant == false) return std::nullopt;
    if (!constant) rule.all.push_back(std::move(c));
  }
  return rule;
}

bool anyPermissive(const SyscallFilter& f) {
  if (isPermissive(f.fallback)) return true;
  return std::any_of(f.rules.begin(), f.rules.end(), [](const Rule& r) { return isPermissive(r.action); });
}

Compare narrow(unsigned arg, Op op, std::uint64_t value, std::uint64_t mask = 0) {
  Compare c;
  c.arg = arg;
  c.wide = false;
  c.op = op;
  c.value = value;
  c.mask = mask;
  return c;
}

void applyTierBaseline(SyscallFilter& f, Action deny, const SeccompFacts& facts) {
  if (answersEnosys(f.name)) {
    auto answer = [](Action a) { return a == kKillProcess || a == kTrap ? a : errnoAction(ENOSYS); };
    for (auto& r : f.rules) r.action = answer(r.action);
    f.fallback = answer(f.fallback);
    return;
  }
  if (!anyPermissive(f)) return;
  std::vector<Rule> first;
  if (f.name == "clone") first.push_back({{narrow(0, Op::MaskedNe, 0, cloneNamespaceFlags())}, deny});
  if (f.name == "ioctl")
    for (const auto& request : deniedIoctls()) first.push_back({{narrow(1, Op::Eq, request.value)}, deny});
  if (f.name == "socket") {
    Rule other{{}, errnoAction(EAFNOSUPPORT)};
    for (const auto& family : socketFamilies())
      if (!family.needsEgress || facts.networkNeeded) other.all.push_back(narrow(0, Op::Ne, family.value));
    first.push_back(std::move(other));
  }
  f.rules.insert(f.rules.begin(), first.begin(), first.end());
}

// Rules at the end that decide what the fallback decides anyway say nothing.
void dropRedundantTail(SyscallFilter& f) {
  while (!f.rules.empty() && f.rules.back().action == f.fallback) f.rules.pop_back();
  // A rule that always holds decides for everything after it.
  for (std::size_t i = 0; i < f.rules.size(); ++i)
    if (f.rules[i].all.empty()) {
      f.fallback = f.rules[i].action;
      f.rules.resize(i);
      break;
    }
  while (!f.rules.empty() && f.rules.back().action == f.fallback) f.rules.pop_back();
}

std::uint32_t scmpArch(model::Arch arch) {
  return arch == model::Arch::X86_64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64;
}

}  // namespace

SeccompFacts factsOf(const model::ResolvedTask& task, int tier) {
  SeccompFacts facts;
  facts.tier = tier;
  facts.networkNeeded = !task.egress.empty() || (task.network && task.network->value == model::NetworkMode::Host);
  for (const auto& tool : task.tools) facts.networkNeeded |= !tool.egress.empty();
  return facts;
}

namespace {

// libseccomp's table for one architecture, numbers 0-1023, read once: asking libseccomp for a
// name allocates, and a thousand of those would dominate the time of a compile.
struct SyscallTable {
  std::vector<std::uint32_t> numbers;
  std::vector<std::string> names;
};

const SyscallTable& syscallTable(model::Arch arch) {
  static const auto tables = [] {
    std::map<model::Arch, SyscallTable> out;
    for (auto a : {model::Arch::X86_64, model::Arch::Aarch64}) {
      SyscallTable& t = out[a];
      for (std::uint32_t nr = 0; nr < 1024; ++nr) {
        char* resolved = seccomp_syscall_resolve_num_arch(scmpArch(a), static_cast<int>(nr));
        if (resolved == nullptr) continue;
        t.numbers.push_back(nr);
        t.names.emplace_back(resolved);
        std::free(resolved);
      }
    }
    return out;
  }();
  return tables.at(arch);
}

}  // namespace

FilterSpec buildSpec(const model::ResolvedTask& task, const SeccompFacts& facts) {
  const model::SyscallPolicy& policy = task.syscalls;
  // A task with no syscalls block runs under TIERS.md's default deny list: everything but the
  // dangerous set is allowed.
  bool declared = policy.declared;
  bool baselineOn = policy.baseline == model::Switch::On;
  bool tierBaseline = baselineOn && facts.tier >= 1;
  bool denyDangerous = tierBaseline || !declared;

  FilterSpec spec;
  spec.defaultAction = declared ? toAction(policy.defaultAction) : kAllow;
  spec.foreignArch = toAction(policy.foreignArch);
  Action deny = isPermissive(spec.defaultAction) ? errnoAction(EPERM) : spec.defaultAction;

  std::vector<model::Arch> arches = declared ? policy.arches : std::vector<model::Arch>{model::Arch::X86_64};
  for (auto arch : arches) {
    std::map<std::string, std::vector<Rule>> byName;
    for (const auto& r : policy.rules)
      if (auto rule = toRule(r, arch)) byName[r.syscall].push_back(std::move(*rule));
    for (auto& [name, rules] : byName)
      std::stable_sort(rules.begin(), rules.end(),
                       [](const Rule& a, const Rule& b) { return strictness(a.action) < strictness(b.action); });
    ArchFilter af;
    af.arch = arch;
    af.auditArch = auditArch(arch);
    af.x32Guard = arch == model::Arch::X86_64;
    af.defaultAction = spec.defaultAction;
    af.unknownAction = baselineOn ? errnoAction(ENOSYS) : spec.defaultAction;
    const SyscallTable& table = syscallTable(arch);
    af.known = table.numbers;
    af.names = table.names;
    for (std::size_t i = 0; i < table.numbers.size(); ++i) {
      std::uint32_t nr = table.numbers[i];
      const std::string& name = table.names[i];
      SyscallFilter f{nr, name, {}, spec.defaultAction};
      if (auto it = byName.find(name); it != byName.end()) f.rules = it->second;
      if (denyDangerous && isDangerousSyscall(name)) {
        for (auto& r : f.rules)
          if (isPermissive(r.action)) r.action = deny;
        if (isPermissive(f.fallback)) f.fallback = deny;
      }
      if (tierBaseline) applyTierBaseline(f, deny, facts);
      dropRedundantTail(f);
      if (!f.rules.empty() || f.fallback != af.defaultAction) af.syscalls.push_back(std::move(f));
    }
    spec.arches.push_back(std::move(af));
  }
  return spec;
}

bool holds(const Compare& c, const Args& args) {
  std::uint64_t x = args[c.arg] & (c.wide ? ~0ull : kLow32);
  switch (c.op) {
    case Op::Eq:
      return x == c.value;
    case Op::Ne:
      return x != c.value;
    case Op::Lt:
      return x < c.value;
    case Op::Le:
      return x <= c.value;
    case Op::Gt:
      return x > c.value;
    case Op::Ge:
      return x >= c.value;
    case Op::MaskedEq:
      return (x & c.mask) == c.value;
    case Op::MaskedNe:
      return (x & c.mask) != c.value;
    case Op::In:
      return std::binary_search(c.set.begin(), c.set.end(), x);
  }
  return false;
}

const SyscallFilter* findSyscall(const ArchFilter& arch, std::uint32_t nr) {
  auto it = std::lower_bound(arch.syscalls.begin(), arch.syscalls.end(), nr,
                             [](const SyscallFilter& f, std::uint32_t n) { return f.nr < n; });
  return it != arch.syscalls.end() && it->nr == nr ? &*it : nullptr;
}

bool isKnown(const ArchFilter& arch, std::uint32_t nr) {
  return std::binary_search(arch.known.begin(), arch.known.end(), nr);
}

Action evaluate(const FilterSpec& spec, std::uint32_t arch, std::uint32_t nr, const Args& args) {
  for (const auto& af : spec.arches) {
    if (af.auditArch != arch) continue;
    // nr -1 is what a tracer leaves when it skips a call; libseccomp lets it through to the table.
    if (af.x32Guard && nr >= kX32SyscallBit && nr != 0xffffffffu) return spec.foreignArch;
    if (const SyscallFilter* f = findSyscall(af, nr)) {
      for (const auto& r : f->rules)
        if (std::all_of(r.all.begin(), r.all.end(), [&](const Compare& c) { return holds(c, args); })) return r.action;
      return f->fallback;
    }
    return isKnown(af, nr) ? af.defaultAction : af.unknownAction;
  }
  return spec.foreignArch;
}

}  // namespace sbx::seccomp
