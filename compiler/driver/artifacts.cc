#include "driver/artifacts.h"

#include <filesystem>

#include <fmt/format.h>

#include "backends/plan.h"
#include "classifier/report.h"
#include "driver/tool_gate_check.h"
#include "plan/plan_json.h"

namespace sbx::backends {

Artifacts buildArtifacts(const model::Model& model, const classifier::Report& report, const SourceManager& sources,
                         const std::string& outDir, const ArtifactOptions& artifactOptions) {
  Artifacts out;
  for (std::size_t index = 0; index < model.tasks.size(); ++index) {
    const model::ResolvedTask& task = model.tasks[index];
    if (!task.root) continue;
    // Written under outDir through descriptors: a link at outDir or at outDir/<task> is refused
    // (util/atomic_file.h).
    std::filesystem::path dir = std::filesystem::path(outDir) / task.name;
    auto at = [&](const char* name) { return (dir / name).lexically_normal().string(); };
    seccomp::SeccompOptions options;
    options.tier = report.of(index).tier;
    options.codegen = artifactOptions.codegen;
    seccomp::SeccompOutput filter;
    std::string error;
    if (!seccomp::compileSeccomp(task, options, filter, error)) {
      Span where = task.span;
      for (const auto& rule : task.syscalls.rules)
        if (rule.syscall == filter.failedSyscall) {
          where = rule.origin.span;
          break;
        }
      out.errors.push_back(
          makeDiagnostic(Code::SeccompFilterTooLarge, where,
                         fmt::format("cannot build the seccomp filter of task `{}`: {}", task.name, error)));
      out.errors.back().help(
          "merge rules that share an action into groups, or use fewer argument conditions on one syscall");
      continue;
    }
    if (auto denied = toolGateCallsDenied(task, filter.program); denied && !artifactOptions.target) {
      out.errors.push_back(std::move(*denied));  // sbx-run would refuse to start it
      continue;
    }
    plan::Plan plan = buildPlan(task, model);
    plan.tier = options.tier;
    plan.seccomp = seccomp::planEntry(filter, options);
    if (artifactOptions.target) {
      auto exported = artifactOptions.target->exportTask({plan, filter, artifactOptions.image});
      for (auto& f : exported.files) out.files.push_back({at(f.path.c_str()), std::move(f.content), f.mode, outDir});
      std::string text = exporters::lossReportText(task.name, options.tier, exported.losses);
      out.files.push_back({at("loss.txt"), text, 0644, outDir});
      out.files.push_back({at("loss.json"),
                           renderJson(exporters::lossReportJson(task.name, options.tier, exported.losses)), 0644,
                           outDir});
      out.lossReport += text;
      for (const auto& loss : exported.losses) out.mandatoryLoss |= exporters::blocks(loss, options.tier);
      continue;
    }
    out.files.push_back({at("plan.json"), plan::renderPlan(plan), 0644, outDir});
    out.files.push_back(
        {at("report.json"), renderJson(classifier::reportJson(model, report, index, sources)), 0644, outDir});
    out.files.push_back({at("seccomp.bpf"), seccomp::toBytes(filter.program), 0644, outDir});
    out.files.push_back({at("seccomp.pfc"), filter.disassembly, 0644, outDir});
    out.files.push_back({at("seccomp.json"), filter.profile, 0644, outDir});
  }
  return out;
}

}  // namespace sbx::backends
