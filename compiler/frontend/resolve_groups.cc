// Syscall groups: a group reference names a group (through an import if qualified), a group that
// includes itself is a cycle, and every syscall name is checked against libseccomp's tables for
// the architectures sbxc compiles for. Every group is expanded once (standard-library groups once
// per session) to one entry per syscall, and nesting stops at kMaxNesting (nesting-too-deep), so
// that expansion costs time and memory linear in the policy, whatever shape its groups have.
#include <algorithm>
#include <unordered_set>

#include "frontend/resolve_internal.h"
#include "frontend/syscall_table.h"

namespace sbx::frontend::resolver {

// Expands a group reference to (syscall, chain of groups it came through) pairs.
Expansion Resolver::expandGroup(Module& m, const ast::SyscallRef& ref, std::vector<const ast::Group*>& stack) {
  Expansion out;
  auto found = lookup(m, ref.name, Kind::Group);
  if (!found) return out;
  if (reportCycle(stack, found->group, cyclicGroups_, ref.span, "syscall group `{}` includes itself: {}",
                  "remove the member that closes the cycle"))
    return out;
  // Too deep when the references being expanded are, or when the group's own expansion (computed
  // earlier, from another reference) already reached the bound.
  if (stack.size() >= kMaxNesting) {
    reportTooDeep(ref.span, "syscall groups", found->display);
    return out;
  }
  const Expansion& inner = members(*found->module, *found->group, stack);
  if (std::any_of(inner.begin(), inner.end(), [](const auto& e) { return e.second.size() + 1 >= kMaxNesting; })) {
    reportTooDeep(ref.span, "syscall groups", found->display);
    return out;
  }
  for (const auto& [name, chain] : inner) {
    std::vector<std::string> full{found->display};
    full.insert(full.end(), chain.begin(), chain.end());
    out.emplace_back(name, std::move(full));
  }
  return out;
}

// A group's members, expanded, each syscall once; computed once per group, since nearly every
// policy refers to the stdlib's groups and a hostile one refers to its own many times over.
const Expansion& Resolver::members(Module& m, const ast::Group& group, std::vector<const ast::Group*>& stack) {
  auto& cache = m.stdlib ? modules_.shared().expandedGroups : expandedGroups_;
  auto key = std::make_pair(static_cast<const Module*>(&m), group.name.text);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  Expansion out;
  std::unordered_set<std::string> seen;
  auto add = [&](std::string name, std::vector<std::string> chain) {
    if (seen.insert(name).second) out.emplace_back(std::move(name), std::move(chain));
  };
  stack.push_back(&group);
  for (const auto& member : group.members) {
    if (member.group) {
      for (auto& [name, chain] : expandGroup(m, member, stack)) add(std::move(name), std::move(chain));
    } else if (!member.name.parts.empty() && checkSyscall(member.name.parts[0])) {
      add(member.name.parts[0].text, {});
    }
  }
  stack.pop_back();
  return cache[key] = std::move(out);
}

bool Resolver::checkSyscall(const ast::Ident& name) {
  if (syscallKnown(name.text)) return true;
  if (!reportedSyscalls_.insert({name.span.file, name.span.line, name.span.col}).second) return false;
  auto& d = diags_.report(Code::UnknownSyscall, name.span, fmt::format("unknown syscall `{}`", name.text));
  if (auto m = closestMatch(name.text, knownSyscalls())) d.help(fmt::format("did you mean `{}`?", *m));
  d.note("syscall names are checked against libseccomp's tables for x86_64 and aarch64");
  return false;
}

}  // namespace sbx::frontend::resolver
