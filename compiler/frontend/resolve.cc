// Resolves names across modules and builds the model. The passes live one per file (see
// resolve_internal.h); this file chains them, and the order here is the order of their
// diagnostics:
//   1. the root module's duplicate declarations (resolve_lookup.cc);
//   2. each root task, then each delegation target as it is found: its profiles first
//      (resolve_profiles.cc), then its own settings, grants, tools, secrets, syscalls and limits
//      in declaration order (applyBody below), then syscall precedence (resolve_syscalls.cc) and
//      cross-references (resolve_policy.cc);
//   3. the root module's profiles and groups no task used (resolve_profiles.cc);
//   4. unused imports (resolve_lookup.cc).
#include "frontend/resolve.h"

#include "frontend/resolve_internal.h"

namespace sbx::frontend {
namespace resolver {

std::string_view kindName(Kind k) {
  switch (k) {
    case Kind::Task:
      return "task";
    case Kind::Profile:
      return "profile";
    case Kind::Group:
      return "syscall group";
  }
  return "declaration";
}

std::optional<model::Model> Resolver::run() {
  Module* root = modules_.root();
  checkDuplicates(*root);
  for (const auto& task : root->ast.tasks) taskIndex(*root, task, task.name.text, true);
  // Delegation targets join the worklist as they are found.
  for (std::size_t i = 0; i < states_.size(); ++i) resolveTask(i);
  checkUnused(*root);
  reportUnusedImports(*root);
  model::Model out;
  for (auto& s : states_) out.tasks.push_back(std::move(s.task));
  return out;
}

std::size_t Resolver::taskIndex(Module& m, const ast::TaskDecl& decl, const std::string& qualified, bool root) {
  auto key = std::make_pair(&m, &decl);
  if (auto it = taskIndex_.find(key); it != taskIndex_.end()) return it->second;
  std::size_t index = states_.size();
  taskIndex_[key] = index;
  TaskState state;
  state.module = &m;
  state.decl = &decl;
  state.task.name = decl.name.text;
  state.task.qualifiedName = qualified;
  state.task.file = m.ast.id;
  state.task.span = decl.span;
  state.task.root = root;
  for (const auto& s : decl.suppressions) state.task.suppressions.push_back(s);
  states_.push_back(std::move(state));
  return index;
}

void Resolver::resolveTask(std::size_t index) {
  // states_ may grow while resolving (delegation targets), so work on a local copy.
  TaskState state = std::move(states_[index]);
  state.ownSettings = settingsOf(state.decl->body);
  Via via;
  std::vector<const ast::Profile*> stack;
  applyBody(state, *state.module, state.decl->body, via, stack, true);
  finishSyscalls(state);
  checkReferences(state.task);
  states_[index] = std::move(state);
}

// A task's or profile's body: the profiles it uses first, so the task's own declarations
// follow them in declaration order.
void Resolver::applyBody(TaskState& state, Module& m, const ast::Body& body, Via& via,
                         std::vector<const ast::Profile*>& stack, bool fromTask) {
  applyProfiles(state, m, body, via, stack);
  applySettings(state, body, via, fromTask);
  applyGrants(state, body, via, fromTask);
  applyDelegations(state, m, body, via);
  for (const auto& t : body.tools) addTool(state, t, via);
  for (const auto& s : body.secrets) addSecret(state, s, via);
  for (const auto& block : body.syscalls) addSyscalls(state, m, block, via, fromTask);
  for (const auto& block : body.limits) addLimits(state, block, via, fromTask);
}

}  // namespace resolver

std::optional<model::Model> resolve(ModuleSet& modules, DiagnosticSink& diags) {
  if (modules.root() == nullptr) return std::nullopt;
  return resolver::Resolver(modules, diags).run();
}

}  // namespace sbx::frontend
