// The templates of `sbxc init`: templates/NAME.sbx and NAME.sbxtest, embedded into sbxc at build
// time (templates/CMakeLists.txt). The data lives there; this only pairs the files up.
#pragma once
#include <string_view>
#include <vector>

namespace sbx::cli {

struct InitTemplate {
  std::string_view name;     // "coding-agent": the policy is written as NAME.sbx, its tests as NAME.sbxtest
  std::string_view summary;  // the policy's first line, without its "# "
  std::string_view policy;
  std::string_view tests;
};

// Every template, by name. A policy without its tests (or the reverse) is not a template: the
// tests (tests/cli/init_cli_test.cc) list templates/ and require each file to belong to one.
const std::vector<InitTemplate>& initTemplates();

}  // namespace sbx::cli
