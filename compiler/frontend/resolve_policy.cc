// Cross-references and token rules, checked once a task is whole: the secrets and tools that
// `uses secret`, `expose ... for` and `delegate ... secret` name exist in the task; a secret is
// for one tool only (secret-for-several-tools); and a tool given a secret runs an executable of
// its own (tool-executable-shared, SBX0058), since the launcher hands the token to that program.
#include "frontend/resolve_internal.h"

namespace sbx::frontend::resolver {

void Resolver::checkReferences(model::ResolvedTask& task) {
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
  checkInjections(task);
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
void Resolver::checkOneToolPerSecret(const model::ResolvedTask& task) {
  for (const auto& secret : task.secrets) {
    std::string first = secret.exposure ? secret.exposure->tool : secret.injection ? secret.injection->tool : "";
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
                  fmt::format("secret `{}` is already for tool `{}`; tool `{}` cannot have it too", secret.name, first,
                              tool))
          .help(fmt::format("declare a secret of its own for `{}`: each token is minted for one tool", tool));
    }
  }
}

// The launcher hands a tool its token through the tool's executable (a gate over it), and the
// proxy tells an injected secret's tool by it too, so a tool given a secret needs an executable
// of its own: none, or one another tool runs too, would let
// the task's other processes have the token.
void Resolver::checkGatedExecutables(const model::ResolvedTask& task) {
  for (const auto& tool : task.tools) {
    std::string secret;  // the first of the task's secrets given to the tool
    for (const auto& s : task.secrets)
      if (secret.empty() &&
          ((s.exposure && s.exposure->tool == tool.name) || (s.injection && s.injection->tool == tool.name) ||
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

}  // namespace sbx::frontend::resolver
