// The typed AST: one struct per construct, built straight from the parse tree by
// ast_builder.cc. Values are already checked and parsed (units, paths, destinations, enum
// words); names are not yet resolved, which is resolve.cc's job.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "diag/source.h"
#include "model/enums.h"
#include "model/model.h"

namespace sbx::ast {

struct Ident {
  std::string text;
  Span span;
};

struct QualifiedName {
  std::vector<Ident> parts;
  Span span;
  std::string joined() const;
};

struct Str {
  std::string value;  // unescaped
  Span span;
};

template <typename T>
struct Value {  // a checked value and the text it came from
  T value{};
  Span span;
};

struct Statement {
  Span span;
  std::vector<model::Suppression> suppressions;
};

struct Use : Statement {
  std::vector<QualifiedName> targets;
};
struct TextSetting : Statement {
  Str text;
};
struct Identity : Statement {
  model::IdentityKind kind;
  Str value;
  std::optional<Str> subject;
};
template <typename T>
struct Setting : Statement {
  Value<T> value;
};
struct Input : Statement {
  Ident name;
  model::Trust trust;
  model::Sensitivity sensitivity;
  std::optional<model::InputSource> source;
  std::optional<Str> location;
};
struct PathRef {
  bool workspace = false;
  std::string path;  // normalized; kWorkspaceMountPoint for the workspace, below it for a path inside
  Span span;
  std::string sha256 = {};  // exec: the pinned digest, 64 lower-case hex digits; empty when unpinned
};
struct Paths : Statement {
  model::Access access;
  std::vector<PathRef> paths;
  model::MountFlags flags;
};
struct Scratch : Statement {
  PathRef path;
  std::optional<Value<std::uint64_t>> size;
};
struct PathList : Statement {
  std::vector<PathRef> paths;
};  // mask, device
struct Capabilities : Statement {
  std::vector<Value<std::string>> names;
};
struct Connect : Statement {
  std::vector<model::Destination> destinations;
};
struct EnvItem {
  Ident name;
  std::optional<Str> value;
  Span span;
};
struct Env : Statement {
  std::vector<EnvItem> items;
};
struct PassItem {
  model::PassKind kind;
  std::optional<Ident> secret;
  Span span;
};
struct Delegate : Statement {
  QualifiedName target;
  std::vector<PassItem> passes;
};

// `request METHOD "URL" [query "C", ...]` in an action's body: checked and parsed (method, URL,
// path pattern, query constraints) by the builder (frontend/values_http.h).
struct Request : Statement {
  model::RequestRule rule;
};
struct Action : Statement {
  Ident name;
  Value<model::Effect> effect;
  std::optional<model::Reversibility> reversibility;
  bool approval = false;
  std::optional<Str> approver;
  std::optional<Value<std::uint64_t>> approvalTimeoutMs;  // `approval ... timeout DURATION`
  std::vector<Str> sinks;                                 // `to "..."`: where a send action's data goes
  std::vector<Request> requests;                          // `{ request ... }`
};
struct System : Statement {
  Str name;
  std::optional<model::SystemEnvironment> environment;
};
struct Uses : Statement {
  std::vector<Ident> secrets;
};
struct Tool : Statement {
  Ident name;
  std::optional<TextSetting> description;
  std::optional<Setting<std::string>> exec;
  std::optional<System> system;
  std::vector<Action> actions;
  std::vector<Connect> connects;
  std::vector<Uses> uses;
};

struct Expose : Statement {
  model::ExposureKind kind;
  std::optional<Str> target;  // file path or env var name
  std::optional<Ident> tool;
};
// `inject header "NAME" "TEMPLATE" for TOOL`: the proxy adds the secret to the tool's requests.
struct Inject : Statement {
  Str header;  // checked: a header name the proxy may set
  Str value;   // checked: exactly one "{token}"
  std::optional<Ident> tool;
};
struct Scope : Statement {
  std::vector<Str> scopes;
};
struct Secret : Statement {
  Ident name;
  std::optional<TextSetting> description, source, audience;
  bool sourceIsHostFile = false;  // `source file "PATH"`: a static credential read from the host
  std::optional<Scope> scope;
  std::optional<Setting<std::uint64_t>> ttlMs;
  std::optional<Expose> expose;
  std::optional<Inject> inject;
};

struct SyscallRef {
  bool group = false;
  QualifiedName name;  // one part for a syscall
  Span span;
};
struct SyscallRule : Statement {
  model::SyscallAction action;
  std::vector<SyscallRef> syscalls;
  std::vector<model::ArgCondition> conditions;
};
struct ActionSetting : Statement {
  model::SyscallAction action;
};
struct Arches : Statement {
  std::vector<Value<model::Arch>> arches;
};
struct Syscalls : Statement {
  std::optional<ActionSetting> defaultAction, foreignArch;
  std::optional<Arches> arch;
  std::optional<Setting<model::Switch>> baseline;
  std::vector<SyscallRule> rules;
};

struct LimitItem : Statement {
  model::Limit kind;
  Value<std::uint64_t> value;
};
struct Limits : Statement {
  std::vector<LimitItem> items;
};

// The statements of a task or a profile.
struct Body {
  std::vector<Use> uses;
  std::optional<TextSetting> description, owner;
  std::optional<Identity> identity;
  std::optional<Setting<std::uint64_t>> timeoutMs;
  std::optional<Setting<int>> expectedTier;
  std::optional<Setting<model::Maturity>> maturity;
  std::optional<Setting<model::Facing>> facing;
  std::optional<Setting<model::Lifecycle>> lifecycle;
  std::optional<Setting<model::NetworkMode>> network;
  std::vector<Input> inputs;
  std::vector<Paths> paths;
  std::vector<Scratch> scratch;
  std::vector<PathList> masks, devices;
  std::vector<Capabilities> capabilities;
  std::vector<Connect> connects;
  std::vector<Env> env;
  std::vector<Delegate> delegations;
  std::vector<Tool> tools;
  std::vector<Secret> secrets;
  std::vector<Syscalls> syscalls;
  std::vector<Limits> limits;
};

struct TaskDecl : Statement {  // a `task` declaration as written (model::ResolvedTask is the resolved one)
  Ident name;
  Body body;
};
struct Profile : Statement {
  Ident name;
  Body body;
};
struct Group : Statement {
  Ident name;
  std::vector<SyscallRef> members;
};

struct Import {
  bool stdlib = false;
  QualifiedName module;  // std.syscalls
  Str path;              // "lib/common.sbx"
  std::optional<Ident> alias;
  Span span;
  std::string aliasName() const;
};

// `stdlib sha256 "<hex>"`: the stdlib digest the file was reviewed against (docs/contracts.md).
struct StdlibLock {
  std::string sha256;  // 64 lower-case hex digits
  Span span;
};

struct File {
  FileId id = kNoFile;
  std::optional<StdlibLock> stdlibLock;
  std::vector<Import> imports;
  std::vector<TaskDecl> tasks;
  std::vector<Profile> profiles;
  std::vector<Group> groups;
};

}  // namespace sbx::ast
