// sbxc compile: write DIR/<task>/plan.json and the seccomp artifacts (seccomp.bpf, seccomp.pfc,
// seccomp.json) for every task of a policy, all or nothing.
#include <filesystem>

#include <fmt/format.h>

#include "backends/plan.h"
#include "backends/seccomp/seccomp.h"
#include "classifier/report.h"
#include "cli/command.h"
#include "cli/options.h"
#include "frontend/frontend.h"
#include "util/atomic_file.h"

namespace sbx::cli {

int runCompile(const std::vector<std::string>& argv) {
  auto specs = commonOptions();
  specs.push_back({"-o", true, {}});
  specs.push_back({"--output", true, {}});
  specs.push_back({"--format", true, {"text", "json"}});
  specs.push_back({"--codegen", true, {"sbxc", "libseccomp"}});
  auto args = parseArgs("compile", argv, specs);
  if (!args) return kUsageOrIo;
  if (args->positionals.size() != 1) return usageError("compile", "give exactly one policy file");
  std::string outDir = args->get("-o", args->get("--output", ""));
  if (outDir.empty()) return usageError("compile", "no output directory; add -o DIR");

  frontend::Session session({args->get("--stdlib", "")});
  const std::string& input = args->positionals[0];
  auto result = session.load(input);
  auto diagnostics = result.diagnostics.sorted();
  if (result.model) {
    bool anyRoot = false;
    for (const auto& t : result.model->tasks) anyRoot |= t.root;
    if (!anyRoot) {
      diagnostics.push_back(makeDiagnostic(Code::SBX55, {}, fmt::format("`{}` declares no task to compile", input)));
      diagnostics.back().help("declare one: task NAME { ... }");
    }
  }
  printDiagnostics(diagnostics, session.sources(), *args);
  bool hasErrors = std::any_of(diagnostics.begin(), diagnostics.end(),
                               [](const Diagnostic& d) { return d.severity == Severity::Error; });
  if (!result.model || hasErrors) {
    for (const auto& d : diagnostics)
      if (d.id == codeId(static_cast<int>(Code::SBX90)) && !d.span.valid()) return kUsageOrIo;
    return kInvalidInput;
  }

  // The tier decides the syscall baseline; the lint findings go to report.json and stderr.
  const model::Model& model = *result.model;
  auto report = classifier::classify(model, {classifier::todayUtc()});
  printDiagnostics(report.activeFindings(model), session.sources(), *args);

  std::vector<PendingFile> files;
  std::vector<Diagnostic> backendErrors;
  for (std::size_t index = 0; index < model.tasks.size(); ++index) {
    const model::Task& task = model.tasks[index];
    if (!task.root) continue;
    std::filesystem::path dir = std::filesystem::path(outDir) / task.name;
    auto at = [&](const char* name) { return (dir / name).lexically_normal().string(); };
    seccomp::SeccompOptions options;
    options.tier = report.of(index).tier;
    options.codegen =
        args->get("--codegen", "libseccomp") == "libseccomp" ? seccomp::Codegen::Libseccomp : seccomp::Codegen::Sbxc;
    seccomp::SeccompOutput filter;
    std::string error;
    if (!seccomp::compileSeccomp(task, options, filter, error)) {
      Span where = task.span;
      for (const auto& rule : task.syscalls.rules)
        if (rule.syscall == filter.failedSyscall) {
          where = rule.origin.span;
          break;
        }
      backendErrors.push_back(makeDiagnostic(
          Code::SBX56, where, fmt::format("cannot build the seccomp filter of task `{}`: {}", task.name, error)));
      backendErrors.back().help(
          "merge rules that share an action into groups, or use fewer argument conditions on one syscall");
      continue;
    }
    auto plan = backends::buildPlan(task, model);
    plan["tier"] = options.tier;
    plan["seccomp"] = seccomp::planEntry(filter, options);
    files.push_back({at("plan.json"), backends::renderJson(plan), 0644});
    files.push_back(
        {at("report.json"), backends::renderJson(classifier::taskJson(model, report, index, session.sources())), 0644});
    files.push_back({at("seccomp.bpf"), seccomp::toBytes(filter.program), 0644});
    files.push_back({at("seccomp.pfc"), filter.disassembly, 0644});
    files.push_back({at("seccomp.json"), filter.profile, 0644});
  }
  if (!backendErrors.empty()) {
    printDiagnostics(backendErrors, session.sources(), *args);
    return kInvalidInput;
  }
  std::string error;
  if (!writeFilesAtomically(files, error)) {
    fmt::print(stderr, "sbxc compile: {}\n", error);
    return kUsageOrIo;
  }
  if (args->get("--format", "text") == "json") {
    nlohmann::ordered_json out = {{"written", nlohmann::ordered_json::array()}};
    for (const auto& f : files) out["written"].push_back(f.path);
    fmt::print("{}\n", out.dump(2));
  } else {
    for (const auto& f : files) fmt::print("wrote {}\n", f.path);
  }
  return kOk;
}

}  // namespace sbx::cli
