// sbxc init: start a policy from a template (cli/init_templates.h): the policy and its tests,
// written together or not at all, never over a file that exists.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/init_templates.h"
#include "cli/options.h"
#include "util/atomic_file.h"

namespace sbx::cli {

namespace {

int list() {
  std::size_t width = 0;
  for (const auto& t : initTemplates()) width = std::max(width, t.name.size());
  for (const auto& t : initTemplates()) fmt::print("{:<{}}  {}\n", t.name, width, t.summary);
  return kOk;
}

const InitTemplate* find(const std::string& name) {
  for (const auto& t : initTemplates())
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace

int runInit(const std::vector<std::string>& argv) {
  auto args = parseArgs("init", argv, {{"--list", false, {}}});
  if (!args) return kUsageOrIo;
  if (args->has("--list")) {
    if (!args->positionals.empty()) return usageError("init", "--list takes no template or directory");
    return list();
  }
  if (args->positionals.empty() || args->positionals.size() > 2)
    return usageError("init", "expected `sbxc init TEMPLATE [DIR]` (`sbxc init --list` shows the templates)");
  const std::string& name = args->positionals[0];
  const InitTemplate* chosen = find(name);
  if (chosen == nullptr) {
    std::vector<std::string> names;
    for (const auto& t : initTemplates()) names.emplace_back(t.name);
    fmt::print(stderr, "sbxc init: unknown template `{}`", name);
    if (auto m = closestMatch(name, names)) fmt::print(stderr, "; did you mean `{}`?", *m);
    fmt::print(stderr, "\nRun `sbxc init --list` for the templates.\n");
    return kUsageOrIo;
  }
  std::string dir = args->positionals.size() == 2 ? args->positionals[1] : ".";
  std::vector<NewFile> files{{std::string(chosen->name) + ".sbx", std::string(chosen->policy)},
                             {std::string(chosen->name) + ".sbxtest", std::string(chosen->tests)}};
  DirectoryHandle directory;
  std::string error;
  if (!DirectoryHandle::open(dir, true, false, directory, error)) {
    fmt::print(stderr, "sbxc init: {}\n", error);
    return kUsageOrIo;
  }
  if (!createFilesAt(directory, files, error)) {
    fmt::print(stderr, "sbxc init: {}{}\n", error,
               error.ends_with("already exists")
                   ? "; sbxc init never overwrites a file: give another directory, or move the file away"
                   : "");
    return kUsageOrIo;
  }
  std::string policy = (std::filesystem::path(directory.path()) / files[0].name).string();
  std::string tests = (std::filesystem::path(directory.path()) / files[1].name).string();
  fmt::print("wrote {}\nwrote {}\n", policy, tests);
  fmt::print("Next: adapt it to your task, then `sbxc check {}` and `sbxc test {}`\n", policy, tests);
  return kOk;
}

}  // namespace sbx::cli
