#include "classifier/fixture.h"

#include <fstream>
#include <sstream>

#include "classifier/classify.h"
#include "diag/render.h"
#include "frontend/frontend.h"

namespace sbx::test {

Expectations readExpectations(const std::filesystem::path& file) {
  Expectations e;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("#> ")) continue;
    std::istringstream words(line.substr(3));
    std::string kind, a, b;
    words >> kind >> a >> b;
    if (kind == "tier") e.tiers[a] = std::stoi(b);
    if (kind == "finding") e.findings.insert(a + "@" + b);
    if (kind == "suppressed") e.suppressed.insert(a + "@" + b);
    if (kind == "fired") {
      auto& list = e.fired[a];
      std::istringstream ids(b);
      for (std::string id; std::getline(ids, id, ',');) list.push_back(id);
    }
  }
  return e;
}

Outcome classifyFixture(const std::filesystem::path& file) {
  frontend::Session session(frontend::Options{});
  auto result = session.load(file.string());
  Outcome out;
  for (const auto& d : result.diagnostics.sorted())
    if (d.severity == Severity::Error) out.diagnostics += renderText(d, session.sources(), {});
  out.valid = result.model && out.diagnostics.empty();
  if (!out.valid) return out;
  const auto& model = *result.model;
  auto report = classifier::classify(model, {model::Date{2026, 11, 22}});
  for (const auto& t : report.tasks) {
    const auto& task = model.tasks[t.task];
    if (!task.root) continue;
    out.tiers[task.qualifiedName] = t.tier;
    for (const auto& d : t.decisions) out.fired[task.qualifiedName].push_back(d.rule->id());
    for (const auto& f : t.findings) {
      if (f.diagnostic.span.file != task.file) continue;  // findings in imported files belong to them
      std::string key = f.diagnostic.id + "@" + std::to_string(f.diagnostic.span.line);
      (f.suppressedBy ? out.suppressed : out.findings).insert(key);
    }
  }
  return out;
}

}  // namespace sbx::test
