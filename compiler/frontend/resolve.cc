#include "frontend/resolve.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "frontend/syscall_table.h"

namespace sbx::frontend {
namespace {

enum class Kind { Task, Profile, Group };

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

struct Found {
  Module* module = nullptr;
  const ast::TaskDecl* task = nullptr;
  const ast::Profile* profile = nullptr;
  const ast::Group* group = nullptr;
  std::string display;  // "alias.name" or "name"
};

template <typename T>
const T* findByName(const std::vector<T>& items, const std::string& name) {
  for (const auto& item : items)
    if (item.name.text == name) return &item;
  return nullptr;
}

// A syscall rule before precedence is applied: rank orders how specific its declaration is.
struct PendingRule {
  model::SyscallRule rule;
  int rank = 0;  // task-direct 3, task-group 2, profile-direct 1, profile-group 0
  std::size_t order = 0;
};

struct TaskState {
  model::Task task;
  Module* module = nullptr;
  const ast::TaskDecl* decl = nullptr;
  std::vector<PendingRule> rules;
  // Single-valued settings seen from profiles, for conflict reports, and those the task sets.
  std::map<std::string, Span> profileSettings;
  std::set<std::string> ownSettings;
  std::set<const ast::Profile*> applied;
};

class Resolver {
 public:
  Resolver(ModuleSet& modules, DiagnosticSink& diags) : modules_(modules), diags_(diags) {}

  std::optional<model::Model> run() {
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

 private:
  // ---- lookup ------------------------------------------------------------------------

  void checkDuplicates(Module& m) {
    if (!checkedModules_.insert(&m).second) return;
    auto check = [&](const auto& items, std::string_view what) {
      std::map<std::string, Span> seen;
      for (const auto& item : items) {
        auto [it, fresh] = seen.emplace(item.name.text, item.name.span);
        if (!fresh)
          diags_
              .report(Code::DuplicateDeclaration, item.name.span,
                      fmt::format("{} `{}` is declared twice", what, item.name.text))
              .label(it->second, "first declared here")
              .help("rename or delete one of them");
      }
    };
    check(m.ast.tasks, "task");
    check(m.ast.profiles, "profile");
    check(m.ast.groups, "syscall group");
  }

  std::optional<Found> lookup(Module& m, const ast::QualifiedName& name, Kind kind) {
    if (name.parts.empty()) return std::nullopt;
    Module* target = &m;
    std::string alias;
    if (name.parts.size() > 2) {
      diags_.report(Code::UnknownName, name.span, fmt::format("`{}` is not a name in scope", name.joined()))
          .help(fmt::format("refer to imported declarations as ALIAS.NAME, e.g. `{}.{}`",
                            name.parts[name.parts.size() - 2].text, name.parts.back().text));
      return std::nullopt;
    }
    if (name.parts.size() == 2) {
      alias = name.parts[0].text;
      auto it = m.imports.find(alias);
      if (it == m.imports.end() && m.failedImports.contains(alias)) return std::nullopt;  // reported at the import
      if (it == m.imports.end()) {
        auto& d = diags_.report(Code::UnknownName, name.parts[0].span, fmt::format("no import is named `{}`", alias));
        std::vector<std::string> aliases;
        for (const auto& [a, mod] : m.imports) aliases.push_back(a);
        if (auto match = closestMatch(alias, aliases))
          d.help(fmt::format("did you mean `{}`?", *match));
        else if (stdlibHas("std." + alias))
          d.help(fmt::format("add `import std.{}`", alias));
        else
          d.help(fmt::format("import the file or module that declares it, e.g. `import \"lib/{}.sbx\"`", alias));
        return std::nullopt;
      }
      m.importUsed[alias] = true;
      target = it->second;
      checkDuplicates(*target);
    }
    const std::string& simple = name.parts.back().text;
    Found found{target, findByName(target->ast.tasks, simple), findByName(target->ast.profiles, simple),
                findByName(target->ast.groups, simple), name.joined()};
    bool hit = (kind == Kind::Task && found.task) || (kind == Kind::Profile && found.profile) ||
               (kind == Kind::Group && found.group);
    if (hit) return found;

    std::optional<Kind> other = found.task      ? std::optional(Kind::Task)
                                : found.profile ? std::optional(Kind::Profile)
                                : found.group   ? std::optional(Kind::Group)
                                                : std::nullopt;
    if (other) {
      auto& d = diags_.report(Code::WrongKind, name.span,
                              fmt::format("`{}` is a {}, not a {}", name.joined(), kindName(*other), kindName(kind)));
      if (kind == Kind::Group) d.help("syscall groups are declared with `group NAME { ... }`");
      if (kind == Kind::Profile && *other == Kind::Group)
        d.help(fmt::format("use it in a syscalls block: `allow @{}`", name.joined()));
      return std::nullopt;
    }
    auto& d =
        diags_.report(Code::UnknownName, name.span, fmt::format("no {} named `{}`", kindName(kind), name.joined()));
    std::vector<std::string> candidates = candidatesOf(m, kind);
    if (auto match = closestMatch(name.joined(), candidates)) d.help(fmt::format("did you mean `{}`?", *match));
    return std::nullopt;
  }

  bool stdlibHas(const std::string& module) const {
    auto all = stdlibModules(modules_.options());
    return std::find(all.begin(), all.end(), module) != all.end();
  }

  static std::vector<std::string> namesOf(const Module& m, Kind kind, const std::string& prefix) {
    std::vector<std::string> out;
    auto add = [&](const auto& items) {
      for (const auto& item : items) out.push_back(prefix + item.name.text);
    };
    if (kind == Kind::Task) add(m.ast.tasks);
    if (kind == Kind::Profile) add(m.ast.profiles);
    if (kind == Kind::Group) add(m.ast.groups);
    return out;
  }

  static std::vector<std::string> candidatesOf(const Module& m, Kind kind) {
    auto out = namesOf(m, kind, "");
    for (const auto& [alias, mod] : m.imports) {
      auto more = namesOf(*mod, kind, alias + ".");
      out.insert(out.end(), more.begin(), more.end());
    }
    return out;
  }

  // A library file's profiles and groups are checked even when no task of it uses them, so
  // `sbxc check lib.sbx` finds their errors. References to a task's secrets and tools are left
  // out: they are checked in each task that uses the profile.
  void checkUnused(Module& m) {
    for (const auto& profile : m.ast.profiles) {
      if (usedProfiles_.contains(&profile)) continue;
      TaskState state;
      state.module = &m;
      state.task.name = profile.name.text;
      std::vector<std::string> via{profile.name.text};
      std::vector<const ast::Profile*> stack{&profile};
      applyBody(state, m, profile.body, via, stack, true);
      finishSyscalls(state);
    }
    secretUses_.clear();
    exposureTools_.clear();
    pendingSecretRefs_.clear();
    for (const auto& group : m.ast.groups) {
      std::vector<const ast::Group*> stack;
      members(m, group, stack);
    }
  }

  void reportUnusedImports(Module& m) {
    for (const auto& [alias, used] : m.importUsed) {
      if (used) continue;
      const ast::Import* imp = m.importDecls.at(alias);
      diags_.report(Code::UnusedImport, imp->span, fmt::format("import `{}` is never used", alias))
          .help("delete the import, or refer to its declarations as `" + alias + ".NAME`");
    }
  }

  // ---- tasks ---------------------------------------------------------------------------

  std::size_t taskIndex(Module& m, const ast::TaskDecl& decl, const std::string& qualified, bool root) {
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

  void resolveTask(std::size_t index) {
    // states_ may grow while resolving (delegation targets), so work on a local copy.
    TaskState state = std::move(states_[index]);
    state.ownSettings = settingsOf(state.decl->body);
    std::vector<std::string> via;
    std::vector<const ast::Profile*> stack;
    applyBody(state, *state.module, state.decl->body, via, stack, true);
    finishSyscalls(state);
    checkReferences(state.task);
    states_[index] = std::move(state);
  }

  // The names `claim` uses for the single-valued settings a body declares itself.
  static std::set<std::string> settingsOf(const ast::Body& body) {
    std::set<std::string> out;
    auto mark = [&](bool present, const char* what) {
      if (present) out.insert(what);
    };
    mark(body.description.has_value(), "description");
    mark(body.owner.has_value(), "owner");
    mark(body.timeoutMs.has_value(), "timeout");
    mark(body.expectedTier.has_value(), "expect tier");
    mark(body.maturity.has_value(), "maturity");
    mark(body.facing.has_value(), "facing");
    mark(body.lifecycle.has_value(), "operator");
    mark(body.network.has_value(), "network");
    mark(body.identity.has_value(), "identity");
    for (const auto& block : body.syscalls) {
      mark(block.defaultAction.has_value(), "syscalls default");
      mark(block.foreignArch.has_value(), "foreign-arch");
      mark(block.arch.has_value(), "arch");
      mark(block.baseline.has_value(), "baseline");
    }
    for (const auto& block : body.limits)
      for (const auto& item : block.items) out.insert(fmt::format("limit {}", model::nameOf(item.kind)));
    return out;
  }

  model::Origin origin(Span span, const std::vector<std::string>& via) { return {span, via}; }

  template <typename T>
  void collectSuppressions(model::Task& task, const T& statement) {
    for (const auto& s : statement.suppressions) task.suppressions.push_back(s);
  }

  // Single-valued settings: the task's own value wins over a profile's (profiles are applied
  // first, the task's statements after them); two profiles setting it differently is an error.
  bool claim(TaskState& state, const std::string& what, Span span, bool fromTask) {
    if (fromTask) return true;
    if (state.ownSettings.contains(what)) return false;  // the task decides; profiles don't conflict
    auto [it, fresh] = state.profileSettings.emplace(what, span);
    if (fresh) return true;
    if (!(it->second == span))
      diags_
          .report(Code::DuplicateSetting, span,
                  fmt::format("`{}` is set by two profiles used in task `{}`", what, state.task.name))
          .label(it->second, "also set here")
          .help(fmt::format("set `{}` in the task itself to choose", what));
    return false;
  }

  template <typename Slot, typename Make>
  void single(TaskState& state, Slot& slot, const std::string& what, Span span, bool fromTask, Make make) {
    if (claim(state, what, span, fromTask)) slot = make();
  }

  void applyBody(TaskState& state, Module& m, const ast::Body& body, std::vector<std::string>& via,
                 std::vector<const ast::Profile*>& stack, bool fromTask) {
    model::Task& task = state.task;
    // Profiles first, so the task's own declarations follow them in declaration order.
    for (const auto& use : body.uses) {
      collectSuppressions(task, use);
      for (const auto& target : use.targets) {
        auto found = lookup(m, target, Kind::Profile);
        if (!found) continue;
        if (reportCycle(stack, found->profile, cyclicProfiles_, target.span, "profile `{}` uses itself: {}",
                        "remove the `use` that closes the cycle"))
          continue;
        // A profile reached twice (two profiles both use a third) contributes once.
        if (!state.applied.insert(found->profile).second) continue;
        task.profiles.push_back(found->display);
        usedProfiles_.insert(found->profile);
        stack.push_back(found->profile);
        via.push_back(found->display);
        for (const auto& s : found->profile->suppressions) task.suppressions.push_back(s);
        applyBody(state, *found->module, found->profile->body, via, stack, false);
        via.pop_back();
        stack.pop_back();
      }
    }

    auto text = [&](const std::optional<ast::TextSetting>& s, std::optional<model::Setting<std::string>>& slot,
                    const std::string& what) {
      if (!s) return;
      collectSuppressions(task, *s);
      single(state, slot, what, s->span, fromTask, [&] {
        return model::Setting<std::string>{s->text.value, origin(s->span, via)};
      });
    };
    text(body.description, task.description, "description");
    text(body.owner, task.owner, "owner");
    auto setting = [&](const auto& s, auto& slot, const std::string& what) {
      if (!s) return;
      collectSuppressions(task, *s);
      using V = std::decay_t<decltype(s->value.value)>;
      single(state, slot, what, s->span, fromTask, [&] {
        return model::Setting<V>{s->value.value, origin(s->span, via)};
      });
    };
    setting(body.timeoutMs, task.timeoutMs, "timeout");
    setting(body.expectedTier, task.expectedTier, "expect tier");
    setting(body.maturity, task.maturity, "maturity");
    setting(body.facing, task.facing, "facing");
    setting(body.lifecycle, task.lifecycle, "operator");
    setting(body.network, task.network, "network");
    if (body.identity) {
      collectSuppressions(task, *body.identity);
      const auto& id = *body.identity;
      single(state, task.identity, "identity", id.span, fromTask, [&] {
        return model::Identity{id.kind, id.value.value, id.subject ? id.subject->value : "", origin(id.span, via)};
      });
    }

    for (const auto& in : body.inputs) {
      collectSuppressions(task, in);
      if (!firstOfName(task.inputs, in.name, "input")) continue;
      task.inputs.push_back({in.name.text, in.trust, in.sensitivity, in.source, in.location ? in.location->value : "",
                             origin(in.span, via)});
    }
    for (const auto& p : body.paths) {
      collectSuppressions(task, p);
      for (const auto& ref : p.paths) {
        model::PathGrant grant{ref.path, ref.workspace, p.access, p.flags, origin(ref.span, via)};
        auto same = std::find_if(task.paths.begin(), task.paths.end(), [&](const model::PathGrant& g) {
          return g.path == grant.path && g.access == grant.access && g.flags == grant.flags;
        });
        if (same != task.paths.end()) {
          if (fromTask && same->origin.via.empty())
            diags_
                .report(Code::DuplicateGrant, ref.span,
                        fmt::format("`{} {}` is declared twice", model::nameOf(p.access),
                                    ref.workspace ? std::string("workspace") : "\"" + ref.path + "\""))
                .label(same->origin.span, "first declared here")
                .help("delete one of them");
          continue;
        }
        task.paths.push_back(std::move(grant));
      }
    }
    for (const auto& s : body.scratch) {
      collectSuppressions(task, s);
      auto same = std::find_if(task.scratch.begin(), task.scratch.end(),
                               [&](const model::Scratch& x) { return x.path == s.path.path; });
      model::Scratch scratch{s.path.path, s.size ? std::optional(s.size->value) : std::nullopt, origin(s.span, via)};
      if (same != task.scratch.end()) {
        // The task may resize a profile's scratch directory; anything else declares it twice.
        if (fromTask && !same->origin.via.empty()) {
          *same = std::move(scratch);
        } else {
          diags_
              .report(Code::DuplicateDeclaration, s.path.span,
                      fmt::format("scratch `{}` is declared twice", s.path.path))
              .label(same->origin.span, "first declared here")
              .help("declare each scratch directory once, with the size it needs");
        }
        continue;
      }
      task.scratch.push_back({s.path.path, s.size ? std::optional(s.size->value) : std::nullopt, origin(s.span, via)});
    }
    for (const auto& s : body.masks) {
      collectSuppressions(task, s);
      for (const auto& p : s.paths) task.masks.push_back({p.path, origin(p.span, via)});
    }
    for (const auto& s : body.devices) {
      collectSuppressions(task, s);
      for (const auto& p : s.paths) task.devices.push_back({p.path, origin(p.span, via)});
    }
    for (const auto& s : body.capabilities) {
      collectSuppressions(task, s);
      for (const auto& c : s.names) task.capabilities.push_back({c.value, origin(c.span, via)});
    }
    for (const auto& c : body.connects) {
      collectSuppressions(task, c);
      for (auto d : c.destinations) {
        d.origin = origin(d.origin.span, via);
        task.egress.push_back(std::move(d));
      }
    }
    for (const auto& e : body.env) {
      collectSuppressions(task, e);
      for (const auto& item : e.items) {
        auto same = std::find_if(task.env.begin(), task.env.end(),
                                 [&](const model::EnvVar& v) { return v.name == item.name.text; });
        if (same != task.env.end()) {
          if (fromTask && same->origin.via.empty()) {
            diags_
                .report(Code::DuplicateDeclaration, item.name.span,
                        fmt::format("environment variable `{}` is declared twice", item.name.text))
                .label(same->origin.span, "first declared here");
          } else if (fromTask) {
            *same = {item.name.text, item.value ? std::optional(item.value->value) : std::nullopt,
                     origin(item.span, via)};
          }
          continue;
        }
        task.env.push_back(
            {item.name.text, item.value ? std::optional(item.value->value) : std::nullopt, origin(item.span, via)});
      }
    }
    for (const auto& d : body.delegations) {
      collectSuppressions(task, d);
      auto found = lookup(m, d.target, Kind::Task);
      if (!found) continue;
      std::string qualified = found->module == modules_.root() ? found->task->name.text : found->display;
      bool root = found->module == modules_.root();
      model::Delegation del;
      del.task = taskIndex(*found->module, *found->task, qualified, root);
      del.target = d.target.joined();
      del.origin = origin(d.span, via);
      for (const auto& p : d.passes) {
        if (std::find(del.passes.begin(), del.passes.end(), p.kind) == del.passes.end()) del.passes.push_back(p.kind);
        if (p.secret) del.secrets.push_back(p.secret->text);
      }
      SecretRefs refs{&task, {}};
      for (const auto& p : d.passes)
        if (p.secret) refs.secrets.push_back(*p.secret);
      pendingSecretRefs_.push_back(std::move(refs));
      task.delegations.push_back(std::move(del));
    }
    for (const auto& t : body.tools) addTool(state, t, via);
    for (const auto& s : body.secrets) addSecret(state, s, via);
    for (const auto& block : body.syscalls) addSyscalls(state, m, block, via, fromTask);
    for (const auto& block : body.limits) addLimits(state, block, via, fromTask);
  }

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

  void addTool(TaskState& state, const ast::Tool& t, const std::vector<std::string>& via) {
    model::Task& task = state.task;
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
      tool.actions.push_back({a.name.text, a.effect.value, a.reversibility, a.approval,
                              a.approver ? a.approver->value : "", origin(a.span, via)});
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
    task.tools.push_back(std::move(tool));
  }

  void addSecret(TaskState& state, const ast::Secret& s, const std::vector<std::string>& via) {
    model::Task& task = state.task;
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
    if (s.description) secret.description = s.description->text.value;
    if (s.source) {
      secret.source = s.source->text.value;
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
    task.secrets.push_back(std::move(secret));
  }

  // ---- syscalls ------------------------------------------------------------------------

  // Expands a group to (syscall, group chain) pairs; memoized, cycles reported.
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

  using Expansion = std::vector<std::pair<std::string, std::vector<std::string>>>;

  // Expands a group reference to (syscall, chain of groups it came through) pairs.
  Expansion expandGroup(Module& m, const ast::SyscallRef& ref, std::vector<const ast::Group*>& stack) {
    Expansion out;
    auto found = lookup(m, ref.name, Kind::Group);
    if (!found) return out;
    if (reportCycle(stack, found->group, cyclicGroups_, ref.span, "syscall group `{}` includes itself: {}",
                    "remove the member that closes the cycle"))
      return out;
    for (const auto& [name, chain] : members(*found->module, *found->group, stack)) {
      std::vector<std::string> full{found->display};
      full.insert(full.end(), chain.begin(), chain.end());
      out.emplace_back(name, std::move(full));
    }
    return out;
  }

  // A group's members, expanded; stdlib groups are expanded once per session, since nearly
  // every policy refers to them.
  const Expansion& members(Module& m, const ast::Group& group, std::vector<const ast::Group*>& stack) {
    auto& cache = modules_.shared().expandedGroups;
    auto key = std::make_pair(static_cast<const Module*>(&m), group.name.text);
    if (m.stdlib)
      if (auto it = cache.find(key); it != cache.end()) return it->second;
    Expansion out;
    stack.push_back(&group);
    for (const auto& member : group.members) {
      if (member.group) {
        for (auto& entry : expandGroup(m, member, stack)) out.push_back(std::move(entry));
      } else if (!member.name.parts.empty() && checkSyscall(member.name.parts[0])) {
        out.emplace_back(member.name.parts[0].text, std::vector<std::string>{});
      }
    }
    stack.pop_back();
    if (m.stdlib) return cache[key] = std::move(out);
    scratch_.push_back(std::move(out));
    return scratch_.back();
  }

  bool checkSyscall(const ast::Ident& name) {
    if (syscallKnown(name.text)) return true;
    if (!reportedSyscalls_.insert({name.span.file, name.span.line, name.span.col}).second) return false;
    auto& d = diags_.report(Code::UnknownSyscall, name.span, fmt::format("unknown syscall `{}`", name.text));
    if (auto m = closestMatch(name.text, knownSyscalls())) d.help(fmt::format("did you mean `{}`?", *m));
    d.note("syscall names are checked against libseccomp's tables for x86_64 and aarch64");
    return false;
  }

  void addSyscalls(TaskState& state, Module& m, const ast::Syscalls& block, const std::vector<std::string>& via,
                   bool fromTask) {
    model::Task& task = state.task;
    model::SyscallPolicy& policy = task.syscalls;
    policy.declared = true;
    collectSuppressions(task, block);
    if (block.defaultAction) {
      collectSuppressions(task, *block.defaultAction);
      if (claim(state, "syscalls default", block.defaultAction->span, fromTask)) {
        policy.defaultAction = block.defaultAction->action;
        policy.defaultOrigin = origin(block.defaultAction->span, via);
      }
    }
    if (block.foreignArch) {
      collectSuppressions(task, *block.foreignArch);
      if (claim(state, "foreign-arch", block.foreignArch->span, fromTask))
        policy.foreignArch = block.foreignArch->action;
    }
    if (block.arch) {
      collectSuppressions(task, *block.arch);
      if (claim(state, "arch", block.arch->span, fromTask)) {
        policy.arches.clear();
        for (const auto& a : block.arch->arches)
          if (std::find(policy.arches.begin(), policy.arches.end(), a.value) == policy.arches.end())
            policy.arches.push_back(a.value);
      }
    }
    if (block.baseline) {
      collectSuppressions(task, *block.baseline);
      if (claim(state, "baseline", block.baseline->span, fromTask)) {
        policy.baseline = block.baseline->value.value;
        policy.baselineOrigin = origin(block.baseline->span, via);
      }
    }
    for (const auto& rule : block.rules) {
      collectSuppressions(task, rule);
      for (const auto& ref : rule.syscalls) {
        if (ref.group) {
          auto found = lookup(m, ref.name, Kind::Group);
          if (!found) continue;
          std::vector<const ast::Group*> stack;
          for (const auto& [name, chain] : members(*found->module, *found->group, stack)) {
            model::SyscallRule r{name, rule.action, rule.conditions, {}, origin(ref.span, via)};
            r.groups.reserve(chain.size() + 1);
            r.groups.push_back(found->display);
            r.groups.insert(r.groups.end(), chain.begin(), chain.end());
            state.rules.push_back({std::move(r), fromTask ? 2 : 0, order_++});
          }
        } else if (!ref.name.parts.empty() && checkSyscall(ref.name.parts[0])) {
          model::SyscallRule r{ref.name.parts[0].text, rule.action, rule.conditions, {}, origin(ref.span, via)};
          state.rules.push_back({std::move(r), fromTask ? 3 : 1, order_++});
        }
      }
    }
  }

  // The most specific declaration of a syscall replaces the less specific ones: the task's own
  // rules beat its profiles', and a syscall named directly beats one reached through a group.
  // Rules of the same rank coexist when their conditions differ, and conflict when they don't.
  void finishSyscalls(TaskState& state) {
    std::unordered_map<std::string, int> best;
    best.reserve(state.rules.size());
    for (const auto& p : state.rules) {
      auto [it, fresh] = best.emplace(p.rule.syscall, p.rank);
      if (!fresh) it->second = std::max(it->second, p.rank);
    }
    std::vector<model::SyscallRule>& out = state.task.syscalls.rules;
    std::unordered_map<std::string, std::vector<std::size_t>> kept;  // syscall -> indices in `out`
    for (auto& p : state.rules) {
      if (p.rank != best[p.rule.syscall]) continue;
      auto& indices = kept[p.rule.syscall];
      auto same = std::find_if(indices.begin(), indices.end(),
                               [&](std::size_t i) { return out[i].conditions == p.rule.conditions; });
      if (same == indices.end()) {
        indices.push_back(out.size());
        out.push_back(std::move(p.rule));
        continue;
      }
      const model::SyscallRule& first = out[*same];
      if (first.action == p.rule.action) continue;
      auto describe = [](const model::SyscallAction& a) {
        return a.kind == model::SyscallActionKind::Errno ? fmt::format("errno {}", a.errnoValue)
                                                         : std::string(model::nameOf(a.kind));
      };
      bool direct = p.rule.groups.empty() && first.groups.empty();
      auto& d =
          diags_.report(Code::ConflictingSyscallRules, p.rule.origin.span,
                        fmt::format("syscall `{}` is given `{}` here and `{}` elsewhere under the same conditions",
                                    p.rule.syscall, describe(p.rule.action), describe(first.action)));
      d.label(first.origin.span, "first rule here");
      if (direct) {
        d.help("delete one of the two rules");
      } else {
        d.note(
            "a syscall named directly overrides a group, and a task overrides its profiles; rules of equal standing "
            "must agree");
        d.help(fmt::format("name `{}` directly in the task to choose its action", p.rule.syscall));
      }
    }
  }

  void addLimits(TaskState& state, const ast::Limits& block, const std::vector<std::string>& via, bool fromTask) {
    model::Task& task = state.task;
    collectSuppressions(task, block);
    std::map<model::Limit, Span> seenHere;
    for (const auto& item : block.items) {
      collectSuppressions(task, item);
      if (auto [it, fresh] = seenHere.emplace(item.kind, item.span); !fresh) {
        diags_
            .report(Code::DuplicateSetting, item.span, fmt::format("limit `{}` is set twice", model::nameOf(item.kind)))
            .label(it->second, "first set here");
        continue;
      }
      std::optional<model::LimitValue>* slot = nullptr;
      switch (item.kind) {
        case model::Limit::Memory:
          slot = &task.limits.memoryBytes;
          break;
        case model::Limit::Pids:
          slot = &task.limits.pids;
          break;
        case model::Limit::Cpu:
          slot = &task.limits.cpuMs;
          break;
        case model::Limit::Files:
          slot = &task.limits.openFiles;
          break;
        case model::Limit::FileSize:
          slot = &task.limits.fileSizeBytes;
          break;
      }
      single(state, *slot, fmt::format("limit {}", model::nameOf(item.kind)), item.span, fromTask, [&] {
        return model::LimitValue{item.value.value, origin(item.span, via)};
      });
    }
  }

  // ---- cross references ---------------------------------------------------------------

  void checkReferences(model::Task& task) {
    std::vector<std::string> secretNames, toolNames;
    for (const auto& s : task.secrets) secretNames.push_back(s.name);
    for (const auto& t : task.tools) toolNames.push_back(t.name);
    auto unknown = [&](const ast::Ident& name, const std::vector<std::string>& names, std::string_view what) {
      if (std::find(names.begin(), names.end(), name.text) != names.end()) return;
      auto& d = diags_.report(Code::UnknownName, name.span,
                              fmt::format("task `{}` declares no {} `{}`", task.name, what, name.text));
      if (auto m = closestMatch(name.text, names))
        d.help(fmt::format("did you mean `{}`?", *m));
      else
        d.help(fmt::format("declare it in the task: `{} {} {{ ... }}`", what, name.text));
    };
    for (const auto& [owner, name] : secretUses_)
      if (owner == &task) unknown(name, secretNames, "secret");
    for (const auto& [owner, name] : exposureTools_)
      if (owner == &task) unknown(name, toolNames, "tool");
    checkOneToolPerSecret(task);
    checkGatedExecutables(task);
    for (const auto& ref : pendingSecretRefs_) {
      if (ref.task != &task) continue;
      for (const auto& s : ref.secrets) unknown(s, secretNames, "secret");
    }
    secretUses_.clear();
    exposureTools_.clear();
    pendingSecretRefs_.clear();
  }

  // A token is minted for one tool alone (the launcher gates that tool's executable): a secret
  // that `uses secret` or `expose ... for` hands to a second tool is an error at the second.
  void checkOneToolPerSecret(const model::Task& task) {
    for (const auto& secret : task.secrets) {
      std::string first = secret.exposure ? secret.exposure->tool : "";
      for (const auto& [owner, name] : secretUses_) {
        if (owner != &task || name.text != secret.name) continue;
        std::string tool;
        for (const auto& t : task.tools)
          if (t.origin.span.contains(name.span)) tool = t.name;
        if (tool.empty() || tool == first) continue;
        if (first.empty()) {
          first = tool;
          continue;
        }
        diags_
            .report(Code::SecretForSeveralTools, name.span,
                    fmt::format("secret `{}` is already for tool `{}`; tool `{}` cannot have it too", secret.name,
                                first, tool))
            .help(fmt::format("declare a secret of its own for `{}`: each token is minted for one tool", tool));
      }
    }
  }

  // The launcher hands a tool its token through the tool's executable (a gate over it), so a tool
  // given a secret needs an executable of its own: none, or one another tool runs too, would let
  // the task's other processes have the token.
  void checkGatedExecutables(const model::Task& task) {
    for (const auto& tool : task.tools) {
      std::string secret;  // the first of the task's secrets given to the tool
      for (const auto& s : task.secrets)
        if (secret.empty() && ((s.exposure && s.exposure->tool == tool.name) ||
                               std::find(tool.secrets.begin(), tool.secrets.end(), s.name) != tool.secrets.end()))
          secret = s.name;
      if (secret.empty()) continue;
      if (tool.exec.empty()) {
        diags_
            .report(Code::ToolExecutableShared, tool.nameSpan,
                    fmt::format("tool `{}` is given secret `{}` but declares no executable", tool.name, secret))
            .help("declare the program that is the tool, `exec \"PATH\"`: its token is handed to that program alone");
        continue;
      }
      auto other = std::find_if(task.tools.begin(), task.tools.end(),
                                [&](const model::Tool& t) { return &t != &tool && t.exec == tool.exec; });
      if (other == task.tools.end()) continue;
      diags_
          .report(Code::ToolExecutableShared, tool.execSpan,
                  fmt::format("tool `{}` is given secret `{}`, and tool `{}` runs its executable {} too", tool.name,
                              secret, other->name, tool.exec))
          .label(other->execSpan, "also run here")
          .help(fmt::format("give `{}` an executable of its own (a wrapper, or a copy): its token goes to the "
                            "processes that run it",
                            tool.name));
    }
  }

  struct SecretRefs {
    model::Task* task;
    std::vector<ast::Ident> secrets;
  };

  ModuleSet& modules_;
  DiagnosticSink& diags_;
  std::vector<TaskState> states_;
  std::map<std::pair<Module*, const ast::TaskDecl*>, std::size_t> taskIndex_;
  std::set<Module*> checkedModules_;
  std::set<const ast::Profile*> usedProfiles_, cyclicProfiles_;
  std::set<const ast::Group*> cyclicGroups_;
  std::set<std::tuple<FileId, std::uint32_t, std::uint32_t>> reportedSyscalls_;
  std::vector<std::pair<model::Task*, ast::Ident>> secretUses_, exposureTools_;
  std::vector<SecretRefs> pendingSecretRefs_;
  std::size_t order_ = 0;
  std::deque<Expansion> scratch_;  // expansions of user groups, alive for this resolve
};

}  // namespace

std::optional<model::Model> resolve(ModuleSet& modules, DiagnosticSink& diags) {
  if (modules.root() == nullptr) return std::nullopt;
  return Resolver(modules, diags).run();
}

}  // namespace sbx::frontend
