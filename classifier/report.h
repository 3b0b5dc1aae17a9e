// The classifier's report for people and tools: `sbxc classify`, `sbxc explain`, report.json.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "classifier/classify.h"
#include "diag/render.h"

namespace sbx::classifier {

// The versions of the JSON documents below (schemas/, docs/contracts.md): they change (v1 -> v2)
// only when a field is renamed, removed, retyped or changes meaning; adding a field keeps them.
constexpr const char* kReportSchema = "sbxc.report/v1";
constexpr const char* kClassifySchema = "sbxc.classify/v1";

// One task's tier, decisions (with evidence locations) and findings (with suppressions) as JSON.
nlohmann::ordered_json taskJson(const model::Model& model, const Report& report, std::size_t task,
                                const SourceManager& sources);
// report.json: taskJson with its schema and the stdlib the policy was compiled with.
nlohmann::ordered_json reportJson(const model::Model& model, const Report& report, std::size_t task,
                                  const SourceManager& sources);
// One rule's documentation as JSON.
nlohmann::ordered_json ruleJson(const Rule& rule);

// `sbxc classify`: the tier and the rules that fired, one line each.
std::string classifyText(const model::Model& model, const Report& report, std::size_t task,
                         const SourceManager& sources);
// `sbxc explain FILE`: every decision with its declarations, seed sentence and references; the
// controls the tier demands; the findings.
std::string explainText(const model::Model& model, const Report& report, std::size_t task, const SourceManager& sources,
                        const RenderOptions& render);
// `sbxc explain SBXnnnn`: one rule, as text or as the Markdown page of docs/rules/.
std::string ruleText(const Rule& rule);
std::string ruleMarkdown(const Rule& rule);

std::string tierLabel(int tier);                                       // "T3 credentialed"
std::string location(const Span& span, const SourceManager& sources);  // "file:line:col"

}  // namespace sbx::classifier
