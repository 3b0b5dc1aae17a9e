// sbxc compile: write the artifacts of every task of a policy (driver/artifacts.h) under -o DIR,
// all or nothing. A lint finding at error level that no @suppress silences stops the compile
// before anything is written: sbx-run compiles through here, so it stops the launch too.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "classifier/classify.h"
#include "cli/command.h"
#include "cli/options.h"
#include "driver/artifacts.h"
#include "exporters/exporter.h"
#include "frontend/frontend.h"
#include "util/atomic_file.h"
#include "util/embedded.h"
#include "util/sha256.h"

namespace sbx {
extern const EmbeddedFile kStdlibFiles[];
extern const std::size_t kStdlibFiles_count;
}  // namespace sbx

namespace sbx::cli {

namespace {

// The embedded stdlib module at `display` ("stdlib-policies/REL") with exactly `text`, if any.
bool isEmbeddedStdlib(const SourceFile& file) {
  constexpr std::string_view kPrefix = "stdlib-policies/";
  if (!std::string_view(file.path).starts_with(kPrefix)) return false;
  std::string_view relative = std::string_view(file.path).substr(kPrefix.size());
  for (std::size_t i = 0; i < kStdlibFiles_count; ++i)
    if (kStdlibFiles[i].path == relative) return kStdlibFiles[i].contents == file.text;
  return false;
}

// What the compile read, for sbx-run's cache (runtime/artifacts.h): each file loaded from disk
// with the SHA-256 of the bytes the compiler parsed, and the digest of the embedded stdlib.
nlohmann::ordered_json inputsOf(const SourceManager& sources) {
  nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
  for (std::size_t id = 0; id < sources.size(); ++id) {
    const SourceFile& file = sources.file(static_cast<FileId>(id));
    if (isEmbeddedStdlib(file)) continue;
    std::error_code ec;
    inputs.push_back({{"path", std::filesystem::absolute(file.path, ec).lexically_normal().string()},
                      {"sha256", sha256Hex(file.text)}});
  }
  Sha256 stdlib;
  for (std::size_t i = 0; i < kStdlibFiles_count; ++i)
    stdlib.update(
        fmt::format("{}\n{}\n{}", kStdlibFiles[i].path, kStdlibFiles[i].contents.size(), kStdlibFiles[i].contents));
  return {{"inputs", std::move(inputs)}, {"stdlib", stdlib.finishHex()}};
}

// Prints the root tasks' unsuppressed lint findings; true when one of them is an error, which
// stops the compile (warnings and notes never do).
bool lintErrorsStopCompile(const classifier::Report& report, const model::Model& model, const SourceManager& sources,
                           const ParsedArgs& args) {
  auto findings = report.activeFindings(model);
  printDiagnostics(findings, sources, args);
  auto isError = [](const Diagnostic& d) { return d.severity == Severity::Error; };
  auto errors = std::count_if(findings.begin(), findings.end(), isError);
  if (errors == 0) return false;
  const Diagnostic& first = *std::find_if(findings.begin(), findings.end(), isError);
  fmt::print(stderr,
             "sbxc compile: {} lint error{} above; nothing was written. Fix {}, or silence {} on the declaration "
             "it points at with a reason, e.g. @suppress({}, reason \"why this is acceptable\") "
             "(docs/classifier.md).\n",
             errors, errors == 1 ? "" : "s", errors == 1 ? "it" : "them", errors == 1 ? "it" : "each", first.name);
  return true;
}

}  // namespace

int runCompile(const std::vector<std::string>& argv) {
  auto specs = commonOptions();
  specs.push_back({"-o", true, {}});
  specs.push_back({"--output", true, {}});
  specs.push_back({"--format", true, {"text", "json"}});
  specs.push_back({"--codegen", true, {"sbxc", "libseccomp"}});
  std::vector<std::string> targets{"sbx"};
  for (const auto* e : exporters::exporters()) targets.emplace_back(e->name());
  specs.push_back({"--target", true, targets});
  specs.push_back({"--allow-lossy", false, {}});
  specs.push_back({"--image", true, {}});
  specs.push_back({"--print-inputs", false, {}});
  auto args = parseArgs("compile", argv, specs);
  if (!args) return kUsageOrIo;
  if (args->positionals.size() != 1) return usageError("compile", "give exactly one policy file");
  std::string outDir = args->get("-o", args->get("--output", ""));
  if (outDir.empty()) return usageError("compile", "no output directory; add -o DIR");
  const exporters::Exporter* target = exporters::findExporter(args->get("--target", "sbx"));
  std::string image = args->get("--image", "");
  if (args->has("--image")) {
    std::string takers;
    for (const auto* e : exporters::exporters())
      if (e->takesImage()) takers += fmt::format("{}--target {}", takers.empty() ? "" : ", ", e->name());
    if (!target || !target->takesImage())
      return usageError("compile", fmt::format("--image names the container image of {}; the {} target runs none",
                                               takers, target ? target->name() : "sbx"));
    // An image reference has no spaces, quotes or control characters; refusing them keeps it one word.
    bool wellFormed = !image.empty() && std::none_of(image.begin(), image.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return u <= 0x20 || u == 0x7f || c == '"' || c == '\'' || c == '\\';
    });
    if (!wellFormed)
      return usageError("compile",
                        fmt::format("--image `{}` is not an image reference (e.g. debian:bookworm-slim)", image));
  }

  frontend::Session session({args->get("--stdlib", ""), args->get("--import-root", "")});
  const std::string& input = args->positionals[0];
  auto result = session.load(input);
  auto diagnostics = result.diagnostics.sorted();
  if (result.model) {
    bool anyRoot = false;
    for (const auto& t : result.model->tasks) anyRoot |= t.root;
    if (!anyRoot) {
      diagnostics.push_back(makeDiagnostic(Code::NoTask, {}, fmt::format("`{}` declares no task to compile", input)));
      diagnostics.back().help("declare one: task NAME { ... }");
    }
  }
  printDiagnostics(diagnostics, session.sources(), *args);
  bool hasErrors = std::any_of(diagnostics.begin(), diagnostics.end(),
                               [](const Diagnostic& d) { return d.severity == Severity::Error; });
  if (!result.model || hasErrors) {
    for (const auto& d : diagnostics)
      if (d.id == codeId(static_cast<int>(Code::IoError)) && !d.span.valid()) return kUsageOrIo;
    return kInvalidInput;
  }

  // The tier decides the syscall baseline; the lint findings go to report.json and stderr.
  const model::Model& model = *result.model;
  auto report = classifier::classify(model, {classifier::todayUtc()});
  if (lintErrorsStopCompile(report, model, session.sources(), *args)) return kFindings;

  backends::ArtifactOptions options;
  options.codegen =
      args->get("--codegen", "sbxc") == "libseccomp" ? seccomp::Codegen::Libseccomp : seccomp::Codegen::Sbxc;
  options.target = target;
  options.image = image;
  auto [files, backendErrors, lossReport, mandatoryLoss] =
      backends::buildArtifacts(model, report, session.sources(), outDir, options);
  if (!backendErrors.empty()) {
    printDiagnostics(backendErrors, session.sources(), *args);
    return kInvalidInput;
  }
  if (options.target) {
    fmt::print(stderr, "{}", lossReport);
    if (mandatoryLoss && !args->has("--allow-lossy")) {
      fmt::print(stderr,
                 "sbxc compile: the {} target would lose a control the task's tier makes mandatory (above); nothing "
                 "was written. Export anyway with --allow-lossy.\n",
                 options.target->name());
      return kFindings;
    }
  }
  std::string error;
  if (!writeFilesAtomically(files, error)) {
    fmt::print(stderr, "sbxc compile: {}\n", error);
    return kUsageOrIo;
  }
  if (args->has("--print-inputs")) {
    fmt::print("{}\n", inputsOf(session.sources()).dump());
  } else if (args->get("--format", "text") == "json") {
    nlohmann::ordered_json out = {{"written", nlohmann::ordered_json::array()}};
    for (const auto& f : files) out["written"].push_back(f.path);
    fmt::print("{}\n", out.dump(2));
  } else {
    for (const auto& f : files) fmt::print("wrote {}\n", f.path);
  }
  return kOk;
}

}  // namespace sbx::cli
