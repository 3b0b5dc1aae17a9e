// model::ResolvedTask -> plan::TaskDescription: the task as plan.json describes it (what model_json writes
// without sources, less the syscall rules, which live in the compiled filter).
#include <fmt/format.h>

#include "backends/plan.h"

namespace sbx::backends {

namespace {

template <typename T, typename F>
auto convert(const std::vector<T>& items, F f) {
  std::vector<decltype(f(items.front()))> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(f(item));
  return out;
}

template <typename E>
std::string name(E value) {
  return std::string(model::nameOf(value));
}

template <typename E>
std::optional<std::string> nameIfSet(const std::optional<E>& value) {
  if (!value) return std::nullopt;
  return name(*value);
}

plan::DestinationKind destinationKind(model::Destination::Kind kind) {
  using Kind = model::Destination::Kind;
  switch (kind) {
    case Kind::Host:
      return plan::DestinationKind::Host;
    case Kind::Wildcard:
      return plan::DestinationKind::Wildcard;
    case Kind::Any:
      return plan::DestinationKind::Any;
    case Kind::Ip:
      return plan::DestinationKind::Ip;
    case Kind::Cidr:
      return plan::DestinationKind::Cidr;
  }
  return plan::DestinationKind::Host;
}

plan::RequestRule describeRequest(const model::RequestRule& r) {
  return plan::RequestRule{r.method, r.scheme, r.host, r.port, r.path, r.query};
}

plan::Tool describeTool(const model::Tool& t) {
  plan::Tool x{t.name, t.description, t.exec, t.system, nameIfSet(t.environment), {}, {}, t.secrets};
  x.actions = convert(t.actions, [](const model::Action& a) {
    return plan::Action{a.name,     name(a.effect),      nameIfSet(a.reversibility),          a.approval,
                        a.approver, a.approvalTimeoutMs, convert(a.requests, describeRequest)};
  });
  x.egress = convert(t.egress, describeDestination);
  return x;
}

plan::Secret describeSecret(const model::Secret& s) {
  plan::Secret x{s.name, s.description, s.source, s.scopes, s.audience, s.ttlMs, std::nullopt, std::nullopt};
  if (s.exposure) x.exposure = plan::SecretExposure{name(s.exposure->kind), s.exposure->target, s.exposure->tool};
  if (s.injection) x.injection = plan::SecretInjection{s.injection->header, s.injection->value, s.injection->tool};
  return x;
}

plan::Limits describeLimits(const model::Limits& l) {
  auto value = [](const std::optional<model::LimitValue>& v) -> std::optional<std::uint64_t> {
    if (!v) return std::nullopt;
    return v->value;
  };
  return {value(l.memoryBytes), value(l.pids), value(l.cpuMs), value(l.openFiles), value(l.fileSizeBytes)};
}

template <typename T>
std::optional<std::string> settingName(const std::optional<model::Setting<T>>& s) {
  if (!s) return std::nullopt;
  return name(s->value);
}

void describeHeader(const model::ResolvedTask& t, plan::TaskDescription& x) {
  x.name = t.name;
  x.qualifiedName = t.qualifiedName;
  x.root = t.root;
  if (t.description) x.description = t.description->value;
  if (t.owner) x.owner = t.owner->value;
  if (t.identity) x.identity = plan::Identity{name(t.identity->kind), t.identity->value, t.identity->subject};
  if (t.timeoutMs) x.timeoutMs = t.timeoutMs->value;
  if (t.expectedTier) x.expectedTier = t.expectedTier->value;
  x.maturity = settingName(t.maturity);
  x.facing = settingName(t.facing);
  x.lifecycle = name(t.lifecycle ? t.lifecycle->value : model::Lifecycle::Ephemeral);
  bool host = t.network && t.network->value == model::NetworkMode::Host;
  x.network = host ? plan::NetworkMode::Host : plan::NetworkMode::Isolated;
  x.profiles = t.profiles;
}

}  // namespace

plan::Destination describeDestination(const model::Destination& d) {
  plan::Destination x;
  x.text = d.text;
  x.kind = destinationKind(d.kind);
  x.host = d.host;
  x.address = d.address;
  x.family = d.family;
  x.prefix = d.prefix;
  x.portLow = d.portLow;
  x.portHigh = d.portHigh;
  x.protocol = name(d.protocol);
  x.tool = d.tool;
  return x;
}

plan::TaskDescription describeTask(const model::ResolvedTask& t, const model::Model& model) {
  plan::TaskDescription x;
  describeHeader(t, x);
  x.inputs = convert(t.inputs, [](const model::Input& in) {
    return plan::Input{in.name, name(in.trust), name(in.sensitivity), nameIfSet(in.source), in.location};
  });
  x.paths = convert(t.paths, [](const model::PathGrant& p) {
    std::vector<std::string> flags;
    if (p.flags.nosuid) flags.push_back("nosuid");
    if (p.flags.nodev) flags.push_back("nodev");
    if (p.flags.noexec) flags.push_back("noexec");
    return plan::PathGrant{p.path, name(p.access), p.workspace, flags, p.sha256};
  });
  x.scratch = convert(t.scratch, [](const model::Scratch& s) { return plan::Scratch{s.path, s.sizeBytes}; });
  x.masks = convert(t.masks, [](const model::PathDecl& p) { return plan::PathEntry{p.path}; });
  x.devices = convert(t.devices, [](const model::PathDecl& p) { return plan::PathEntry{p.path}; });
  x.capabilities = convert(t.capabilities, [](const model::Capability& c) { return plan::Capability{c.name}; });
  x.egress = convert(t.egress, describeDestination);
  x.tools = convert(t.tools, describeTool);
  x.secrets = convert(t.secrets, describeSecret);
  x.limits = describeLimits(t.limits);
  x.env = convert(t.env, [](const model::EnvVar& e) { return plan::EnvVar{e.name, e.value}; });
  x.delegations = convert(t.delegations, [&](const model::Delegation& d) {
    return plan::Delegation{model.tasks.at(d.task).qualifiedName, convert(d.passes, name<model::PassKind>), d.secrets};
  });
  x.suppressions = convert(t.suppressions, [](const model::Suppression& s) {
    plan::Suppression y{s.rule, s.reason, std::nullopt};
    if (s.until) y.until = fmt::format("{:04}-{:02}-{:02}", s.until->year, s.until->month, s.until->day);
    return y;
  });
  return x;
}

}  // namespace sbx::backends
