// Grants: a task's inputs, paths, scratch directories, masks, devices, capabilities, egress,
// environment and delegations, each with the profiles it came through. A grant the task itself
// declares twice is an error; the same grant from a profile is kept once. The task may resize a
// profile's scratch directory and override a profile's environment variable. A delegation's
// target task joins the worklist, and the secrets it passes are checked once the task is whole.
#include "frontend/resolve_internal.h"

namespace sbx::frontend::resolver {

void Resolver::applyGrants(TaskState& state, const ast::Body& body, const Via& via, bool fromTask) {
  model::ResolvedTask& task = state.task;
  for (const auto& in : body.inputs) {
    collectSuppressions(task, in);
    if (!firstOfName(task.inputs, in.name, "input")) continue;
    task.inputs.push_back({in.name.text, in.trust, in.sensitivity, in.source, in.location ? in.location->value : "",
                           origin(in.span, via)});
  }
  for (const auto& p : body.paths) addPaths(task, p, via, fromTask);
  for (const auto& s : body.scratch) addScratch(task, s, via, fromTask);
  for (const auto& s : body.masks) {
    collectSuppressions(task, s);
    for (const auto& p : s.paths) task.masks.push_back({p.path, origin(p.span, via)});
  }
  for (const auto& s : body.devices) {
    collectSuppressions(task, s);
    for (const auto& p : s.paths) task.devices.push_back({p.path, origin(p.span, via)});
  }
  for (const auto& s : body.capabilities) {
    collectSuppressions(task, s);
    for (const auto& c : s.names) task.capabilities.push_back({c.value, origin(c.span, via)});
  }
  for (const auto& c : body.connects) {
    collectSuppressions(task, c);
    for (auto d : c.destinations) {
      d.origin = origin(d.origin.span, via);
      task.egress.push_back(std::move(d));
    }
  }
  for (const auto& e : body.env) addEnv(task, e, via, fromTask);
}

// One executable, one digest: two `exec` grants of a path pinned to different digests cannot both
// hold at launch.
bool Resolver::pinAgrees(const model::ResolvedTask& task, const model::PathGrant& grant) {
  for (const auto& g : task.paths) {
    if (g.path != grant.path || g.sha256.empty() || grant.sha256.empty() || g.sha256 == grant.sha256) continue;
    diags_
        .report(Code::InvalidValue, grant.origin.span,
                fmt::format("{} is pinned to two different digests", model::describePath(grant)))
        .label(g.origin.span, "pinned to another digest here")
        .help("keep the digest of the program the task is meant to run, and delete the other");
    return false;
  }
  return true;
}

void Resolver::addPaths(model::ResolvedTask& task, const ast::Paths& p, const Via& via, bool fromTask) {
  collectSuppressions(task, p);
  for (const auto& ref : p.paths) {
    model::PathGrant grant{ref.path, ref.workspace, p.access, p.flags, origin(ref.span, via), ref.sha256};
    if (!pinAgrees(task, grant)) continue;
    auto same = std::find_if(task.paths.begin(), task.paths.end(), [&](const model::PathGrant& g) {
      return g.path == grant.path && g.access == grant.access && g.flags == grant.flags;
    });
    if (same != task.paths.end()) {
      if (same->sha256.empty()) same->sha256 = grant.sha256;
      if (fromTask && same->origin.via.empty())
        diags_
            .report(Code::DuplicateGrant, ref.span,
                    fmt::format("`{} {}` is declared twice", model::nameOf(p.access), model::policyPath(grant)))
            .label(same->origin.span, "first declared here")
            .help("delete one of them");
      continue;
    }
    task.paths.push_back(std::move(grant));
  }
}

void Resolver::addScratch(model::ResolvedTask& task, const ast::Scratch& s, const Via& via, bool fromTask) {
  collectSuppressions(task, s);
  auto same = std::find_if(task.scratch.begin(), task.scratch.end(),
                           [&](const model::Scratch& x) { return x.path == s.path.path; });
  model::Scratch scratch{s.path.path, s.size ? std::optional(s.size->value) : std::nullopt, origin(s.span, via)};
  if (same != task.scratch.end()) {
    // The task may resize a profile's scratch directory; anything else declares it twice.
    if (fromTask && !same->origin.via.empty()) {
      *same = std::move(scratch);
    } else {
      diags_.report(Code::DuplicateDeclaration, s.path.span, fmt::format("scratch `{}` is declared twice", s.path.path))
          .label(same->origin.span, "first declared here")
          .help("declare each scratch directory once, with the size it needs");
    }
    return;
  }
  task.scratch.push_back({s.path.path, s.size ? std::optional(s.size->value) : std::nullopt, origin(s.span, via)});
}

void Resolver::addEnv(model::ResolvedTask& task, const ast::Env& e, const Via& via, bool fromTask) {
  collectSuppressions(task, e);
  for (const auto& item : e.items) {
    auto same = std::find_if(task.env.begin(), task.env.end(),
                             [&](const model::EnvVar& v) { return v.name == item.name.text; });
    if (same != task.env.end()) {
      if (fromTask && same->origin.via.empty()) {
        diags_
            .report(Code::DuplicateDeclaration, item.name.span,
                    fmt::format("environment variable `{}` is declared twice", item.name.text))
            .label(same->origin.span, "first declared here");
      } else if (fromTask) {
        *same = {item.name.text, item.value ? std::optional(item.value->value) : std::nullopt, origin(item.span, via)};
      }
      continue;
    }
    task.env.push_back(
        {item.name.text, item.value ? std::optional(item.value->value) : std::nullopt, origin(item.span, via)});
  }
}

void Resolver::applyDelegations(TaskState& state, Module& m, const ast::Body& body, const Via& via) {
  model::ResolvedTask& task = state.task;
  for (const auto& d : body.delegations) {
    collectSuppressions(task, d);
    auto found = lookup(m, d.target, Kind::Task);
    if (!found) continue;
    std::string qualified = found->module == modules_.root() ? found->task->name.text : found->display;
    bool root = found->module == modules_.root();
    model::Delegation del;
    del.task = taskIndex(*found->module, *found->task, qualified, root);
    del.target = d.target.joined();
    del.origin = origin(d.span, via);
    for (const auto& p : d.passes) {
      if (std::find(del.passes.begin(), del.passes.end(), p.kind) == del.passes.end()) del.passes.push_back(p.kind);
      if (p.secret) del.secrets.push_back(p.secret->text);
    }
    SecretRefs refs{&task, {}};
    for (const auto& p : d.passes)
      if (p.secret) refs.secrets.push_back(*p.secret);
    pendingSecretRefs_.push_back(std::move(refs));
    task.delegations.push_back(std::move(del));
  }
}

}  // namespace sbx::frontend::resolver
