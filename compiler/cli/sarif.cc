#include "cli/sarif.h"

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "classifier/rule_table.h"
#include "version.h"

namespace sbx::cli {

namespace {

using Json = nlohmann::ordered_json;

// SARIF's levels are sbxc's severity names: error, warning, note.
std::string_view level(Severity s) {
  return severityName(s);
}

// FNV-1a, 64 bits: stable across runs and platforms, enough to tell findings apart.
std::string fingerprint(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

// A relative path stays a relative reference (resolved against the working directory); an
// absolute one becomes a file:// URI, since a relative reference may not begin with a slash.
std::string uri(const std::string& path) {
  std::filesystem::path p = std::filesystem::path(path).lexically_normal();
  std::string out = p.is_absolute() ? "file://" : "";
  for (unsigned char c : p.generic_string()) {
    if (std::isalnum(c) || std::string_view("/-._~").find(static_cast<char>(c)) != std::string_view::npos)
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

Json region(const Span& s) {
  Json r = {{"startLine", s.line}, {"startColumn", s.col}};
  if (s.endLine >= s.line && s.endLine > 0) {
    r["endLine"] = s.endLine;
    if (s.endCol > 0 && (s.endLine > s.line || s.endCol > s.col)) r["endColumn"] = s.endCol;
  }
  return r;
}

Json location(const Span& s, const SourceManager& sources, std::optional<std::string> message = {}) {
  Json loc = {
      {"physicalLocation", {{"artifactLocation", {{"uri", uri(sources.file(s.file).path)}}}, {"region", region(s)}}}};
  if (message) loc["message"] = {{"text", *message}};
  return loc;
}

// Every rule a result can name: the front end's codes and the classifier's findings.
Json ruleDescriptors(std::map<std::string, std::size_t>& index) {
  Json rules = Json::array();
  auto add = [&](std::string id, std::string_view name, std::string_view summary, std::string_view help,
                 Severity severity, std::vector<std::string> tags) {
    index[id] = rules.size();
    Json r = {{"id", id},
              {"name", name},
              {"shortDescription", {{"text", summary}}},
              {"fullDescription", {{"text", summary}}},
              {"help", {{"text", help}}},
              {"defaultConfiguration", {{"level", level(severity)}}}};
    if (!tags.empty()) r["properties"] = {{"tags", tags}};
    rules.push_back(std::move(r));
  };
  for (const auto& c : frontEndCodes())
    add(codeId(c.number), c.name, c.summary, "Fix the policy as the diagnostic's help says.", c.severity, {});
  for (const auto& r : classifier::rules()) {
    if (!r.findingSeverity()) continue;
    std::string help =
        fmt::format("{}\n\nWhy (seed {}): \"{}\"\nReferences: {}", r.fix, r.seeds, r.quote, r.references);
    add(r.id(), r.name, r.summary, help, *r.findingSeverity(), r.referenceList());
  }
  return rules;
}

}  // namespace

Json toSarif(const std::vector<classifier::Finding>& findings, const SourceManager& sources) {
  std::map<std::string, std::size_t> index;
  Json driver = {{"name", "sbxc"},
                 {"version", SBXC_VERSION},
                 {"semanticVersion", SBXC_VERSION},
                 {"informationUri", "https://github.com/sbxc/sbxc"},
                 {"rules", ruleDescriptors(index)}};
  Json results = Json::array();
  for (const auto& f : findings) {
    const Diagnostic& d = f.diagnostic;
    std::string text = d.message;
    for (const auto& h : d.helps) text += "\nhelp: " + h;
    Json r = {{"ruleId", d.id}, {"level", level(d.severity)}, {"message", {{"text", text}}}};
    if (auto it = index.find(d.id); it != index.end()) r["ruleIndex"] = it->second;
    std::string line;
    if (d.span.valid()) {
      r["locations"] = Json::array({location(d.span, sources)});
      line = std::string(sources.file(d.span.file).line(d.span.line));
      Json related = Json::array();
      for (const auto& l : d.labels)
        if (l.span.valid()) {
          Json loc = location(l.span, sources, l.message);
          loc["id"] = related.size();
          related.push_back(std::move(loc));
        }
      if (!related.empty()) r["relatedLocations"] = std::move(related);
    }
    // Rule, file, message and the line's text (not its number): survives edits above the finding.
    std::string file = d.span.valid() ? sources.file(d.span.file).path : "";
    r["partialFingerprints"] = {{"sbxcFinding/v1", fingerprint(d.id + '\0' + file + '\0' + d.message + '\0' + line)}};
    if (f.suppressedBy)
      r["suppressions"] =
          Json::array({{{"kind", "inSource"}, {"status", "accepted"}, {"justification", f.suppressedBy->reason}}});
    results.push_back(std::move(r));
  }
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs",
           Json::array({{{"tool", {{"driver", driver}}}, {"columnKind", "unicodeCodePoints"}, {"results", results}}})}};
}

}  // namespace sbx::cli
