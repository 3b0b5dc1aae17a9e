// Profiles: `use` applies a profile's body to the task before the task's own statements, once
// per profile however often it is reached, and a profile that uses itself (directly or not) is a
// cycle. Single-valued settings (description, timeout, identity, syscalls default, limits ...):
// the task's own value wins over a profile's, and two profiles setting one differently is an
// error. A library's profiles and groups are checked even when no task uses them.
#include "frontend/resolve_internal.h"

namespace sbx::frontend::resolver {

// A library file's profiles and groups are checked even when no task of it uses them, so
// `sbxc check lib.sbx` finds their errors. References to a task's secrets and tools are left
// out: they are checked in each task that uses the profile.
void Resolver::checkUnused(Module& m) {
  for (const auto& profile : m.ast.profiles) {
    if (usedProfiles_.contains(&profile)) continue;
    TaskState state;
    state.module = &m;
    state.task.name = profile.name.text;
    std::vector<std::string> via{profile.name.text};
    std::vector<const ast::Profile*> stack{&profile};
    applyBody(state, m, profile.body, via, stack, true);
    finishSyscalls(state);
  }
  secretUses_.clear();
  exposureTools_.clear();
  pendingSecretRefs_.clear();
  for (const auto& group : m.ast.groups) {
    std::vector<const ast::Group*> stack;
    members(m, group, stack);
  }
}

void Resolver::applyProfiles(TaskState& state, Module& m, const ast::Body& body, Via& via,
                             std::vector<const ast::Profile*>& stack) {
  model::ResolvedTask& task = state.task;
  for (const auto& use : body.uses) {
    collectSuppressions(task, use);
    for (const auto& target : use.targets) {
      auto found = lookup(m, target, Kind::Profile);
      if (!found) continue;
      if (reportCycle(stack, found->profile, cyclicProfiles_, target.span, "profile `{}` uses itself: {}",
                      "remove the `use` that closes the cycle"))
        continue;
      // The profile this nesting started from nests too deep when a profile it reaches does: it is
      // marked, so that it costs one step the next time, and the nesting is reported once.
      if (deepProfiles_.contains(found->profile) || stack.size() >= kMaxNesting) {
        if (!deepProfiles_.contains(found->profile)) reportTooDeep(target.span, "profiles", found->display);
        if (!stack.empty()) deepProfiles_.insert(stack.front());
        continue;
      }
      // A profile reached twice (two profiles both use a third) contributes once.
      if (!state.applied.insert(found->profile).second) continue;
      task.profiles.push_back(found->display);
      usedProfiles_.insert(found->profile);
      stack.push_back(found->profile);
      via.push_back(found->display);
      for (const auto& s : found->profile->suppressions) task.suppressions.push_back(s);
      applyBody(state, *found->module, found->profile->body, via, stack, false);
      via.pop_back();
      stack.pop_back();
    }
  }
}

void Resolver::applySettings(TaskState& state, const ast::Body& body, const Via& via, bool fromTask) {
  model::ResolvedTask& task = state.task;

  auto text = [&](const std::optional<ast::TextSetting>& s, std::optional<model::Setting<std::string>>& slot,
                  const std::string& what) {
    if (!s) return;
    collectSuppressions(task, *s);
    single(state, slot, what, s->span, fromTask, [&] {
      return model::Setting<std::string>{s->text.value, origin(s->span, via)};
    });
  };
  text(body.description, task.description, "description");
  text(body.owner, task.owner, "owner");
  auto setting = [&](const auto& s, auto& slot, const std::string& what) {
    if (!s) return;
    collectSuppressions(task, *s);
    using V = std::decay_t<decltype(s->value.value)>;
    single(state, slot, what, s->span, fromTask, [&] {
      return model::Setting<V>{s->value.value, origin(s->span, via)};
    });
  };
  setting(body.timeoutMs, task.timeoutMs, "timeout");
  setting(body.expectedTier, task.expectedTier, "expect tier");
  setting(body.maturity, task.maturity, "maturity");
  setting(body.facing, task.facing, "facing");
  setting(body.lifecycle, task.lifecycle, "operator");
  setting(body.network, task.network, "network");
  if (body.identity) {
    collectSuppressions(task, *body.identity);
    const auto& id = *body.identity;
    single(state, task.identity, "identity", id.span, fromTask, [&] {
      return model::Identity{id.kind, id.value.value, id.subject ? id.subject->value : "", origin(id.span, via)};
    });
  }
}

// The names `claim` uses for the single-valued settings a body declares itself.
std::set<std::string> Resolver::settingsOf(const ast::Body& body) {
  std::set<std::string> out;
  auto mark = [&](bool present, const char* what) {
    if (present) out.insert(what);
  };
  mark(body.description.has_value(), "description");
  mark(body.owner.has_value(), "owner");
  mark(body.timeoutMs.has_value(), "timeout");
  mark(body.expectedTier.has_value(), "expect tier");
  mark(body.maturity.has_value(), "maturity");
  mark(body.facing.has_value(), "facing");
  mark(body.lifecycle.has_value(), "operator");
  mark(body.network.has_value(), "network");
  mark(body.identity.has_value(), "identity");
  for (const auto& block : body.syscalls) {
    mark(block.defaultAction.has_value(), "syscalls default");
    mark(block.foreignArch.has_value(), "foreign-arch");
    mark(block.arch.has_value(), "arch");
    mark(block.baseline.has_value(), "baseline");
  }
  for (const auto& block : body.limits)
    for (const auto& item : block.items) out.insert(fmt::format("limit {}", model::nameOf(item.kind)));
  return out;
}

// Single-valued settings: the task's own value wins over a profile's (profiles are applied
// first, the task's statements after them); two profiles setting it differently is an error.
bool Resolver::claim(TaskState& state, const std::string& what, Span span, bool fromTask) {
  if (fromTask) return true;
  if (state.ownSettings.contains(what)) return false;  // the task decides; profiles don't conflict
  auto [it, fresh] = state.profileSettings.emplace(what, span);
  if (fresh) return true;
  if (!(it->second == span))
    diags_
        .report(Code::DuplicateSetting, span,
                fmt::format("`{}` is set by two profiles used in task `{}`", what, state.task.name))
        .label(it->second, "also set here")
        .help(fmt::format("set `{}` in the task itself to choose", what));
  return false;
}

}  // namespace sbx::frontend::resolver
