// The resolver's state and passes, shared by the files that hold one pass each. resolve.cc
// chains them (and so fixes the order of their diagnostics); each other file says at its top
// what it enforces:
//   resolve_lookup.cc    names and imports: duplicates, unknown names, wrong kinds, unused imports
//   resolve_profiles.cc  `use`: profile inheritance, cycles, single-valued settings and conflicts
//   resolve_grants.cc    inputs, paths, scratch, masks, devices, capabilities, egress, env, delegation
//   resolve_tools.cc     tools and secrets of a task
//   resolve_groups.cc    syscall groups: expansion, cycles, names checked against libseccomp
//   resolve_syscalls.cc  syscall rules and their precedence (task over profile, direct over group)
//   resolve_limits.cc    resource limits
//   resolve_policy.cc    cross-references and token rules (one tool per secret, SBX0058)
//   resolve_requests.cc  request rules against their tool's destinations; injected secrets
// Internal to the front end.
#pragma once
#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "diag/diagnostic.h"
#include "frontend/ast.h"
#include "frontend/loader.h"
#include "model/model.h"

namespace sbx::frontend::resolver {

enum class Kind { Task, Profile, Group };

std::string_view kindName(Kind k);

struct Found {
  Module* module = nullptr;
  const ast::TaskDecl* task = nullptr;
  const ast::Profile* profile = nullptr;
  const ast::Group* group = nullptr;
  std::string display;  // "alias.name" or "name"
};

// A module's declarations by name, the first of each (a second one is reported as a duplicate):
// a lookup costs the same however many declarations a module has, so a chain of N profiles or
// groups resolves in N lookups, not N squared comparisons.
struct NameIndex {
  std::unordered_map<std::string_view, const ast::TaskDecl*> tasks;
  std::unordered_map<std::string_view, const ast::Profile*> profiles;
  std::unordered_map<std::string_view, const ast::Group*> groups;
};

// A syscall rule before precedence is applied: rank orders how specific its declaration is.
struct PendingRule {
  model::SyscallRule rule;
  int rank = 0;  // task-direct 3, task-group 2, profile-direct 1, profile-group 0
  std::size_t order = 0;
};

struct TaskState {
  model::ResolvedTask task;
  Module* module = nullptr;
  const ast::TaskDecl* decl = nullptr;
  std::vector<PendingRule> rules;
  // Single-valued settings seen from profiles, for conflict reports, and those the task sets.
  std::map<std::string, Span> profileSettings;
  std::set<std::string> ownSettings;
  std::set<const ast::Profile*> applied;
};

// Secrets a delegation passes on, checked against the task once all its secrets are known.
struct SecretRefs {
  model::ResolvedTask* task;
  std::vector<ast::Ident> secrets;
};

// A group expanded to (syscall, chain of groups it came through) pairs: one pair per syscall
// (expanding is a set union), with the first chain that reached it.
using Expansion = std::vector<std::pair<std::string, std::vector<std::string>>>;

// How deep groups may include groups and profiles use profiles. Real policies nest a few levels;
// the bound keeps the resolver's recursion, and the chains it records, small on hostile input.
constexpr std::size_t kMaxNesting = 64;

using Via = std::vector<std::string>;  // the profiles a declaration was reached through

class Resolver {
 public:
  Resolver(ModuleSet& modules, DiagnosticSink& diags) : modules_(modules), diags_(diags) {}

  std::optional<model::Model> run();

 private:
  // ---- tasks (resolve.cc) -----------------------------------------------------------------
  std::size_t taskIndex(Module& m, const ast::TaskDecl& decl, const std::string& qualified, bool root);
  void resolveTask(std::size_t index);
  void applyBody(TaskState& state, Module& m, const ast::Body& body, Via& via, std::vector<const ast::Profile*>& stack,
                 bool fromTask);

  // ---- lookup (resolve_lookup.cc) ---------------------------------------------------------
  const NameIndex& checkDuplicates(Module& m);
  std::optional<Found> lookup(Module& m, const ast::QualifiedName& name, Kind kind);
  bool stdlibHas(const std::string& module) const;
  static std::vector<std::string> namesOf(const Module& m, Kind kind, const std::string& prefix);
  static std::vector<std::string> candidatesOf(const Module& m, Kind kind);
  void reportUnusedImports(Module& m);

  // ---- profiles and settings (resolve_profiles.cc) ----------------------------------------
  void checkUnused(Module& m);
  void applyProfiles(TaskState& state, Module& m, const ast::Body& body, Via& via,
                     std::vector<const ast::Profile*>& stack);
  void applySettings(TaskState& state, const ast::Body& body, const Via& via, bool fromTask);
  static std::set<std::string> settingsOf(const ast::Body& body);
  bool claim(TaskState& state, const std::string& what, Span span, bool fromTask);

  template <typename Slot, typename Make>
  void single(TaskState& state, Slot& slot, const std::string& what, Span span, bool fromTask, Make make) {
    if (claim(state, what, span, fromTask)) slot = make();
  }

  static model::Origin origin(Span span, const Via& via) { return {span, via}; }

  template <typename T>
  static void collectSuppressions(model::ResolvedTask& task, const T& statement) {
    for (const auto& s : statement.suppressions) task.suppressions.push_back(s);
  }

  // Whether `node` closes a cycle on `stack`; reports each cycle once, with its chain.
  template <typename Node>
  bool reportCycle(const std::vector<const Node*>& stack, const Node* node, std::set<const Node*>& reported, Span at,
                   fmt::format_string<const std::string&, std::string> message, const char* help) {
    auto first = std::find(stack.begin(), stack.end(), node);
    if (first == stack.end()) return false;
    bool known = std::any_of(first, stack.end(), [&](const Node* n) { return reported.contains(n); });
    std::string chain;
    for (auto it = first; it != stack.end(); ++it) {
      reported.insert(*it);
      chain += (*it)->name.text + " -> ";
    }
    if (!known)
      diags_.report(Code::UseCycle, at, fmt::format(message, node->name.text, chain + node->name.text)).help(help);
    return true;
  }

  // Reports, at `at`, a reference that would nest `what` deeper than kMaxNesting; once per kind,
  // since a hostile chain would otherwise be reported every kMaxNesting levels.
  void reportTooDeep(Span at, const char* what, const std::string& name) {
    if (!tooDeepReported_.insert(what).second) return;
    diags_
        .report(Code::NestingTooDeep, at,
                fmt::format("{} nest more than {} levels deep here, at `{}`", what, kMaxNesting, name))
        .help("flatten the nesting: list the members of the inner declarations directly");
  }

  // ---- grants (resolve_grants.cc) ---------------------------------------------------------
  void applyGrants(TaskState& state, const ast::Body& body, const Via& via, bool fromTask);
  void addPaths(model::ResolvedTask& task, const ast::Paths& p, const Via& via, bool fromTask);
  bool pinAgrees(const model::ResolvedTask& task, const model::PathGrant& grant);
  void addScratch(model::ResolvedTask& task, const ast::Scratch& s, const Via& via, bool fromTask);
  void addEnv(model::ResolvedTask& task, const ast::Env& e, const Via& via, bool fromTask);
  void applyDelegations(TaskState& state, Module& m, const ast::Body& body, const Via& via);

  // Reports a second declaration of `name` among `existing`; true when it is the first.
  template <typename T>
  bool firstOfName(const std::vector<T>& existing, const ast::Ident& name, std::string_view what,
                   const std::string& where = "") {
    auto same = std::find_if(existing.begin(), existing.end(), [&](const T& x) { return x.name == name.text; });
    if (same == existing.end()) return true;
    diags_
        .report(Code::DuplicateDeclaration, name.span,
                fmt::format("{} `{}`{} is declared twice", what, name.text, where))
        .label(same->origin.span, "first declared here")
        .help("rename or delete one of them");
    return false;
  }

  // ---- tools and secrets (resolve_tools.cc) -----------------------------------------------
  void addTool(TaskState& state, const ast::Tool& t, const Via& via);
  void addSecret(TaskState& state, const ast::Secret& s, const Via& via);
  void refuseMintSettings(const ast::Secret& s);

  // ---- syscall groups (resolve_groups.cc) -------------------------------------------------
  Expansion expandGroup(Module& m, const ast::SyscallRef& ref, std::vector<const ast::Group*>& stack);
  const Expansion& members(Module& m, const ast::Group& group, std::vector<const ast::Group*>& stack);
  bool checkSyscall(const ast::Ident& name);

  // ---- syscall rules (resolve_syscalls.cc) ------------------------------------------------
  void addSyscalls(TaskState& state, Module& m, const ast::Syscalls& block, const Via& via, bool fromTask);
  void finishSyscalls(TaskState& state);

  // ---- limits (resolve_limits.cc) ---------------------------------------------------------
  void addLimits(TaskState& state, const ast::Limits& block, const Via& via, bool fromTask);

  // ---- cross references and token rules (resolve_policy.cc) -------------------------------
  void checkReferences(model::ResolvedTask& task);
  void checkOneToolPerSecret(const model::ResolvedTask& task);
  void checkGatedExecutables(const model::ResolvedTask& task);

  // ---- request rules and injection (resolve_requests.cc) ----------------------------------
  void checkRequests(const model::Tool& tool);
  void checkInjections(const model::ResolvedTask& task);

  ModuleSet& modules_;
  DiagnosticSink& diags_;
  std::vector<TaskState> states_;
  std::map<std::pair<Module*, const ast::TaskDecl*>, std::size_t> taskIndex_;
  std::map<const Module*, NameIndex> names_;  // per module, built by checkDuplicates
  std::set<const ast::Profile*> usedProfiles_, cyclicProfiles_, deepProfiles_;
  std::set<std::string> tooDeepReported_;
  std::set<const ast::Group*> cyclicGroups_;
  std::set<std::tuple<FileId, std::uint32_t, std::uint32_t>> reportedSyscalls_;
  std::vector<std::pair<model::ResolvedTask*, ast::Ident>> secretUses_, exposureTools_;
  std::vector<SecretRefs> pendingSecretRefs_;
  std::size_t order_ = 0;
  // Expansions of the policy's own groups, each computed once (stdlib groups: SharedModules).
  std::map<std::pair<const Module*, std::string>, Expansion> expandedGroups_;
};

}  // namespace sbx::frontend::resolver
