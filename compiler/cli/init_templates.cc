#include "cli/init_templates.h"

#include <cstddef>
#include <map>
#include <string>

#include "util/embedded.h"

namespace sbx {
extern const EmbeddedFile kTemplateFiles[];
extern const std::size_t kTemplateFiles_count;
}  // namespace sbx

namespace sbx::cli {

namespace {

std::string_view summaryOf(std::string_view policy) {
  std::string_view line = policy.substr(0, policy.find('\n'));
  if (line.starts_with("# ")) line.remove_prefix(2);
  return line;
}

}  // namespace

const std::vector<InitTemplate>& initTemplates() {
  static const std::vector<InitTemplate> templates = [] {
    std::map<std::string_view, InitTemplate> byName;  // sorted by name
    std::map<std::string_view, std::string_view> tests;
    for (std::size_t i = 0; i < kTemplateFiles_count; ++i) {
      const EmbeddedFile& file = kTemplateFiles[i];
      if (file.path.ends_with(".sbxtest")) {
        tests[file.path.substr(0, file.path.size() - 8)] = file.contents;
      } else if (file.path.ends_with(".sbx")) {
        std::string_view name = file.path.substr(0, file.path.size() - 4);
        byName[name] = {name, summaryOf(file.contents), file.contents, {}};
      }
    }
    std::vector<InitTemplate> paired;
    for (auto& [name, t] : byName) {
      auto it = tests.find(name);
      if (it == tests.end()) continue;
      t.tests = it->second;
      paired.push_back(t);
    }
    return paired;
  }();
  return templates;
}

}  // namespace sbx::cli
