// Tools and secrets: each is declared once per task (and each action once per tool); a secret
// names the broker source it comes from. A tool's `uses secret` and a secret's `expose ... for`
// are recorded here and checked against the whole task in resolve_policy.cc.
#include "frontend/resolve_internal.h"

namespace sbx::frontend::resolver {

void Resolver::addTool(TaskState& state, const ast::Tool& t, const std::vector<std::string>& via) {
  model::ResolvedTask& task = state.task;
  collectSuppressions(task, t);
  if (!firstOfName(task.tools, t.name, "tool")) return;
  model::Tool tool;
  tool.name = t.name.text;
  tool.origin = origin(t.span, via);
  tool.nameSpan = t.name.span;
  if (t.description) {
    tool.description = t.description->text.value;
    collectSuppressions(task, *t.description);
  }
  if (t.exec) {
    tool.exec = t.exec->value.value;
    tool.execSpan = t.exec->span;
    collectSuppressions(task, *t.exec);
  }
  if (t.system) {
    tool.system = t.system->name.value;
    tool.environment = t.system->environment;
    collectSuppressions(task, *t.system);
  }
  for (const auto& a : t.actions) {
    collectSuppressions(task, a);
    if (!firstOfName(tool.actions, a.name, "action", fmt::format(" of tool `{}`", tool.name))) continue;
    model::Action action;
    action.name = a.name.text;
    action.effect = a.effect.value;
    action.reversibility = a.reversibility;
    action.approval = a.approval;
    action.approver = a.approver ? a.approver->value : "";
    action.origin = origin(a.span, via);
    for (const auto& sink : a.sinks) action.sinks.push_back(sink.value);
    if (a.approval)
      action.approvalTimeoutMs = a.approvalTimeoutMs ? a.approvalTimeoutMs->value : model::kDefaultApprovalTimeoutMs;
    for (const auto& r : a.requests) {
      collectSuppressions(task, r);
      action.requests.push_back(r.rule);
    }
    tool.actions.push_back(std::move(action));
  }
  for (const auto& c : t.connects) {
    collectSuppressions(task, c);
    for (auto d : c.destinations) {
      d.tool = tool.name;
      d.origin = origin(d.origin.span, via);
      tool.egress.push_back(std::move(d));
    }
  }
  for (const auto& u : t.uses) {
    collectSuppressions(task, u);
    for (const auto& s : u.secrets) {
      if (std::find(tool.secrets.begin(), tool.secrets.end(), s.text) == tool.secrets.end())
        tool.secrets.push_back(s.text);
      secretUses_.push_back({&task, s});
    }
  }
  checkRequests(tool);
  task.tools.push_back(std::move(tool));
}

// A host file is copied as it is: a ttl, scope or audience would be a promise nothing keeps.
void Resolver::refuseMintSettings(const ast::Secret& s) {
  auto refuse = [&](Span where, std::string_view what) {
    diags_
        .report(Code::HostSecretNotMinted, where,
                fmt::format("secret `{}` is read from a host file, so it has no {}", s.name.text, what))
        .help(fmt::format("remove the {}, or mint a token for the task instead: source \"broker://team/name\"", what))
        .label(s.source->span, "read from the host here");
  };
  if (s.ttlMs) refuse(s.ttlMs->span, "ttl");
  if (s.scope) refuse(s.scope->span, "scope");
  if (s.audience) refuse(s.audience->span, "audience");
}

void Resolver::addSecret(TaskState& state, const ast::Secret& s, const std::vector<std::string>& via) {
  model::ResolvedTask& task = state.task;
  collectSuppressions(task, s);
  if (!firstOfName(task.secrets, s.name, "secret")) return;
  model::Secret secret;
  secret.name = s.name.text;
  secret.origin = origin(s.span, via);
  auto take = [&](const auto& opt) {
    if (opt) collectSuppressions(task, *opt);
  };
  take(s.description);
  take(s.source);
  take(s.audience);
  take(s.scope);
  take(s.ttlMs);
  take(s.expose);
  take(s.inject);
  if (s.description) secret.description = s.description->text.value;
  if (s.source) {
    secret.source = s.source->text.value;
    secret.hostFile = s.sourceIsHostFile;
    if (secret.hostFile) refuseMintSettings(s);
  } else {
    diags_.report(Code::MissingSetting, s.name.span, fmt::format("secret `{}` has no source", s.name.text))
        .help("name where the broker gets it: source \"broker://team/name\"");
  }
  if (s.audience) secret.audience = s.audience->text.value;
  if (s.scope)
    for (const auto& sc : s.scope->scopes) secret.scopes.push_back(sc.value);
  if (s.ttlMs) secret.ttlMs = s.ttlMs->value.value;
  if (s.expose) {
    model::Exposure x;
    x.kind = s.expose->kind;
    x.origin = origin(s.expose->span, via);
    if (s.expose->target)
      x.target = s.expose->target->value;
    else
      x.target = "/run/secrets/" + secret.name;
    if (s.expose->tool) {
      x.tool = s.expose->tool->text;
      exposureTools_.push_back({&task, *s.expose->tool});
    }
    secret.exposure = x;
  }
  if (s.inject) {
    secret.injection = model::Injection{s.inject->header.value, s.inject->value.value, s.inject->tool->text,
                                        origin(s.inject->span, via)};
    exposureTools_.push_back({&task, *s.inject->tool});
  }
  task.secrets.push_back(std::move(secret));
}

}  // namespace sbx::frontend::resolver
