// The standard library's syscall groups, expanded by the resolver itself (syscall_groups.h): each
// group is allowed by one task of a policy written for the purpose, and that task's rules are
// the group's members, so the table is whatever the resolver makes of the module.
#include "frontend/syscall_groups.h"

#include <fmt/format.h>

#include <filesystem>
#include <sstream>

#include "frontend/embedded_stdlib.h"
#include "util/read_file.h"

namespace sbx::frontend {

namespace {

constexpr const char* kModule = "syscalls.sbx";

std::string moduleText(const Options& options) {
  if (!options.stdlibDir.empty())
    return readWholeFile((std::filesystem::path(options.stdlibDir) / kModule).string()).value_or("");
  for (const EmbeddedFile& file : embeddedStdlibFiles())
    if (file.path == kModule) return std::string(file.contents);
  return "";
}

// The names of the module's groups: the lines `group NAME {` (the module is kept in `sbxc fmt`'s
// layout, one declaration per line start).
std::vector<std::string> groupNames(const std::string& text) {
  std::vector<std::string> names;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("group ")) continue;
    std::string name = line.substr(6, line.find(' ', 6) - 6);
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

}  // namespace

std::vector<SyscallGroup> stdlibSyscallGroups(const Options& options) {
  std::vector<std::string> names = groupNames(moduleText(options));
  std::string policy = "import std.syscalls\n";
  for (std::size_t i = 0; i < names.size(); ++i)
    policy += fmt::format("task group_{} {{\n  syscalls {{\n    allow @syscalls.{}\n  }}\n}}\n", i, names[i]);
  Session session(options);
  Result result = session.loadText("<std.syscalls groups>", policy);
  std::vector<SyscallGroup> groups;
  if (!result.model) return groups;
  for (std::size_t i = 0; i < names.size(); ++i) {
    SyscallGroup group{"@syscalls." + names[i], {}};
    for (const auto& task : result.model->tasks)
      if (task.name == fmt::format("group_{}", i))
        for (const auto& rule : task.syscalls.rules) group.members.insert(rule.syscall);
    if (!group.members.empty()) groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace sbx::frontend
