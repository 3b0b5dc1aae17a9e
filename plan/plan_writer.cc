// The plan writer: plan::Plan -> plan.json. Key order, and which keys are left out when empty,
// are the file format that the goldens (tests/goldens/*/sbx/*/plan.json) pin.
#include "plan/plan_json.h"

namespace sbx::plan {

using json = nlohmann::ordered_json;

namespace {

template <typename T, typename F>
json list(const std::vector<T>& items, F f) {
  json a = json::array();
  for (const auto& item : items) a.push_back(f(item));
  return a;
}

void putIfSet(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

template <typename T>
void putIfSet(json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}

json requestJson(const RequestRule& r) {
  json x{{"method", r.method}, {"scheme", r.scheme}, {"host", r.host}, {"port", r.port}, {"path", r.path}};
  if (!r.query.empty()) x["query"] = r.query;
  return x;
}

json toolJson(const Tool& t) {
  json x{{"name", t.name}};
  putIfSet(x, "description", t.description);
  putIfSet(x, "exec", t.exec);
  putIfSet(x, "system", t.system);
  putIfSet(x, "environment", t.environment);
  x["actions"] = list(t.actions, [](const Action& a) {
    json y{{"name", a.name}, {"effect", a.effect}};
    putIfSet(y, "reversibility", a.reversibility);
    y["approval"] = a.approval;
    putIfSet(y, "approver", a.approver);
    putIfSet(y, "approvalTimeoutMs", a.approvalTimeoutMs);
    if (!a.requests.empty()) y["requests"] = list(a.requests, requestJson);
    return y;
  });
  x["egress"] = list(t.egress, [](const Destination& d) { return toJson(d); });
  x["secrets"] = t.secrets;
  return x;
}

json secretJson(const Secret& s) {
  json x{{"name", s.name}};
  putIfSet(x, "description", s.description);
  x["source"] = s.source;
  x["scopes"] = s.scopes;
  putIfSet(x, "audience", s.audience);
  putIfSet(x, "ttlMs", s.ttlMs);
  if (s.exposure) {
    json e{{"kind", s.exposure->kind}, {"target", s.exposure->target}};
    putIfSet(e, "tool", s.exposure->tool);
    x["exposure"] = e;
  }
  if (s.injection)
    x["injection"] = {{"header", s.injection->header}, {"value", s.injection->value}, {"tool", s.injection->tool}};
  return x;
}

json limitsJson(const Limits& l) {
  json x = json::object();
  putIfSet(x, "memoryBytes", l.memoryBytes);
  putIfSet(x, "pids", l.pids);
  putIfSet(x, "cpuMs", l.cpuMs);
  putIfSet(x, "openFiles", l.openFiles);
  putIfSet(x, "fileSizeBytes", l.fileSizeBytes);
  return x;
}

// The task's declared policy: everything but its lists of grants.
json taskHeader(const TaskDescription& t) {
  json j;
  j["name"] = t.name;
  j["qualifiedName"] = t.qualifiedName;
  j["root"] = t.root;
  putIfSet(j, "description", t.description);
  putIfSet(j, "owner", t.owner);
  if (t.identity) {
    json id{{"kind", t.identity->kind}, {"value", t.identity->value}};
    putIfSet(id, "subject", t.identity->subject);
    j["identity"] = id;
  }
  putIfSet(j, "timeoutMs", t.timeoutMs);
  putIfSet(j, "expectedTier", t.expectedTier);
  putIfSet(j, "maturity", t.maturity);
  putIfSet(j, "facing", t.facing);
  j["operator"] = t.lifecycle;
  j["network"] = nameOf(t.network);
  j["profiles"] = t.profiles;
  return j;
}

json taskJson(const TaskDescription& t) {
  json j = taskHeader(t);
  j["inputs"] = list(t.inputs, [](const Input& in) {
    json x{{"name", in.name}, {"trust", in.trust}, {"sensitivity", in.sensitivity}};
    putIfSet(x, "source", in.source);
    putIfSet(x, "location", in.location);
    return x;
  });
  j["paths"] = list(t.paths, [](const PathGrant& p) {
    json x{{"path", p.path}, {"access", p.access}, {"workspace", p.workspace}, {"flags", p.flags}};
    putIfSet(x, "sha256", p.sha256);
    return x;
  });
  j["scratch"] = list(t.scratch, [](const Scratch& s) {
    json x{{"path", s.path}};
    putIfSet(x, "sizeBytes", s.sizeBytes);
    return x;
  });
  j["masks"] = list(t.masks, [](const PathEntry& p) { return json{{"path", p.path}}; });
  j["devices"] = list(t.devices, [](const PathEntry& p) { return json{{"path", p.path}}; });
  j["capabilities"] = list(t.capabilities, [](const Capability& c) { return json{{"name", c.name}}; });
  j["egress"] = list(t.egress, [](const Destination& d) { return toJson(d); });
  j["tools"] = list(t.tools, toolJson);
  j["secrets"] = list(t.secrets, secretJson);
  j["limits"] = limitsJson(t.limits);
  j["env"] = list(t.env, [](const EnvVar& e) {
    json x{{"name", e.name}};
    putIfSet(x, "value", e.value);
    return x;
  });
  j["delegations"] = list(t.delegations, [](const Delegation& d) {
    return json{{"task", d.task}, {"passes", d.passes}, {"secrets", d.secrets}};
  });
  j["suppressions"] = list(t.suppressions, [](const Suppression& s) {
    json x{{"rule", s.rule}, {"reason", s.reason}};
    putIfSet(x, "until", s.until);
    return x;
  });
  return j;
}

json mountJson(const Mount& m) {
  json j;
  j["type"] = nameOf(m.type);
  putIfSet(j, "source", m.source);
  j["target"] = m.target;
  j["readOnly"] = m.readOnly;
  j["nosuid"] = m.nosuid;
  j["nodev"] = m.nodev;
  j["noexec"] = m.noexec;
  putIfSet(j, "sizeBytes", m.sizeBytes);
  putIfSet(j, "sha256", m.sha256);
  return j;
}

json tokenJson(const TokenScope& t) {
  json entry{{"secret", t.secret},     {"source", t.source}, {"subject", t.subject},
             {"audience", t.audience}, {"scopes", t.scopes}, {"ttlMs", t.ttlMs}};
  if (t.hostFile) entry["sourceKind"] = "file";
  putIfSet(entry, "tool", t.tool);
  putIfSet(entry, "toolExec", t.toolExec);
  entry["exposure"] = {{"kind", nameOf(t.exposure)}, {"target", t.exposureTarget}};
  return entry;
}

json seccompJson(const SeccompEntry& s) {
  json j;
  j["file"] = s.file;
  j["sha256"] = s.sha256;
  j["instructions"] = s.instructions;
  j["codegen"] = s.codegen;
  j["tier"] = s.tier;
  j["defaultAction"] = s.defaultAction;
  j["foreignArchAction"] = s.foreignArchAction;
  j["arches"] = s.arches;
  j["disassembly"] = s.disassembly;
  j["profile"] = s.profile;
  return j;
}

}  // namespace

json toJson(const Destination& d) {
  json x{{"text", d.text}, {"kind", nameOf(d.kind)}};
  putIfSet(x, "host", d.host);
  if (!d.address.empty()) {
    x["address"] = d.address;
    x["family"] = d.family;
    x["prefix"] = d.prefix;
  }
  x["portLow"] = d.portLow;
  x["portHigh"] = d.portHigh;
  x["protocol"] = d.protocol;
  putIfSet(x, "tool", d.tool);
  return x;
}

json toJson(const Plan& plan) {
  json j;
  j["schema"] = kPlanSchema;
  j["compiler"] = {{"name", plan.compilerName}, {"version", plan.compilerVersion}};
  putIfSet(j["compiler"], "stdlib", plan.compilerStdlib);
  j["task"] = taskJson(plan.task);
  j["mounts"] = list(plan.mounts, mountJson);
  j["egress"] = list(plan.egress, [](const Destination& d) { return toJson(d); });
  j["tokens"] = list(plan.tokens, tokenJson);
  j["tier"] = plan.tier;
  j["seccomp"] = seccompJson(plan.seccomp);
  return j;
}

std::string renderPlan(const Plan& plan) {
  return toJson(plan).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace sbx::plan
