#include "cli/policy_test_report.h"

#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sbx::cli {

namespace {

constexpr const char* kTestSchema = "sbxc.test/v1";

std::size_t failures(const std::vector<TestResult>& results) {
  return static_cast<std::size_t>(
      std::count_if(results.begin(), results.end(), [](const TestResult& r) { return !r.outcome.passed; }));
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 admits no control character but tab, line feed and carriage return.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else
          out += c;
    }
  }
  return out;
}

}  // namespace

std::string testReportText(const std::vector<TestResult>& results) {
  std::string out;
  for (const auto& r : results) {
    if (r.outcome.passed)
      out += fmt::format("PASS {}:{} {}\n", r.file, r.line, r.name);
    else
      out += fmt::format("FAIL {}:{} {}: expected {}, got {}\n", r.file, r.line, r.name, r.outcome.expected,
                         r.outcome.got);
  }
  std::size_t failed = failures(results);
  out += fmt::format("{} passed, {} failed\n", results.size() - failed, failed);
  return out;
}

std::string testReportJson(const std::vector<TestResult>& results) {
  nlohmann::ordered_json out;
  out["schema"] = kTestSchema;
  out["tests"] = nlohmann::ordered_json::array();
  for (const auto& r : results)
    out["tests"].push_back({{"file", r.file},
                            {"line", r.line},
                            {"col", r.col},
                            {"task", r.task},
                            {"name", r.name},
                            {"status", r.outcome.passed ? "pass" : "fail"},
                            {"expected", r.outcome.expected},
                            {"got", r.outcome.got}});
  std::size_t failed = failures(results);
  out["summary"] = {{"passed", results.size() - failed}, {"failed", failed}};
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

// One <testsuite> per test file, one <testcase> per assertion (classname: the file and task, as
// CI systems group by it), a <failure> with expected and got.
std::string testReportJunit(const std::vector<TestResult>& results) {
  std::map<std::string, std::vector<const TestResult*>> byFile;
  for (const auto& r : results) byFile[r.file].push_back(&r);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out +=
      fmt::format("<testsuites name=\"sbxc test\" tests=\"{}\" failures=\"{}\">\n", results.size(), failures(results));
  for (const auto& [file, tests] : byFile) {
    std::size_t failed = static_cast<std::size_t>(
        std::count_if(tests.begin(), tests.end(), [](const TestResult* r) { return !r->outcome.passed; }));
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n",
                       xmlEscape(file), tests.size(), failed);
    for (const auto* r : tests) {
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}:{} {}\" file=\"{}\" line=\"{}\"",
                         xmlEscape(file + "." + r->task), xmlEscape(file), r->line, xmlEscape(r->name), xmlEscape(file),
                         r->line);
      if (r->outcome.passed) {
        out += "/>\n";
        continue;
      }
      std::string message = fmt::format("expected {}, got {}", r->outcome.expected, r->outcome.got);
      out += fmt::format(">\n      <failure message=\"{}\" type=\"assertion\">{}:{}: {}</failure>\n    </testcase>\n",
                         xmlEscape(message), xmlEscape(file), r->line, xmlEscape(message));
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace sbx::cli
