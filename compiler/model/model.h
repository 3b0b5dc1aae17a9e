// The resolved, normalized model: what every stage after the front end reads (classifier,
// backends, exporters, launcher plan). Names are resolved across imports, profiles are merged
// in, syscall groups are expanded, units are parsed and paths and destinations are normalized.
// Every element keeps the Span of the declaration it came from, so findings can point at it.
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "diag/source.h"
#include "model/enums.h"
#include "util/workspace.h"

namespace sbx::model {

// Where an element was declared, and through which profiles (outermost first) it was included.
struct Origin {
  Span span;
  std::vector<std::string> via;
};

struct Date {
  int year = 0, month = 0, day = 0;
  friend auto operator<=>(const Date&, const Date&) = default;
};

struct Suppression {
  std::string rule;  // as written: "SBX1003" or "wildcard-egress"
  std::string reason;
  std::optional<Date> until;
  Span span;    // the @suppress attribute
  Span target;  // the declaration it silences; a finding inside this span matches
};

struct Identity {
  IdentityKind kind;
  std::string value;    // SPIFFE ID, OIDC issuer, or the person's address
  std::string subject;  // OIDC subject
  Origin origin;
};

struct Input {
  std::string name;
  Trust trust;
  Sensitivity sensitivity;
  std::optional<InputSource> source;
  std::string location;
  Origin origin;
};

struct MountFlags {
  bool nosuid = false, nodev = false, noexec = false;
  friend bool operator==(const MountFlags&, const MountFlags&) = default;
};

struct PathGrant {
  std::string path;        // absolute and normalized; kWorkspaceMountPoint for the workspace, below it inside
  bool workspace = false;  // the host directory supplied at launch, or a path inside it
  Access access;
  MountFlags flags;  // as declared; the mount planner adds its defaults
  Origin origin;
  std::string sha256 = {};  // exec: the digest the executable is pinned to (lower-case hex); empty when unpinned
};

// How a path grant reads in messages: "the workspace", "`bin` in the workspace", "`/usr`".
std::string describePath(const PathGrant& p);
// How it is written in policy text: `workspace`, `workspace "bin"`, `"/usr"`.
std::string policyPath(const PathGrant& p);

struct Scratch {
  std::string path;
  std::optional<std::uint64_t> sizeBytes;
  Origin origin;
};

struct PathDecl {  // masks and devices
  std::string path;
  Origin origin;
};

struct Capability {
  std::string name;  // canonical "CAP_NET_ADMIN"
  Origin origin;
};

struct Destination {
  enum class Kind { Host, Wildcard, Any, Ip, Cidr };
  Kind kind;
  std::string host;                         // Host: the name; Wildcard: the suffix without "*."; lower case
  std::string address;                      // Ip and Cidr: canonical address text
  int family = 0;                           // 4 or 6 for Ip and Cidr
  int prefix = 0;                           // Cidr prefix length (32 or 128 for a single Ip)
  std::uint16_t portLow = 0, portHigh = 0;  // inclusive; 0-65535 for "*"
  Protocol protocol = Protocol::Tcp;
  std::string text;  // canonical form, e.g. "*.github.com:443", "[2001:db8::/32]:443"
  std::string tool;  // the tool that alone may use it; empty for the task
  Origin origin;
};

// One HTTP request an action consists of (`request PATCH "https://host/api/{id}/labels"`): what
// sbx-run's inspecting proxy lets the action's tool send (plan::RequestRule says what each field
// holds). The path is a pattern: literal segments, `{name}` segments and an optional trailing `**`.
struct RequestRule {
  std::string method;  // upper case
  std::string scheme;  // "https" or "http"
  std::string host;    // lower-case host name, or an address (IPv6 without brackets)
  std::uint16_t port = 0;
  std::string path;
  std::vector<std::string> query;  // "name" (present) or "name=value"
  Span span;

  // "https://host:port/path" (IPv6 in brackets), the port always written.
  std::string url() const {
    bool v6 = host.find(':') != std::string::npos;
    return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + path;
  }
};

// How long a request of an action with `approval` is held before it is denied.
constexpr std::uint64_t kDefaultApprovalTimeoutMs = 5 * 60 * 1000;
constexpr std::uint64_t kMaxApprovalTimeoutMs = 60 * 60 * 1000;

struct Action {
  std::string name;
  Effect effect;
  std::optional<Reversibility> reversibility;
  bool approval = false;
  std::string approver;  // group named by `approval by "..."`
  Origin origin;
  // `to "..."`: the recipients, channels or address patterns a send action's data goes to.
  // Empty: anywhere the tool can reach.
  std::vector<std::string> sinks;
  std::optional<std::uint64_t> approvalTimeoutMs;  // with approval: as declared, or the default
  std::vector<RequestRule> requests;               // empty: the proxy cannot tell its requests apart
};

struct Tool {
  std::string name;
  std::string description;
  std::string exec;
  std::string system;
  std::optional<SystemEnvironment> environment;
  std::vector<Action> actions;
  std::vector<Destination> egress;
  std::vector<std::string> secrets;  // names of the task's secrets this tool alone uses
  Origin origin;
  Span nameSpan, execSpan;  // for findings about the tool's executable
};

struct Exposure {
  ExposureKind kind = ExposureKind::File;
  std::string target;  // file path (default /run/secrets/NAME) or environment variable name
  std::string tool;    // the one tool that sees it; empty: the task's own process
  Origin origin;
};

// `inject header "Authorization" "Bearer {token}" for TOOL`: the proxy adds the secret to the
// tool's requests that match its request rules (on the secret's audience, when it has one, and
// over TLS only); the sandbox never holds it.
struct Injection {
  std::string header;  // e.g. "Authorization"
  std::string value;   // the template, with "{token}" where the secret goes
  std::string tool;
  Origin origin;
};

struct Secret {
  std::string name;
  std::string description;
  std::string source;
  bool hostFile = false;  // `source file "PATH"`: a static host credential, not minted
  std::vector<std::string> scopes;
  std::string audience;
  std::optional<std::uint64_t> ttlMs;
  std::optional<Exposure> exposure;
  std::optional<Injection> injection;  // exclusive with exposure
  Origin origin;
};

struct EnvVar {
  std::string name;
  std::optional<std::string> value;  // absent: passed through from the launcher's environment
  Origin origin;
};

struct Delegation {
  std::size_t task = 0;  // index into Model::tasks
  std::string target;    // as written, e.g. "common.reviewer"
  std::vector<PassKind> passes;
  std::vector<std::string> secrets;  // `passing secret NAME`
  Origin origin;
};

struct SyscallAction {
  SyscallActionKind kind = SyscallActionKind::Allow;
  int errnoValue = 0;  // for Errno
  friend bool operator==(const SyscallAction&, const SyscallAction&) = default;
};

struct ArgCondition {
  unsigned arg = 0;    // 0-5
  unsigned width = 0;  // 0: the backend's per-syscall default, else 32 or 64
  CompareOp op = CompareOp::Eq;
  std::uint64_t mask = 0;             // MaskedEq
  std::vector<std::uint64_t> values;  // one, or several for In
  Span span;
  friend bool operator==(const ArgCondition& a, const ArgCondition& b) {
    return a.arg == b.arg && a.width == b.width && a.op == b.op && a.mask == b.mask && a.values == b.values;
  }
};

struct SyscallRule {
  std::string syscall;
  SyscallAction action;
  std::vector<ArgCondition> conditions;  // all must hold
  std::vector<std::string> groups;       // groups it was expanded from, outermost first
  Origin origin;
};

struct SyscallPolicy {
  bool declared = false;
  SyscallAction defaultAction{SyscallActionKind::Errno, 1};  // EPERM unless declared
  Origin defaultOrigin;
  std::vector<Arch> arches{Arch::X86_64};
  SyscallAction foreignArch{SyscallActionKind::Kill, 0};  // x32 and i386 on x86_64
  Switch baseline = Switch::On;
  Origin baselineOrigin;
  std::vector<SyscallRule> rules;  // in declaration order
};

struct LimitValue {
  std::uint64_t value = 0;  // bytes, count, or milliseconds (cpu)
  Origin origin;
};

struct Limits {
  std::optional<LimitValue> memoryBytes, pids, cpuMs, openFiles, fileSizeBytes;
};

template <typename T>
struct Setting {  // a single-valued statement and where it was declared
  T value{};
  Origin origin;
};

// One task after name resolution, profiles and imports: what the classifier judges and the
// backends compile (ast::TaskDecl is the task as written, plan::TaskDescription and
// run::CompiledTask the task as compiled and as sbx-run loads it).
struct ResolvedTask {
  std::string name;
  std::string qualifiedName;  // unique across the model: "name" in the root file, else "alias.name"
  FileId file = kNoFile;
  Span span;
  bool root = true;  // declared in the file being compiled (false: reached by delegation)

  std::optional<Setting<std::string>> description, owner;
  std::optional<Identity> identity;
  std::optional<Setting<std::uint64_t>> timeoutMs;
  std::optional<Setting<int>> expectedTier;
  std::optional<Setting<Maturity>> maturity;
  std::optional<Setting<Facing>> facing;
  std::optional<Setting<Lifecycle>> lifecycle;
  std::optional<Setting<NetworkMode>> network;

  std::vector<Input> inputs;
  std::vector<PathGrant> paths;
  std::vector<Scratch> scratch;
  std::vector<PathDecl> masks, devices;
  std::vector<Capability> capabilities;
  std::vector<Destination> egress;  // task-level; tools carry their own
  std::vector<Tool> tools;
  std::vector<Secret> secrets;
  SyscallPolicy syscalls;
  Limits limits;
  std::vector<EnvVar> env;
  std::vector<Delegation> delegations;
  std::vector<Suppression> suppressions;
  std::vector<std::string> profiles;  // profiles applied, in order
};

// Every destination of the task: its own, then its tools', in declaration order.
inline std::vector<const Destination*> allDestinations(const ResolvedTask& task) {
  std::vector<const Destination*> out;
  for (const auto& d : task.egress) out.push_back(&d);
  for (const auto& tool : task.tools)
    for (const auto& d : tool.egress) out.push_back(&d);
  return out;
}

// Whether anyone is given the secret: an `expose` (for the task, or for a tool), an `inject`
// (into a tool's requests, by the proxy), a tool that `uses secret` it, or a delegation that
// passes it. A secret given to nobody is not minted.
inline bool secretGiven(const ResolvedTask& task, const Secret& secret) {
  if (secret.exposure || secret.injection) return true;
  for (const auto& tool : task.tools)
    for (const auto& s : tool.secrets)
      if (s == secret.name) return true;
  for (const auto& d : task.delegations) {
    bool allCredentials =
        d.secrets.empty() && std::find(d.passes.begin(), d.passes.end(), PassKind::Credentials) != d.passes.end();
    if (allCredentials || std::find(d.secrets.begin(), d.secrets.end(), secret.name) != d.secrets.end()) return true;
  }
  return false;
}

struct Model {
  std::vector<ResolvedTask> tasks;  // root tasks first, in declaration order; then delegation targets
  // The stdlib the policy was resolved with (frontend/stdlib_digest.h), 64 hex digits; empty
  // when it could not be read.
  std::string stdlibDigest;
};

}  // namespace sbx::model
