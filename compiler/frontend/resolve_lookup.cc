// Names and imports: a declaration is declared once per module, a name refers to a declaration
// of the kind the statement needs (`use` a profile, `delegate` a task, `@` a group), through an
// import that exists; an import nothing refers to is reported. Misspellings get the closest
// name in scope.
#include "frontend/resolve_internal.h"

namespace sbx::frontend::resolver {

const NameIndex& Resolver::checkDuplicates(Module& m) {
  auto [entry, fresh] = names_.try_emplace(&m);
  NameIndex& index = entry->second;
  if (!fresh) return index;
  auto check = [&](const auto& items, auto& byName, std::string_view what) {
    byName.reserve(items.size());
    for (const auto& item : items) {
      auto [it, first] = byName.emplace(item.name.text, &item);
      if (!first)
        diags_
            .report(Code::DuplicateDeclaration, item.name.span,
                    fmt::format("{} `{}` is declared twice", what, item.name.text))
            .label(it->second->name.span, "first declared here")
            .help("rename or delete one of them");
    }
  };
  check(m.ast.tasks, index.tasks, "task");
  check(m.ast.profiles, index.profiles, "profile");
  check(m.ast.groups, index.groups, "syscall group");
  return index;
}

std::optional<Found> Resolver::lookup(Module& m, const ast::QualifiedName& name, Kind kind) {
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
  }
  const NameIndex& names = checkDuplicates(*target);
  std::string_view simple = name.parts.back().text;
  auto find = [&](const auto& byName) {
    auto it = byName.find(simple);
    return it == byName.end() ? nullptr : it->second;
  };
  Found found{target, find(names.tasks), find(names.profiles), find(names.groups), name.joined()};
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
  auto& d = diags_.report(Code::UnknownName, name.span, fmt::format("no {} named `{}`", kindName(kind), name.joined()));
  std::vector<std::string> candidates = candidatesOf(m, kind);
  if (auto match = closestMatch(name.joined(), candidates)) d.help(fmt::format("did you mean `{}`?", *match));
  return std::nullopt;
}

bool Resolver::stdlibHas(const std::string& module) const {
  auto all = stdlibModules(modules_.options());
  return std::find(all.begin(), all.end(), module) != all.end();
}

std::vector<std::string> Resolver::namesOf(const Module& m, Kind kind, const std::string& prefix) {
  std::vector<std::string> out;
  auto add = [&](const auto& items) {
    for (const auto& item : items) out.push_back(prefix + item.name.text);
  };
  if (kind == Kind::Task) add(m.ast.tasks);
  if (kind == Kind::Profile) add(m.ast.profiles);
  if (kind == Kind::Group) add(m.ast.groups);
  return out;
}

std::vector<std::string> Resolver::candidatesOf(const Module& m, Kind kind) {
  auto out = namesOf(m, kind, "");
  for (const auto& [alias, mod] : m.imports) {
    auto more = namesOf(*mod, kind, alias + ".");
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

void Resolver::reportUnusedImports(Module& m) {
  for (const auto& [alias, used] : m.importUsed) {
    if (used) continue;
    const ast::Import* imp = m.importDecls.at(alias);
    diags_.report(Code::UnusedImport, imp->span, fmt::format("import `{}` is never used", alias))
        .help("delete the import, or refer to its declarations as `" + alias + ".NAME`");
  }
}

}  // namespace sbx::frontend::resolver
