// sbxc check: parse, resolve and lint each policy, and check what sbx-run would refuse to start
// (driver/tool_gate_check.h); report every diagnostic.
#include <cstdio>

#include <fmt/format.h>

#include "classifier/classify.h"
#include "cli/command.h"
#include "cli/io.h"
#include "cli/options.h"
#include "cli/sarif.h"
#include "driver/check.h"
#include "frontend/frontend.h"

namespace sbx::cli {

namespace {
// The version of `--format json` (schemas/check.schema.json, docs/contracts.md).
constexpr const char* kCheckSchema = "sbxc.check/v1";
}  // namespace

int runCheck(const std::vector<std::string>& argv) {
  auto specs = commonOptions();
  specs.push_back({"--format", true, {"text", "json", "sarif"}});
  specs.push_back({"--fail-level", true, {"error", "warning", "note"}});
  auto args = parseArgs("check", argv, specs);
  if (!args) return kUsageOrIo;
  if (args->positionals.empty()) return usageError("check", "no policy files given");
  Severity failLevel = *parseSeverity(args->get("--fail-level", "error"));
  std::string format = args->get("--format", "text");

  frontend::Session session({args->get("--stdlib", ""), args->get("--import-root", "")});
  classifier::Options lint{classifier::todayUtc()};
  std::vector<Diagnostic> all;
  std::vector<classifier::Finding> forSarif;  // also carries suppressed findings
  bool invalid = false, io = false;
  for (const auto& path : args->positionals) {
    std::string input = path == "-" ? readStdin() : "";
    driver::Checked checked =
        driver::checkPolicy(session, path == "-" ? "<stdin>" : path, path == "-" ? &input : nullptr, lint);
    invalid = invalid || checked.invalid;
    io = io || checked.io;
    for (auto& d : checked.diagnostics) all.push_back(std::move(d));
    for (auto& f : checked.findings) forSarif.push_back(std::move(f));
  }

  std::size_t errors = 0, warnings = 0, notes = 0;
  bool failing = false;
  for (const auto& d : all) {
    errors += d.severity == Severity::Error;
    warnings += d.severity == Severity::Warning;
    notes += d.severity == Severity::Note;
    failing |= d.severity >= failLevel;
  }
  if (format == "sarif") {
    fmt::print(
        "{}\n",
        toSarif(forSarif, session.sources()).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  } else if (format == "json") {
    nlohmann::ordered_json out;
    out["schema"] = kCheckSchema;
    out["diagnostics"] = nlohmann::ordered_json::array();
    for (const auto& d : all) out["diagnostics"].push_back(toJson(d, session.sources()));
    out["summary"] = {
        {"files", args->positionals.size()}, {"errors", errors}, {"warnings", warnings}, {"notes", notes}};
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  } else {
    printDiagnostics(all, session.sources(), *args);
    RenderOptions render{colorWanted(2, args->get("--color", "auto"))};
    std::fputs(renderSummary(errors, warnings, render).c_str(), stderr);
  }
  if (io) return kUsageOrIo;
  if (invalid) return kInvalidInput;
  return failing ? kFindings : kOk;
}

}  // namespace sbx::cli
