// Skipping a test case whose subject cannot run here (no root, no cgroup controller, a program
// or a reference file that is not installed): the case says why and is counted as skipped by
// ctest, never as passed. skipTest() prints the reason and marks the run; main() then exits with
// kSkipExitCode when nothing failed, which ctest reads as "skipped" (SKIP_RETURN_CODE, set for
// every doctest binary in tests/CMakeLists.txt; ctest runs one test case per process).
#pragma once
#include <string>

namespace sbx::test {

constexpr int kSkipExitCode = 77;

// Call, then return from the test case: what follows needs what is missing.
void skipTest(const std::string& reason);
bool anyTestSkipped();

}  // namespace sbx::test
