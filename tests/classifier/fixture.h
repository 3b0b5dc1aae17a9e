// Classifier fixtures: a policy whose comments state what the classifier must decide.
//
//   #> tier TASK N                 the task's computed tier is N
//   #> fired TASK SBXnnnn,...      exactly these tier rules and escalators fired for TASK, in order
//   #> finding SBXnnnn LINE        an active (unsuppressed) finding at LINE; the file's findings
//                                  from the classifier (SBX1xxx) must be exactly those listed
//   #> suppressed SBXnnnn LINE     a finding at LINE silenced by an @suppress
#pragma once
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace sbx::test {

struct Expectations {
  std::map<std::string, int> tiers;
  std::map<std::string, std::vector<std::string>> fired;
  std::multiset<std::string> findings;    // "SBX1202@12"
  std::multiset<std::string> suppressed;  // "SBX1202@12"
};

Expectations readExpectations(const std::filesystem::path& file);

struct Outcome {
  bool valid = false;                // the policy loaded without errors
  std::string diagnostics;           // front-end errors, when not valid
  std::map<std::string, int> tiers;  // root tasks
  std::map<std::string, std::vector<std::string>> fired;
  std::multiset<std::string> findings, suppressed;
};

// Loads and classifies the fixture in-process, with SOURCE_DATE_EPOCH's date or 2026-11-22.
Outcome classifyFixture(const std::filesystem::path& file);

}  // namespace sbx::test
