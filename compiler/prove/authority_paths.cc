// Paths: what the sandbox may do at a path is decided by the innermost mount over it (the plan's
// list is parent-first), so it is constant between mount targets: the targets of both plans are
// the only paths to try. A path below a target and above no deeper target is decided as the
// target itself.
#include <fmt/format.h>

#include <set>

#include "plan/mount_order.h"
#include "prove/authority_compare.h"

namespace sbx::prove {

namespace {

enum class Access { Read, Write, Exec };
constexpr Access kAccesses[] = {Access::Read, Access::Write, Access::Exec};

const plan::Mount* mountOver(const plan::Plan& plan, const std::string& path) {
  const plan::Mount* over = nullptr;
  for (const auto& m : plan.mounts)
    if (plan::pathWithin(path, m.target)) over = &m;
  return over;
}

bool allows(const plan::Mount* m, Access access) {
  if (!m || m->type == plan::MountType::Mask) return false;
  return access == Access::Read || (access == Access::Write ? !m->readOnly : !m->noexec);
}

std::string describe(const plan::Mount* m, Access access) {
  if (!m) return "refused (no mount covers it)";
  if (m->type == plan::MountType::Mask) return fmt::format("refused (masked at {})", m->target);
  return fmt::format("{} ({}mount at {}{}{})", allows(m, access) ? "allowed" : "refused",
                     m->type == plan::MountType::Tmpfs ? "scratch " : "", m->target,
                     m->readOnly ? ", read-only" : ", writable", m->noexec ? ", noexec" : "");
}

}  // namespace

void comparePaths(const plan::Plan& newer, const plan::Plan& older, Comparison& out) {
  std::set<std::string> targets;
  for (const auto& m : newer.mounts) targets.insert(m.target);
  for (const auto& m : older.mounts) targets.insert(m.target);
  for (const auto& target : targets)
    for (Access access : kAccesses) {
      const plan::Mount *n = mountOver(newer, target), *o = mountOver(older, target);
      if (!allows(n, access) || allows(o, access)) continue;
      const char* verb = access == Access::Read ? "read" : access == Access::Write ? "write" : "exec";
      out.counterexamples.push_back(
          {"path", fmt::format("{} {}", verb, target), describe(n, access), describe(o, access)});
      return;
    }
}

}  // namespace sbx::prove
