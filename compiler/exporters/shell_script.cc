#include "exporters/shell_script.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "util/embedded.h"
#include "version.h"

namespace sbx {
extern const EmbeddedFile kExporterScripts[];
extern const std::size_t kExporterScripts_count;
}  // namespace sbx

namespace sbx::exporters {

namespace {

std::string_view scriptTemplate(std::string_view name) {
  for (std::size_t i = 0; i < kExporterScripts_count; ++i)
    if (kExporterScripts[i].path == fmt::format("exporters/scripts/{}", name)) return kExporterScripts[i].contents;
  throw std::logic_error(fmt::format("no script template {}", name));
}

// Replaces every @name@ of `text`; a placeholder without a value is a bug in sbxc, not in the
// policy, hence the exception (sbxc reports it as an internal error).
std::string expand(std::string_view text, const Substitutions& values) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t open = text.find('@', at);
    std::size_t close = open == std::string_view::npos ? open : text.find('@', open + 1);
    std::string_view name = close == std::string_view::npos ? "" : text.substr(open + 1, close - open - 1);
    bool placeholder = !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos;
    if (!placeholder) {
      std::size_t end = open == std::string_view::npos ? text.size() : open + 1;
      out += text.substr(at, end - at);
      at = end;
      continue;
    }
    out += text.substr(at, open - at);
    auto value = std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == name; });
    if (value == values.end()) throw std::logic_error(fmt::format("script placeholder @{}@ has no value", name));
    out += value->second;
    at = close + 1;
  }
  return out;
}

}  // namespace

std::string shellQuote(std::string_view text) {
  bool plain = !text.empty() && text.find_first_not_of(
                                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789_-./:=@%+,") == std::string_view::npos;
  if (plain) return std::string(text);
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::uint64_t timeoutSeconds(const ExportInput& input) {
  return (input.plan.task.timeoutMs.value_or(0) + 999) / 1000;
}

bool hasWorkspace(const ExportInput& input) {
  for (const auto& m : input.plan.mounts)
    if (m.type == plan::MountType::Workspace) return true;
  return false;
}

std::string writeScript(const ExportInput& input, const ScriptHeader& header, std::string_view body,
                        const Substitutions& values) {
  Substitutions preamble = {{"version", SBXC_VERSION},
                            {"task", input.plan.task.name},
                            {"tier", std::to_string(input.plan.tier)},
                            {"purpose", header.purpose},
                            {"usage", header.usage},
                            {"extra_options", header.extraOptions},
                            {"timeout", std::to_string(timeoutSeconds(input))},
                            {"has_workspace", hasWorkspace(input) ? "true" : "false"}};
  return expand(scriptTemplate("preamble.sh"), preamble) + "\n" + expand(scriptTemplate(body), values);
}

}  // namespace sbx::exporters
