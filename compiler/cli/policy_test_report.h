// The results of `sbxc test`, as text (one line per test, then `N passed, N failed`), JSON
// (schema sbxc.test/v1) or JUnit XML for CI. Deterministic: tests in file and line order.
#pragma once
#include <string>
#include <vector>

#include "cli/policy_test_eval.h"

namespace sbx::cli {

struct TestResult {
  std::string file;  // the test file, as named on the command line or found under a directory
  std::uint32_t line = 0, col = 0;
  std::string task, name;  // name: the assertion as written
  Outcome outcome;
};

std::string testReportText(const std::vector<TestResult>& results);
std::string testReportJson(const std::vector<TestResult>& results);
std::string testReportJunit(const std::vector<TestResult>& results);

}  // namespace sbx::cli
