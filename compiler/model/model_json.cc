#include "model/model_json.h"

#include <fmt/format.h>

namespace sbx::model {

using json = nlohmann::ordered_json;

namespace {

class Writer {
 public:
  Writer(const Model& model, const JsonOptions& options) : model_(model), options_(options) {}

  json task(const ResolvedTask& t) {
    json j;
    j["name"] = t.name;
    j["qualifiedName"] = t.qualifiedName;
    j["root"] = t.root;
    location(j, t.span);
    opt(j, "description", t.description);
    opt(j, "owner", t.owner);
    if (t.identity) {
      json id{{"kind", nameOf(t.identity->kind)}, {"value", t.identity->value}};
      if (!t.identity->subject.empty()) id["subject"] = t.identity->subject;
      origin(id, t.identity->origin);
      j["identity"] = id;
    }
    if (t.timeoutMs) j["timeoutMs"] = t.timeoutMs->value;
    if (t.expectedTier) j["expectedTier"] = t.expectedTier->value;
    if (t.maturity) j["maturity"] = nameOf(t.maturity->value);
    if (t.facing) j["facing"] = nameOf(t.facing->value);
    j["operator"] = nameOf(t.lifecycle ? t.lifecycle->value : Lifecycle::Ephemeral);
    j["network"] = nameOf(t.network ? t.network->value : NetworkMode::Isolated);
    j["profiles"] = t.profiles;
    j["inputs"] = list(t.inputs, [&](const Input& in) {
      json x{{"name", in.name}, {"trust", nameOf(in.trust)}, {"sensitivity", nameOf(in.sensitivity)}};
      if (in.source) x["source"] = nameOf(*in.source);
      if (!in.location.empty()) x["location"] = in.location;
      return origin(x, in.origin);
    });
    j["paths"] = list(t.paths, [&](const PathGrant& p) {
      json x{{"path", p.path}, {"access", nameOf(p.access)}, {"workspace", p.workspace}};
      json flags = json::array();
      if (p.flags.nosuid) flags.push_back("nosuid");
      if (p.flags.nodev) flags.push_back("nodev");
      if (p.flags.noexec) flags.push_back("noexec");
      x["flags"] = flags;
      if (!p.sha256.empty()) x["sha256"] = p.sha256;
      return origin(x, p.origin);
    });
    j["scratch"] = list(t.scratch, [&](const Scratch& s) {
      json x{{"path", s.path}};
      if (s.sizeBytes) x["sizeBytes"] = *s.sizeBytes;
      return origin(x, s.origin);
    });
    j["masks"] = list(t.masks, [&](const PathDecl& p) { return origin(json{{"path", p.path}}, p.origin); });
    j["devices"] = list(t.devices, [&](const PathDecl& p) { return origin(json{{"path", p.path}}, p.origin); });
    j["capabilities"] = list(t.capabilities, [&](const Capability& c) {
      return origin(json{{"name", c.name}}, c.origin);
    });
    j["egress"] = list(t.egress, [&](const Destination& d) { return destination(d); });
    j["tools"] = list(t.tools, [&](const Tool& tool) { return this->tool(tool); });
    j["secrets"] = list(t.secrets, [&](const Secret& s) { return secret(s); });
    j["syscalls"] = syscalls(t.syscalls);
    j["limits"] = limits(t.limits);
    j["env"] = list(t.env, [&](const EnvVar& e) {
      json x{{"name", e.name}};
      if (e.value) x["value"] = *e.value;
      return origin(x, e.origin);
    });
    j["delegations"] = list(t.delegations, [&](const Delegation& d) {
      json passes = json::array();
      for (auto p : d.passes) passes.push_back(nameOf(p));
      json x{{"task", model_.tasks.at(d.task).qualifiedName}, {"passes", passes}, {"secrets", d.secrets}};
      return origin(x, d.origin);
    });
    j["suppressions"] = list(t.suppressions, [&](const Suppression& s) {
      json x{{"rule", s.rule}, {"reason", s.reason}};
      if (s.until) x["until"] = fmt::format("{:04}-{:02}-{:02}", s.until->year, s.until->month, s.until->day);
      location(x, s.span);
      return x;
    });
    return j;
  }

 private:
  template <typename T, typename F>
  json list(const std::vector<T>& items, F f) {
    json a = json::array();
    for (const auto& item : items) a.push_back(f(item));
    return a;
  }

  void location(json& j, const Span& span) {
    if (options_.sources == nullptr || !span.valid()) return;
    j["origin"] = fmt::format("{}:{}:{}", options_.sources->file(span.file).path, span.line, span.col);
  }

  json origin(json j, const Origin& o) {
    if (options_.sources == nullptr) return j;
    location(j, o.span);
    if (!o.via.empty()) j["via"] = o.via;
    return j;
  }

  void opt(json& j, const char* key, const std::optional<Setting<std::string>>& s) {
    if (s) j[key] = s->value;
  }

  json destination(const Destination& d) {
    json x{{"text", d.text}, {"kind", destinationKindName(d.kind)}};
    if (!d.host.empty()) x["host"] = d.host;
    if (!d.address.empty()) {
      x["address"] = d.address;
      x["family"] = d.family;
      x["prefix"] = d.prefix;
    }
    x["portLow"] = d.portLow;
    x["portHigh"] = d.portHigh;
    x["protocol"] = nameOf(d.protocol);
    if (!d.tool.empty()) x["tool"] = d.tool;
    return origin(x, d.origin);
  }

  json request(const RequestRule& r) {
    json x{{"method", r.method}, {"scheme", r.scheme}, {"host", r.host}, {"port", r.port}, {"path", r.path}};
    if (!r.query.empty()) x["query"] = r.query;
    return origin(x, Origin{r.span, {}});
  }

  json tool(const Tool& t) {
    json x{{"name", t.name}};
    if (!t.description.empty()) x["description"] = t.description;
    if (!t.exec.empty()) x["exec"] = t.exec;
    if (!t.system.empty()) x["system"] = t.system;
    if (t.environment) x["environment"] = nameOf(*t.environment);
    x["actions"] = list(t.actions, [&](const Action& a) {
      json y{{"name", a.name}, {"effect", nameOf(a.effect)}};
      if (a.reversibility) y["reversibility"] = nameOf(*a.reversibility);
      y["approval"] = a.approval;
      if (!a.approver.empty()) y["approver"] = a.approver;
      if (!a.sinks.empty()) y["sinks"] = a.sinks;
      if (a.approvalTimeoutMs) y["approvalTimeoutMs"] = *a.approvalTimeoutMs;
      if (!a.requests.empty()) y["requests"] = list(a.requests, [&](const RequestRule& r) { return request(r); });
      return origin(y, a.origin);
    });
    x["egress"] = list(t.egress, [&](const Destination& d) { return destination(d); });
    x["secrets"] = t.secrets;
    return origin(x, t.origin);
  }

  json secret(const Secret& s) {
    json x{{"name", s.name}};
    if (!s.description.empty()) x["description"] = s.description;
    x["source"] = s.source;
    if (s.hostFile) x["sourceKind"] = "file";
    x["scopes"] = s.scopes;
    if (!s.audience.empty()) x["audience"] = s.audience;
    if (s.ttlMs) x["ttlMs"] = *s.ttlMs;
    if (s.exposure) {
      json e{{"kind", nameOf(s.exposure->kind)}, {"target", s.exposure->target}};
      if (!s.exposure->tool.empty()) e["tool"] = s.exposure->tool;
      x["exposure"] = origin(e, s.exposure->origin);
    }
    if (s.injection) {
      json i{{"header", s.injection->header}, {"value", s.injection->value}, {"tool", s.injection->tool}};
      x["injection"] = origin(i, s.injection->origin);
    }
    return origin(x, s.origin);
  }

  json action(const SyscallAction& a) {
    json x{{"action", nameOf(a.kind)}};
    if (a.kind == SyscallActionKind::Errno) x["errno"] = a.errnoValue;
    return x;
  }

  json syscalls(const SyscallPolicy& p) {
    json x;
    x["declared"] = p.declared;
    x["default"] = action(p.defaultAction);
    json arches = json::array();
    for (auto a : p.arches) arches.push_back(nameOf(a));
    x["arches"] = arches;
    x["foreignArch"] = action(p.foreignArch);
    x["baseline"] = nameOf(p.baseline);
    x["rules"] = list(p.rules, [&](const SyscallRule& r) {
      json y{{"syscall", r.syscall}};
      y.update(action(r.action));
      y["conditions"] = list(r.conditions, [&](const ArgCondition& c) {
        json z{{"arg", c.arg}, {"op", nameOf(c.op)}};
        if (c.width != 0) z["width"] = c.width;
        if (c.op == CompareOp::MaskedEq) z["mask"] = c.mask;
        z["values"] = c.values;
        return z;
      });
      if (!r.groups.empty()) y["groups"] = r.groups;
      return origin(y, r.origin);
    });
    return x;
  }

  json limits(const Limits& l) {
    json x = json::object();
    auto put = [&](const char* key, const std::optional<LimitValue>& v) {
      if (v) x[key] = v->value;
    };
    put("memoryBytes", l.memoryBytes);
    put("pids", l.pids);
    put("cpuMs", l.cpuMs);
    put("openFiles", l.openFiles);
    put("fileSizeBytes", l.fileSizeBytes);
    return x;
  }

  const Model& model_;
  const JsonOptions& options_;
};

}  // namespace

std::string destinationKindName(Destination::Kind kind) {
  switch (kind) {
    case Destination::Kind::Host:
      return "host";
    case Destination::Kind::Wildcard:
      return "wildcard";
    case Destination::Kind::Any:
      return "any";
    case Destination::Kind::Ip:
      return "ip";
    case Destination::Kind::Cidr:
      return "cidr";
  }
  return "host";
}

namespace {

// The part of a workspace grant's path below the workspace; empty for the workspace itself.
std::string_view insideWorkspace(const PathGrant& p) {
  std::string_view path = p.path;
  std::string_view root = kWorkspaceMountPoint;
  return path.size() > root.size() + 1 ? path.substr(root.size() + 1) : std::string_view{};
}

}  // namespace

std::string describePath(const PathGrant& p) {
  if (!p.workspace) return fmt::format("`{}`", p.path);
  auto inside = insideWorkspace(p);
  return inside.empty() ? std::string("the workspace") : fmt::format("`{}` in the workspace", inside);
}

std::string policyPath(const PathGrant& p) {
  if (!p.workspace) return fmt::format("\"{}\"", p.path);
  auto inside = insideWorkspace(p);
  return inside.empty() ? std::string("workspace") : fmt::format("workspace \"{}\"", inside);
}

std::string describeAction(const SyscallAction& action) {
  if (action.kind == SyscallActionKind::Errno) return fmt::format("errno {}", action.errnoValue);
  return std::string(nameOf(action.kind));
}

json toJson(const ResolvedTask& task, const Model& model, const JsonOptions& options) {
  return Writer(model, options).task(task);
}

json toJson(const Model& model, const JsonOptions& options) {
  json tasks = json::array();
  for (const auto& t : model.tasks) tasks.push_back(toJson(t, model, options));
  return json{{"tasks", tasks}};
}

}  // namespace sbx::model
