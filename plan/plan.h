// The compiled plan (plan.json): the versioned contract between the compiler (`sbxc compile`
// builds it, compiler/backends), the exporters (compiler/exporters) and the launcher (runtime/).
// Each stage works on this type; only plan_writer.cc and plan_reader.cc know its JSON form, so
// that a field is renamed in one place and a plan of another version is refused with one message.
//
// Fields are plain data: what the JSON holds, after the compiler resolved the policy. A field the
// JSON omits when it is absent is a std::optional (or, where the compiler writes it only when
// non-empty, an empty string or list).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/workspace.h"

namespace sbx::plan {

constexpr const char* kPlanSchema = "sbxc.plan/v2";

// ---- the task, as the policy declared it (model_json's description without the syscall rules)

struct Identity {
  std::string kind;     // "spiffe", "oidc", ...
  std::string value;    // the SPIFFE ID or issuer
  std::string subject;  // OIDC subject; written only when non-empty
};

struct Input {
  std::string name, trust, sensitivity;
  std::optional<std::string> source;
  std::string location;  // written only when non-empty
};

struct PathGrant {
  std::string path;
  std::string access;  // "read", "write", "exec"
  bool workspace = false;
  std::vector<std::string> flags;  // "nosuid", "nodev", "noexec"
  std::string sha256 = {};         // exec: the pinned digest; written only when non-empty
};

struct Scratch {
  std::string path;
  std::optional<std::uint64_t> sizeBytes;
};

struct PathEntry {  // a mask or a device
  std::string path;
};

struct Capability {
  std::string name;
};

enum class DestinationKind { Host, Wildcard, Any, Ip, Cidr };

struct Destination {
  std::string text;  // canonical form, e.g. "*.github.com:443"
  DestinationKind kind = DestinationKind::Host;
  std::string host;     // Host, Wildcard (suffix without "*."); written only when non-empty
  std::string address;  // Ip, Cidr; family and prefix are written with it
  int family = 0, prefix = 0;
  std::uint16_t portLow = 0, portHigh = 0;  // inclusive
  std::string protocol;                     // "tcp", "udp"
  std::string tool;                         // the tool that alone may use it; empty: the task
};

// One HTTP request an action consists of: what sbx-run's inspecting proxy lets the action's tool
// send. The path is a pattern: literal segments, named segments ("{id}": exactly one segment) and
// an optional trailing "**" (any rest, including none). `query` holds constraints that must all
// hold: "name" (present) or "name=value" (present with exactly that decoded value).
struct RequestRule {
  std::string method;  // upper case, e.g. "GET"
  std::string scheme;  // "https" or "http"
  std::string host;    // a host name (lower case, no trailing dot) or an address literal
  std::uint16_t port = 0;
  std::string path;                // begins with "/"
  std::vector<std::string> query;  // written only when non-empty
};

struct Action {
  std::string name, effect;
  std::optional<std::string> reversibility;
  bool approval = false;
  std::string approver;                            // written only when non-empty
  std::optional<std::uint64_t> approvalTimeoutMs;  // with approval: how long a request is held
  std::vector<RequestRule> requests;               // written only when non-empty
};

struct Tool {
  std::string name;
  std::string description, exec, system;  // written only when non-empty
  std::optional<std::string> environment;
  std::vector<Action> actions;
  std::vector<Destination> egress;
  std::vector<std::string> secrets;
};

struct SecretExposure {
  std::string kind;  // "file", "env"
  std::string target;
  std::string tool;  // written only when non-empty
};

// A secret the proxy adds to a tool's requests instead of exposing it: the sandbox never holds
// it. `value` is the header's value with "{token}" where the secret goes, e.g. "Bearer {token}".
struct SecretInjection {
  std::string header;  // e.g. "Authorization"
  std::string value;
  std::string tool;  // the tool whose matching requests (to the secret's audience, over TLS) get it
};

struct Secret {
  std::string name;
  std::string description;  // written only when non-empty
  std::string source;
  std::vector<std::string> scopes;
  std::string audience;  // written only when non-empty
  std::optional<std::uint64_t> ttlMs;
  std::optional<SecretExposure> exposure;
  std::optional<SecretInjection> injection;
};

struct Limits {
  std::optional<std::uint64_t> memoryBytes, pids, cpuMs, openFiles, fileSizeBytes;
};

struct EnvVar {
  std::string name;
  std::optional<std::string> value;  // absent: passed through from the launcher's environment
};

struct Delegation {
  std::string task;  // qualified name
  std::vector<std::string> passes, secrets;
};

struct Suppression {
  std::string rule, reason;
  std::optional<std::string> until;  // YYYY-MM-DD
};

enum class NetworkMode { Isolated, Host };

struct TaskDescription {
  std::string name, qualifiedName;
  bool root = false;
  std::optional<std::string> description, owner;
  std::optional<Identity> identity;
  std::optional<std::uint64_t> timeoutMs;
  std::optional<int> expectedTier;
  std::optional<std::string> maturity, facing;
  std::string lifecycle = "ephemeral";  // JSON "operator"
  NetworkMode network = NetworkMode::Isolated;
  std::vector<std::string> profiles;
  std::vector<Input> inputs;
  std::vector<PathGrant> paths;
  std::vector<Scratch> scratch;
  std::vector<PathEntry> masks, devices;
  std::vector<Capability> capabilities;
  std::vector<Destination> egress;  // the task's own; tools carry theirs
  std::vector<Tool> tools;
  std::vector<Secret> secrets;
  Limits limits;
  std::vector<EnvVar> env;
  std::vector<Delegation> delegations;
  std::vector<Suppression> suppressions;
};

// ---- what the launcher does, derived by the compiler

enum class MountType { Bind, Workspace, Tmpfs, Mask, Device };

struct Mount {
  MountType type = MountType::Bind;
  std::string source;  // host path for Bind and Device; empty (and not written) otherwise
  std::string target;  // path inside the sandbox
  bool readOnly = true;
  bool nosuid = true, nodev = true, noexec = false;
  std::optional<std::uint64_t> sizeBytes;  // Tmpfs
  // Bind or Workspace of a pinned executable: the SHA-256 its file must have, checked by the
  // launcher on the descriptor it mounts; written only when non-empty.
  std::string sha256 = {};
};

// Inject: sbx-run's own, never in plan.json: a token minted for the inspecting proxy to add to a
// tool's requests (runtime/injected_tokens.h), which reaches nothing in the sandbox.
enum class ExposureKind { File, Env, Inject };

// One just-in-time token the launcher's broker mints (backends/token_plan.h).
struct TokenScope {
  std::string secret, source, subject, audience;
  // `source file`: `source` is a host file that the launcher copies as it is (nothing is minted,
  // nothing can be revoked; ttlMs is 0). plan.json: "sourceKind": "file".
  bool hostFile = false;
  std::vector<std::string> scopes;
  std::uint64_t ttlMs = 0;
  std::string tool;      // the tool that alone may see it; empty: the task
  std::string toolExec;  // that tool's executable; empty when it declares none
  ExposureKind exposure = ExposureKind::File;
  std::string exposureTarget;  // a file path or a variable name
};

// The compiled filter's entry: the files beside plan.json and what they hold.
struct SeccompEntry {
  std::string file = "seccomp.bpf";
  std::string sha256;
  std::uint64_t instructions = 0;
  std::string codegen;  // "sbxc", "libseccomp"
  int tier = 0;
  std::string defaultAction, foreignArchAction;
  std::vector<std::string> arches;
  std::string disassembly = "seccomp.pfc";
  std::string profile = "seccomp.json";
};

struct Plan {
  std::string compilerName = "sbxc";
  std::string compilerVersion;
  // "sha256:<hex>" of the stdlib the policy was compiled with (docs/contracts.md): a new sbxc
  // whose stdlib differs shows in a diff of the plans. Empty when unknown (not written).
  std::string compilerStdlib;
  TaskDescription task;
  std::vector<Mount> mounts;
  // The allowlist the launcher's egress proxy enforces: the task's destinations, then each tool's.
  std::vector<Destination> egress;
  std::vector<TokenScope> tokens;
  int tier = 0;  // the classifier's
  SeccompEntry seccomp;
};

}  // namespace sbx::plan
