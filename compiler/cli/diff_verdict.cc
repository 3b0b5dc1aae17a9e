#include "cli/diff_verdict.h"

#include <fmt/format.h>

#include <map>

#include "classifier/classify.h"
#include "driver/compiled_task.h"
#include "prove/authority_compare.h"

namespace sbx::cli {

namespace {

struct Side {
  const model::Model& model;
  classifier::Report report;
  std::map<std::string, std::size_t> roots;  // by name
  explicit Side(const model::Model& m) : model(m), report(classifier::classify(m, {classifier::todayUtc()})) {
    for (std::size_t i = 0; i < m.tasks.size(); ++i)
      if (m.tasks[i].root) roots.emplace(m.tasks[i].name, i);
  }
  std::optional<backends::CompiledTask> compile(std::size_t index) const {
    std::vector<Diagnostic> errors;
    return backends::compileTask(model, report, index, seccomp::Codegen::Sbxc, errors);
  }
};

std::string first(const std::string& task, const prove::Comparison& c) {
  const auto& x = c.counterexamples.front();
  return fmt::format("task `{}`: {} {}", task, x.kind, x.what);
}

}  // namespace

DiffVerdict diffVerdict(const model::Model& oldModel, const model::Model& newModel) {
  Side olds(oldModel), news(newModel);
  std::string removed, undecided;
  for (const auto& [name, index] : olds.roots)
    if (!news.roots.contains(name) && removed.empty()) removed = fmt::format("task `{}`: the whole task", name);
  for (const auto& [name, index] : news.roots) {
    auto old = olds.roots.find(name);
    if (old == olds.roots.end()) return {DiffVerdict::Kind::Adds, fmt::format("task `{}` is new", name)};
    auto n = news.compile(index), o = olds.compile(old->second);
    if (!n || !o) {
      undecided = fmt::format("task `{}` does not compile", name);
      continue;
    }
    auto beyond = prove::grantsBeyond(*n, *o);
    if (!beyond.counterexamples.empty()) return {DiffVerdict::Kind::Adds, first(name, beyond)};
    if (!beyond.undecided.empty()) undecided = fmt::format("task `{}`: {}", name, beyond.undecided.front());
    auto back = prove::grantsBeyond(*o, *n);
    if (!back.counterexamples.empty() && removed.empty()) removed = first(name, back);
  }
  if (!undecided.empty()) return {DiffVerdict::Kind::Undecided, undecided};
  if (!removed.empty()) return {DiffVerdict::Kind::RemovesOnly, removed};
  return {};
}

std::string verdictText(const DiffVerdict& v) {
  switch (v.kind) {
    case DiffVerdict::Kind::Adds:
      return fmt::format("verdict: adds authority ({})\n", v.why);
    case DiffVerdict::Kind::RemovesOnly:
      return fmt::format("verdict: removes authority only ({}: no longer granted)\n", v.why);
    case DiffVerdict::Kind::Undecided:
      return fmt::format("verdict: undecided ({})\n", v.why);
    case DiffVerdict::Kind::Same:
      break;
  }
  return "verdict: grants the same authority\n";
}

nlohmann::ordered_json verdictJson(const DiffVerdict& v) {
  static constexpr const char* kNames[] = {"same", "removes-only", "adds", "undecided"};
  nlohmann::ordered_json j = {{"verdict", kNames[static_cast<int>(v.kind)]}};
  if (!v.why.empty()) j["because"] = v.why;
  return j;
}

}  // namespace sbx::cli
