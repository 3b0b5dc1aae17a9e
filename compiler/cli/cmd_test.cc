// sbxc test: runs the policy tests (NAME.sbxtest beside NAME.sbx, policy_test_file.h) found in
// the given files and directories. Each policy is loaded, classified and compiled by the same
// pipeline as `sbxc compile` (driver/compiled_task.h); each assertion is judged on the result
// (policy_test_eval.h). Invalid input (a malformed test, a policy that does not resolve, a name
// the policy lacks) is reported with its location and no results are printed.
#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/io.h"
#include "cli/options.h"
#include "cli/policy_test_report.h"
#include "frontend/frontend.h"

namespace sbx::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kTestExtension = ".sbxtest";

bool refuse(const std::string& message) {
  usageError("test", message);
  return false;
}

// The test files named by `paths`, each directory searched recursively, in sorted order; false
// after a message when a path names none.
bool findTestFiles(const std::vector<std::string>& paths, std::vector<std::string>& out) {
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (it->is_regular_file(ec) && it->path().extension() == kTestExtension)
          found.push_back(it->path().lexically_normal().string());
      if (ec) return refuse(fmt::format("cannot list `{}`: {}", path, ec.message()));
      if (found.empty()) return refuse(fmt::format("no policy tests (*{}) under `{}`", kTestExtension, path));
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (path.ends_with(kTestExtension)) {
      out.push_back(path);
    } else if (path.ends_with(".sbx")) {
      out.push_back(fs::path(path).replace_extension(kTestExtension).string());
    } else {
      return refuse(
          fmt::format("`{}` is neither a directory, a policy (.sbx) nor its tests ({})", path, kTestExtension));
    }
  }
  return true;
}

// Every test of one file, judged; false when the input is invalid (diagnostics in the sinks).
bool runFile(const std::string& testPath, frontend::Session& session, SourceManager& testSources,
             DiagnosticSink& testDiags, std::vector<Diagnostic>& policyDiags, std::vector<TestResult>& results,
             bool& ioError) {
  std::string error;
  auto text = readFile(testPath, error);
  if (!text) {
    fmt::print(stderr, "sbxc test: {}\n", error);
    ioError = true;
    return false;
  }
  FileId file = testSources.add(testPath, std::move(*text));
  std::size_t before = testDiags.errorCount();
  auto assertions = parsePolicyTests(file, testSources, testDiags);
  if (testDiags.errorCount() != before) return false;

  std::string policyPath = fs::path(testPath).replace_extension(".sbx").string();
  auto loaded = session.load(policyPath);
  bool policyValid = loaded.model.has_value();
  for (auto& d : loaded.diagnostics.sorted()) {
    if (d.severity != Severity::Error) continue;
    policyValid = false;
    ioError |= d.id == codeId(static_cast<int>(Code::IoError)) && !d.span.valid();
    policyDiags.push_back(std::move(d));
  }
  if (!policyValid) return false;
  const model::Model& model = *loaded.model;
  auto report = classifier::classify(model, {classifier::todayUtc()});

  std::map<std::string, std::optional<backends::CompiledTask>> compiled;  // by task name
  std::map<std::string, std::size_t> indexOf;
  std::vector<std::string> rootNames;
  for (std::size_t i = 0; i < model.tasks.size(); ++i)
    if (model.tasks[i].root) indexOf[model.tasks[i].name] = i, rootNames.push_back(model.tasks[i].name);
  bool valid = true;
  for (const auto& a : assertions) {
    auto index = indexOf.find(a.task);
    if (index == indexOf.end()) {
      if (compiled.emplace(a.task, std::nullopt).second) {  // once per task line
        auto& d = testDiags.report(Code::InvalidPolicyTest, a.taskSpan,
                                   fmt::format("`{}` declares no task `{}`", policyPath, a.task));
        if (auto m = closestMatch(a.task, rootNames))
          d.help(fmt::format("did you mean `{}`?", *m));
        else
          d.help("name a task the policy declares");
      }
      valid = false;
      continue;
    }
    auto slot = compiled.find(a.task);
    if (slot == compiled.end())
      slot =
          compiled
              .emplace(a.task, backends::compileTask(model, report, index->second, seccomp::Codegen::Sbxc, policyDiags))
              .first;
    if (!slot->second) {
      valid = false;
      continue;
    }
    TaskUnderTest task{model, report, index->second, *slot->second};
    auto outcome = judge(a, task, session.sources(), testDiags);
    if (!outcome) {
      valid = false;
      continue;
    }
    results.push_back({testPath, a.span.line, a.span.col, a.task, a.text, std::move(*outcome)});
  }
  return valid;
}

}  // namespace

int runTest(const std::vector<std::string>& argv) {
  auto specs = commonOptions();
  specs.push_back({"--format", true, {"text", "json", "junit"}});
  auto args = parseArgs("test", argv, specs);
  if (!args) return kUsageOrIo;
  std::vector<std::string> files;
  if (!findTestFiles(args->positionals.empty() ? std::vector<std::string>{"."} : args->positionals, files))
    return kUsageOrIo;

  frontend::Session session({args->get("--stdlib", ""), args->get("--import-root", "")});
  SourceManager testSources;
  DiagnosticSink testDiags;
  std::vector<Diagnostic> policyDiags;
  std::vector<TestResult> results;
  bool valid = true, ioError = false;
  for (const auto& file : files) valid &= runFile(file, session, testSources, testDiags, policyDiags, results, ioError);
  if (!valid) {
    printDiagnostics(policyDiags, session.sources(), *args);
    printDiagnostics(testDiags.sorted(), testSources, *args);
    fmt::print(stderr, "sbxc test: invalid input above; no test was run\n");
    return ioError ? kUsageOrIo : kInvalidInput;
  }
  std::string format = args->get("--format", "text");
  fmt::print("{}", format == "json"    ? testReportJson(results)
                   : format == "junit" ? testReportJunit(results)
                                       : testReportText(results));
  bool failed = std::any_of(results.begin(), results.end(), [](const TestResult& r) { return !r.outcome.passed; });
  return failed ? kFindings : kOk;
}

}  // namespace sbx::cli
