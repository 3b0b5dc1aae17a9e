// Syscall rules: a task's syscalls blocks from itself and its profiles, merged by precedence.
// The most specific declaration of a syscall wins (task over profile, a syscall named directly
// over one reached through a group); rules of equal standing and equal conditions must agree
// (conflicting-syscall-rules). The block's single-valued settings follow resolve_profiles.cc.
#include <string_view>
#include <unordered_map>

#include "frontend/resolve_internal.h"
#include "tables/baseline.h"

namespace sbx::frontend::resolver {
namespace {

// The bits the kernel reads of `syscall`'s argument on the narrower of the two architectures.
unsigned kernelBits(const std::string& syscall, unsigned arg) {
  return std::min(seccomp::argBits("x86_64", syscall, arg), seccomp::argBits("aarch64", syscall, arg));
}

// A value wider than the argument the kernel reads (arg_width.def) can never be what the kernel
// sees: `setrlimit if arg0 == 0x100000006` would silently never hold. Conditions with an
// explicit width (`arg0:64`) say what they mean and are left alone.
bool conditionsFitKernel(DiagnosticSink& diags, const std::string& syscall,
                         const std::vector<model::ArgCondition>& conditions) {
  for (const auto& cond : conditions) {
    if (cond.width != 0) continue;
    unsigned bits = kernelBits(syscall, cond.arg);
    if (bits >= 64) continue;
    std::uint64_t top = (std::uint64_t{1} << bits) - 1;
    for (auto v : cond.values) {
      if (v <= top) continue;
      diags
          .report(Code::InvalidCondition, cond.span,
                  fmt::format("value 0x{:x} does not fit arg{} of `{}`, which the kernel reads as {} bits", v, cond.arg,
                              syscall, bits))
          .help(fmt::format("write a value up to 0x{:x} (the kernel ignores the upper bits), or arg{}:64 to compare "
                            "the whole register",
                            top, cond.arg));
      return false;
    }
  }
  return true;
}

}  // namespace

void Resolver::addSyscalls(TaskState& state, Module& m, const ast::Syscalls& block, const std::vector<std::string>& via,
                           bool fromTask) {
  model::ResolvedTask& task = state.task;
  model::SyscallPolicy& policy = task.syscalls;
  policy.declared = true;
  collectSuppressions(task, block);
  if (block.defaultAction) {
    collectSuppressions(task, *block.defaultAction);
    if (claim(state, "syscalls default", block.defaultAction->span, fromTask)) {
      policy.defaultAction = block.defaultAction->action;
      policy.defaultOrigin = origin(block.defaultAction->span, via);
    }
  }
  if (block.foreignArch) {
    collectSuppressions(task, *block.foreignArch);
    if (claim(state, "foreign-arch", block.foreignArch->span, fromTask)) policy.foreignArch = block.foreignArch->action;
  }
  if (block.arch) {
    collectSuppressions(task, *block.arch);
    if (claim(state, "arch", block.arch->span, fromTask)) {
      policy.arches.clear();
      for (const auto& a : block.arch->arches)
        if (std::find(policy.arches.begin(), policy.arches.end(), a.value) == policy.arches.end())
          policy.arches.push_back(a.value);
    }
  }
  if (block.baseline) {
    collectSuppressions(task, *block.baseline);
    if (claim(state, "baseline", block.baseline->span, fromTask)) {
      policy.baseline = block.baseline->value.value;
      policy.baselineOrigin = origin(block.baseline->span, via);
    }
  }
  for (const auto& rule : block.rules) {
    collectSuppressions(task, rule);
    for (const auto& ref : rule.syscalls) {
      if (ref.group) {
        auto found = lookup(m, ref.name, Kind::Group);
        if (!found) continue;
        std::vector<const ast::Group*> stack;
        const model::Origin from = origin(ref.span, via);  // the same for every member
        for (const auto& [name, chain] : members(*found->module, *found->group, stack)) {
          model::SyscallRule r{name, rule.action, rule.conditions, {}, from};
          r.groups.reserve(chain.size() + 1);
          r.groups.push_back(found->display);
          r.groups.insert(r.groups.end(), chain.begin(), chain.end());
          state.rules.push_back({std::move(r), fromTask ? 2 : 0, order_++});
        }
      } else if (!ref.name.parts.empty() && checkSyscall(ref.name.parts[0]) &&
                 conditionsFitKernel(diags_, ref.name.parts[0].text, rule.conditions)) {
        model::SyscallRule r{ref.name.parts[0].text, rule.action, rule.conditions, {}, origin(ref.span, via)};
        state.rules.push_back({std::move(r), fromTask ? 3 : 1, order_++});
      }
    }
  }
}

// The most specific declaration of a syscall replaces the less specific ones: the task's own
// rules beat its profiles', and a syscall named directly beats one reached through a group.
// Rules of the same rank coexist when their conditions differ, and conflict when they don't.
void Resolver::finishSyscalls(TaskState& state) {
  // Names are compared as views, not copied: a task has hundreds of rules (bench/frontend.sh's
  // fleet). The views of `best` point into state.rules, which stay whole until the loop below
  // moves them; those of `latest` into `out`, reserved first so that it never moves.
  std::unordered_map<std::string_view, int> best;
  best.reserve(state.rules.size());
  for (const auto& p : state.rules) {
    auto [it, fresh] = best.emplace(p.rule.syscall, p.rank);
    if (!fresh) it->second = std::max(it->second, p.rank);
  }
  std::vector<bool> keep(state.rules.size());
  std::size_t kept = 0;
  for (std::size_t i = 0; i < state.rules.size(); ++i) {
    keep[i] = state.rules[i].rank == best[state.rules[i].rule.syscall];
    kept += keep[i] ? 1 : 0;
  }
  best.clear();
  std::vector<model::SyscallRule>& out = state.task.syscalls.rules;
  const std::size_t base = out.size();
  out.reserve(base + kept);
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::unordered_map<std::string_view, std::size_t> latest;  // syscall -> its last rule in `out`
  latest.reserve(kept);
  std::vector<std::size_t> previous;  // out[base + k] -> the rule of the same syscall before it
  previous.reserve(kept);
  for (std::size_t i = 0; i < state.rules.size(); ++i) {
    if (!keep[i]) continue;
    auto& p = state.rules[i];
    auto found = latest.find(p.rule.syscall);
    std::size_t same = kNone;
    for (std::size_t k = found == latest.end() ? kNone : found->second; k != kNone; k = previous[k - base])
      if (out[k].conditions == p.rule.conditions) {
        same = k;
        break;
      }
    if (same == kNone) {
      previous.push_back(found == latest.end() ? kNone : found->second);
      out.push_back(std::move(p.rule));
      if (found == latest.end())
        latest.emplace(out.back().syscall, out.size() - 1);
      else
        found->second = out.size() - 1;
      continue;
    }
    const model::SyscallRule& first = out[same];
    if (first.action == p.rule.action) continue;
    auto describe = [](const model::SyscallAction& a) {
      return a.kind == model::SyscallActionKind::Errno ? fmt::format("errno {}", a.errnoValue)
                                                       : std::string(model::nameOf(a.kind));
    };
    bool direct = p.rule.groups.empty() && first.groups.empty();
    auto& d = diags_.report(Code::ConflictingSyscallRules, p.rule.origin.span,
                            fmt::format("syscall `{}` is given `{}` here and `{}` elsewhere under the same conditions",
                                        p.rule.syscall, describe(p.rule.action), describe(first.action)));
    d.label(first.origin.span, "first rule here");
    if (direct) {
      d.help("delete one of the two rules");
    } else {
      d.note(
          "a syscall named directly overrides a group, and a task overrides its profiles; rules of equal standing "
          "must agree");
      d.help(fmt::format("name `{}` directly in the task to choose its action", p.rule.syscall));
    }
  }
}

}  // namespace sbx::frontend::resolver
