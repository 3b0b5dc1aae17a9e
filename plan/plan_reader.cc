// The plan reader: plan.json -> plan::Plan. The schema is checked before anything else, so that a
// plan of another version gets one sentence saying so rather than a complaint about some field;
// then every field the writer always writes must be there with its type, and the first that is not
// is named by its JSON path (e.g. "task.tools[1].exec").
#include <limits>

#include <fmt/format.h>

#include "plan/plan_json.h"

namespace sbx::plan {

using json = nlohmann::json;

namespace {

struct PlanError {
  std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw PlanError{fmt::format("plan.json: {} {}", path, what)};
}

std::string at(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

const json& member(const json& object, const std::string& path, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) fail(at(path, key), "is missing");
  return *it;
}

const json& ofType(const json& value, bool ok, const std::string& path, const char* type) {
  if (!ok) fail(path, fmt::format("must be {}, not {}", type, value.type_name()));
  return value;
}

const json& objectAt(const json& object, const std::string& path, const char* key) {
  const json& v = member(object, path, key);
  return ofType(v, v.is_object(), at(path, key), "an object");
}

std::string text(const json& value, const std::string& path) {
  return ofType(value, value.is_string(), path, "a string").get<std::string>();
}

std::string text(const json& object, const std::string& path, const char* key) {
  return text(member(object, path, key), at(path, key));
}

// A string the writer leaves out when it is empty.
std::string textOrEmpty(const json& object, const std::string& path, const char* key) {
  return object.contains(key) ? text(object, path, key) : std::string();
}

std::optional<std::string> optionalText(const json& object, const std::string& path, const char* key) {
  if (!object.contains(key)) return std::nullopt;
  return text(object, path, key);
}

bool flag(const json& object, const std::string& path, const char* key) {
  const json& v = member(object, path, key);
  return ofType(v, v.is_boolean(), at(path, key), "true or false").get<bool>();
}

std::uint64_t unsignedAt(const json& object, const std::string& path, const char* key) {
  const json& v = member(object, path, key);
  return ofType(v, v.is_number_unsigned(), at(path, key), "an unsigned integer").get<std::uint64_t>();
}

std::optional<std::uint64_t> optionalUnsigned(const json& object, const std::string& path, const char* key) {
  if (!object.contains(key)) return std::nullopt;
  return unsignedAt(object, path, key);
}

int integerAt(const json& object, const std::string& path, const char* key) {
  const json& v = member(object, path, key);
  ofType(v, v.is_number_integer(), at(path, key), "an integer");
  auto n = v.get<std::int64_t>();
  if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max())
    fail(at(path, key), "is out of range");
  return static_cast<int>(n);
}

std::uint16_t portAt(const json& object, const std::string& path, const char* key) {
  std::uint64_t n = unsignedAt(object, path, key);
  if (n > 65535) fail(at(path, key), "is not a port");
  return static_cast<std::uint16_t>(n);
}

template <typename F>
auto listAt(const json& object, const std::string& path, const char* key, F read) {
  const json& v = member(object, path, key);
  std::string here = at(path, key);
  ofType(v, v.is_array(), here, "an array");
  std::vector<decltype(read(v, here))> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string item = fmt::format("{}[{}]", here, i);
    out.push_back(read(v[i], item));
  }
  return out;
}

std::vector<std::string> texts(const json& object, const std::string& path, const char* key) {
  return listAt(object, path, key, [](const json& v, const std::string& p) { return text(v, p); });
}

const json& objectItem(const json& v, const std::string& path) {
  return ofType(v, v.is_object(), path, "an object");
}

template <typename E>
E enumAt(const json& object, const std::string& path, const char* key, std::initializer_list<E> values) {
  std::string name = text(object, path, key);
  for (E e : values)
    if (nameOf(e) == name) return e;
  fail(at(path, key), fmt::format("has the unknown value \"{}\"", name));
}

Destination destination(const json& v, const std::string& p) {
  const json& o = objectItem(v, p);
  Destination d;
  d.text = text(o, p, "text");
  d.kind = enumAt(o, p, "kind",
                  {DestinationKind::Host, DestinationKind::Wildcard, DestinationKind::Any, DestinationKind::Ip,
                   DestinationKind::Cidr});
  d.host = textOrEmpty(o, p, "host");
  if (o.contains("address")) {
    d.address = text(o, p, "address");
    d.family = integerAt(o, p, "family");
    d.prefix = integerAt(o, p, "prefix");
  }
  d.portLow = portAt(o, p, "portLow");
  d.portHigh = portAt(o, p, "portHigh");
  d.protocol = text(o, p, "protocol");
  d.tool = textOrEmpty(o, p, "tool");
  return d;
}

std::vector<Destination> destinations(const json& object, const std::string& path, const char* key) {
  return listAt(object, path, key, destination);
}

RequestRule requestRule(const json& v, const std::string& p) {
  const json& o = objectItem(v, p);
  RequestRule r;
  r.method = text(o, p, "method");
  r.scheme = text(o, p, "scheme");
  r.host = text(o, p, "host");
  r.port = portAt(o, p, "port");
  r.path = text(o, p, "path");
  if (o.contains("query")) r.query = texts(o, p, "query");
  return r;
}

Tool tool(const json& v, const std::string& p) {
  const json& o = objectItem(v, p);
  Tool t;
  t.name = text(o, p, "name");
  t.description = textOrEmpty(o, p, "description");
  t.exec = textOrEmpty(o, p, "exec");
  t.system = textOrEmpty(o, p, "system");
  t.environment = optionalText(o, p, "environment");
  t.actions = listAt(o, p, "actions", [](const json& av, const std::string& ap) {
    const json& a = objectItem(av, ap);
    Action action;
    action.name = text(a, ap, "name");
    action.effect = text(a, ap, "effect");
    action.reversibility = optionalText(a, ap, "reversibility");
    action.approval = flag(a, ap, "approval");
    action.approver = textOrEmpty(a, ap, "approver");
    action.approvalTimeoutMs = optionalUnsigned(a, ap, "approvalTimeoutMs");
    if (a.contains("requests")) action.requests = listAt(a, ap, "requests", requestRule);
    return action;
  });
  t.egress = destinations(o, p, "egress");
  t.secrets = texts(o, p, "secrets");
  return t;
}

Secret secret(const json& v, const std::string& p) {
  const json& o = objectItem(v, p);
  Secret s;
  s.name = text(o, p, "name");
  s.description = textOrEmpty(o, p, "description");
  s.source = text(o, p, "source");
  s.scopes = texts(o, p, "scopes");
  s.audience = textOrEmpty(o, p, "audience");
  s.ttlMs = optionalUnsigned(o, p, "ttlMs");
  if (o.contains("exposure")) {
    const json& e = objectAt(o, p, "exposure");
    std::string ep = at(p, "exposure");
    s.exposure = SecretExposure{text(e, ep, "kind"), text(e, ep, "target"), textOrEmpty(e, ep, "tool")};
  }
  if (o.contains("injection")) {
    const json& i = objectAt(o, p, "injection");
    std::string ip = at(p, "injection");
    s.injection = SecretInjection{text(i, ip, "header"), text(i, ip, "value"), text(i, ip, "tool")};
  }
  return s;
}

Limits limits(const json& o, const std::string& p) {
  Limits l;
  l.memoryBytes = optionalUnsigned(o, p, "memoryBytes");
  l.pids = optionalUnsigned(o, p, "pids");
  l.cpuMs = optionalUnsigned(o, p, "cpuMs");
  l.openFiles = optionalUnsigned(o, p, "openFiles");
  l.fileSizeBytes = optionalUnsigned(o, p, "fileSizeBytes");
  return l;
}

void taskHeader(const json& o, const std::string& p, TaskDescription& t) {
  t.name = text(o, p, "name");
  t.qualifiedName = text(o, p, "qualifiedName");
  t.root = flag(o, p, "root");
  t.description = optionalText(o, p, "description");
  t.owner = optionalText(o, p, "owner");
  if (o.contains("identity")) {
    const json& id = objectAt(o, p, "identity");
    std::string ip = at(p, "identity");
    t.identity = Identity{text(id, ip, "kind"), text(id, ip, "value"), textOrEmpty(id, ip, "subject")};
  }
  t.timeoutMs = optionalUnsigned(o, p, "timeoutMs");
  if (o.contains("expectedTier")) t.expectedTier = integerAt(o, p, "expectedTier");
  t.maturity = optionalText(o, p, "maturity");
  t.facing = optionalText(o, p, "facing");
  t.lifecycle = text(o, p, "operator");
  t.network = enumAt(o, p, "network", {NetworkMode::Isolated, NetworkMode::Host});
  t.profiles = texts(o, p, "profiles");
}

PathEntry pathEntry(const json& v, const std::string& p) {
  return {text(objectItem(v, p), p, "path")};
}

TaskDescription task(const json& o, const std::string& p) {
  TaskDescription t;
  taskHeader(o, p, t);
  t.inputs = listAt(o, p, "inputs", [](const json& v, const std::string& ip) {
    const json& i = objectItem(v, ip);
    return Input{text(i, ip, "name"), text(i, ip, "trust"), text(i, ip, "sensitivity"), optionalText(i, ip, "source"),
                 textOrEmpty(i, ip, "location")};
  });
  t.paths = listAt(o, p, "paths", [](const json& v, const std::string& gp) {
    const json& g = objectItem(v, gp);
    return PathGrant{text(g, gp, "path"), text(g, gp, "access"), flag(g, gp, "workspace"), texts(g, gp, "flags"),
                     textOrEmpty(g, gp, "sha256")};
  });
  t.scratch = listAt(o, p, "scratch", [](const json& v, const std::string& sp) {
    const json& s = objectItem(v, sp);
    return Scratch{text(s, sp, "path"), optionalUnsigned(s, sp, "sizeBytes")};
  });
  t.masks = listAt(o, p, "masks", pathEntry);
  t.devices = listAt(o, p, "devices", pathEntry);
  t.capabilities = listAt(o, p, "capabilities", [](const json& v, const std::string& cp) {
    return Capability{text(objectItem(v, cp), cp, "name")};
  });
  t.egress = destinations(o, p, "egress");
  t.tools = listAt(o, p, "tools", tool);
  t.secrets = listAt(o, p, "secrets", secret);
  t.limits = limits(objectAt(o, p, "limits"), at(p, "limits"));
  t.env = listAt(o, p, "env", [](const json& v, const std::string& ep) {
    const json& e = objectItem(v, ep);
    return EnvVar{text(e, ep, "name"), optionalText(e, ep, "value")};
  });
  t.delegations = listAt(o, p, "delegations", [](const json& v, const std::string& dp) {
    const json& d = objectItem(v, dp);
    return Delegation{text(d, dp, "task"), texts(d, dp, "passes"), texts(d, dp, "secrets")};
  });
  t.suppressions = listAt(o, p, "suppressions", [](const json& v, const std::string& sp) {
    const json& s = objectItem(v, sp);
    return Suppression{text(s, sp, "rule"), text(s, sp, "reason"), optionalText(s, sp, "until")};
  });
  return t;
}

Mount mount(const json& v, const std::string& p) {
  const json& o = objectItem(v, p);
  Mount m;
  m.type = enumAt(o, p, "type",
                  {MountType::Bind, MountType::Workspace, MountType::Tmpfs, MountType::Mask, MountType::Device});
  m.source = textOrEmpty(o, p, "source");
  m.target = text(o, p, "target");
  m.readOnly = flag(o, p, "readOnly");
  m.nosuid = flag(o, p, "nosuid");
  m.nodev = flag(o, p, "nodev");
  m.noexec = flag(o, p, "noexec");
  m.sizeBytes = optionalUnsigned(o, p, "sizeBytes");
  m.sha256 = textOrEmpty(o, p, "sha256");
  return m;
}

TokenScope token(const json& v, const std::string& p) {
  const json& o = objectItem(v, p);
  TokenScope t;
  t.secret = text(o, p, "secret");
  t.source = text(o, p, "source");
  if (o.contains("sourceKind")) {
    if (text(o, p, "sourceKind") != "file") fail(at(p, "sourceKind"), "is not \"file\"");
    t.hostFile = true;
  }
  t.subject = text(o, p, "subject");
  t.audience = text(o, p, "audience");
  t.scopes = texts(o, p, "scopes");
  t.ttlMs = unsignedAt(o, p, "ttlMs");
  t.tool = textOrEmpty(o, p, "tool");
  t.toolExec = textOrEmpty(o, p, "toolExec");
  const json& e = objectAt(o, p, "exposure");
  std::string ep = at(p, "exposure");
  t.exposure = enumAt(e, ep, "kind", {ExposureKind::File, ExposureKind::Env});
  t.exposureTarget = text(e, ep, "target");
  return t;
}

SeccompEntry seccomp(const json& o, const std::string& p) {
  SeccompEntry s;
  s.file = text(o, p, "file");
  s.sha256 = text(o, p, "sha256");
  s.instructions = unsignedAt(o, p, "instructions");
  s.codegen = text(o, p, "codegen");
  s.tier = integerAt(o, p, "tier");
  s.defaultAction = text(o, p, "defaultAction");
  s.foreignArchAction = text(o, p, "foreignArchAction");
  s.arches = texts(o, p, "arches");
  s.disassembly = text(o, p, "disassembly");
  s.profile = text(o, p, "profile");
  return s;
}

Plan plan(const json& j) {
  Plan out;
  const json& compiler = objectAt(j, "", "compiler");
  out.compilerName = text(compiler, "compiler", "name");
  out.compilerVersion = text(compiler, "compiler", "version");
  out.compilerStdlib = optionalText(compiler, "compiler", "stdlib").value_or("");
  out.task = task(objectAt(j, "", "task"), "task");
  out.mounts = listAt(j, "", "mounts", mount);
  out.egress = destinations(j, "", "egress");
  out.tokens = listAt(j, "", "tokens", token);
  out.tier = integerAt(j, "", "tier");
  if (!j.contains("seccomp")) throw PlanError{"plan.json names no seccomp filter; recompile it with this sbxc"};
  out.seccomp = seccomp(objectAt(j, "", "seccomp"), "seccomp");
  return out;
}

}  // namespace

std::optional<Plan> fromJson(const json& j, std::string& error) {
  if (!j.is_object()) {
    error = "plan.json is not a JSON object";
    return std::nullopt;
  }
  auto schema = j.find("schema");
  if (schema == j.end() || !schema->is_string()) {
    error = fmt::format("plan.json names no schema; this sbx-run reads {}: recompile the policy with its sbxc",
                        kPlanSchema);
    return std::nullopt;
  }
  if (schema->get<std::string>() != kPlanSchema) {
    error = fmt::format(
        "plan.json has schema {}; this sbx-run reads {}: recompile the policy with the sbxc of the same version",
        schema->get<std::string>(), kPlanSchema);
    return std::nullopt;
  }
  try {
    return plan(j);
  } catch (const PlanError& e) {
    error = e.message;
    return std::nullopt;
  }
}

std::optional<Plan> parsePlan(std::string_view text, std::string& error) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    error = "plan.json is not valid JSON";
    return std::nullopt;
  }
  return fromJson(j, error);
}

}  // namespace sbx::plan
