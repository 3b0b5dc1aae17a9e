#include "driver/artifacts.h"

#include <filesystem>

#include <fmt/format.h>

#include "backends/plan.h"
#include "classifier/report.h"
#include "driver/compiled_task.h"
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
    auto compiled = compileTask(model, report, index, artifactOptions.codegen, out.errors);
    if (!compiled) continue;
    const seccomp::SeccompOutput& filter = compiled->filter;
    if (auto denied = toolGateCallsDenied(task, filter.program); denied && !artifactOptions.target) {
      out.errors.push_back(std::move(*denied));  // sbx-run would refuse to start it
      continue;
    }
    const plan::Plan& plan = compiled->plan;
    const int tier = plan.tier;
    if (artifactOptions.target) {
      auto exported = artifactOptions.target->exportTask({plan, filter, artifactOptions.image});
      for (auto& f : exported.files) out.files.push_back({at(f.path.c_str()), std::move(f.content), f.mode, outDir});
      std::string text = exporters::lossReportText(task.name, tier, exported.losses);
      out.files.push_back({at("loss.txt"), text, 0644, outDir});
      out.files.push_back(
          {at("loss.json"), renderJson(exporters::lossReportJson(task.name, tier, exported.losses)), 0644, outDir});
      out.lossReport += text;
      for (const auto& loss : exported.losses) out.mandatoryLoss |= exporters::blocks(loss, tier);
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
