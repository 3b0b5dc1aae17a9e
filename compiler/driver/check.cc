#include "driver/check.h"

#include "driver/tool_gate_check.h"

namespace sbx::driver {

Checked checkPolicy(frontend::Session& session, const std::string& path, const std::string* text,
                    const classifier::Options& lint) {
  Checked out;
  frontend::Result result = text ? session.loadText(path, *text) : session.load(path);
  for (auto& d : result.diagnostics.sorted()) {
    if (d.id == codeId(static_cast<int>(Code::IoError)) && !d.span.valid())
      out.io = true;
    else if (d.severity == Severity::Error)
      out.invalid = true;
    out.findings.push_back({d, std::nullopt});
    out.diagnostics.push_back(std::move(d));
  }
  if (!result.model) return out;
  const model::Model& model = *result.model;
  auto report = classifier::classify(model, lint);
  for (const auto& task : report.tasks)
    if (model.tasks[task.task].root)
      for (const auto& f : task.findings) out.findings.push_back(f);
  for (auto& d : report.activeFindings(model)) out.diagnostics.push_back(std::move(d));
  for (auto& d : backends::checkToolGates(model, report)) {
    out.invalid = true;
    out.findings.push_back({d, std::nullopt});
    out.diagnostics.push_back(std::move(d));
  }
  return out;
}

}  // namespace sbx::driver
