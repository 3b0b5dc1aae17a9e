// Syscall groups: a group reference names a group (through an import if qualified), a group that
// includes itself is a cycle, and every syscall name is checked against libseccomp's tables for
// the architectures sbxc compiles for. Standard-library groups are expanded once per session.
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
  for (const auto& [name, chain] : members(*found->module, *found->group, stack)) {
    std::vector<std::string> full{found->display};
    full.insert(full.end(), chain.begin(), chain.end());
    out.emplace_back(name, std::move(full));
  }
  return out;
}

// A group's members, expanded; stdlib groups are expanded once per session, since nearly
// every policy refers to them.
const Expansion& Resolver::members(Module& m, const ast::Group& group, std::vector<const ast::Group*>& stack) {
  auto& cache = modules_.shared().expandedGroups;
  auto key = std::make_pair(static_cast<const Module*>(&m), group.name.text);
  if (m.stdlib)
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  Expansion out;
  stack.push_back(&group);
  for (const auto& member : group.members) {
    if (member.group) {
      for (auto& entry : expandGroup(m, member, stack)) out.push_back(std::move(entry));
    } else if (!member.name.parts.empty() && checkSyscall(member.name.parts[0])) {
      out.emplace_back(member.name.parts[0].text, std::vector<std::string>{});
    }
  }
  stack.pop_back();
  if (m.stdlib) return cache[key] = std::move(out);
  scratch_.push_back(std::move(out));
  return scratch_.back();
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
