#include "importers/docker_reference.h"

#include <seccomp.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backends/seccomp/libseccomp_codegen.h"

namespace sbx::importers {

namespace {

using Json = nlohmann::json;

bool listed(const Json& filter, const char* key, const std::string& value) {
  if (!filter.contains(key)) return false;
  auto list = filter[key].get<std::vector<std::string>>();
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Whether runc would load the rule on amd64 with `caps`.
bool applies(const Json& rule, const std::vector<std::string>& caps) {
  auto held = [&](const std::string& c) { return std::find(caps.begin(), caps.end(), c) != caps.end(); };
  if (rule.contains("includes")) {
    const auto& in = rule["includes"];
    if (in.contains("arches") && !listed(in, "arches", "amd64")) return false;
    for (const auto& c : in.value("caps", std::vector<std::string>{}))
      if (!held(c)) return false;
  }
  if (rule.contains("excludes")) {
    const auto& ex = rule["excludes"];
    if (listed(ex, "arches", "amd64")) return false;
    for (const auto& c : ex.value("caps", std::vector<std::string>{}))
      if (held(c)) return false;
  }
  return true;
}

std::uint32_t actionOf(const std::string& name, std::uint32_t errnoValue) {
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errnoValue);
  throw std::runtime_error(fmt::format("action {} is not handled by the reference", name));
}

}  // namespace

bool libseccompOfDockerProfile(const std::string& json, const std::vector<std::string>& capabilities, int optimize,
                               seccomp::Program& program, std::string& error) {
  try {
    Json profile = Json::parse(json);
    std::uint32_t defaultErrno = profile.value("defaultErrnoRet", 1u);
    std::unique_ptr<void, void (*)(void*)> ctx(seccomp_init(actionOf(profile.value("defaultAction", ""), defaultErrno)),
                                               seccomp_release);
    if (!ctx) throw std::runtime_error("libseccomp could not create a filter context");
    if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0 ||
        seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, static_cast<std::uint32_t>(optimize)) != 0)
      throw std::runtime_error("libseccomp rejected the filter attributes");
    static const std::map<std::string, scmp_compare> ops = {{"SCMP_CMP_NE", SCMP_CMP_NE},
                                                            {"SCMP_CMP_LT", SCMP_CMP_LT},
                                                            {"SCMP_CMP_LE", SCMP_CMP_LE},
                                                            {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                                                            {"SCMP_CMP_GE", SCMP_CMP_GE},
                                                            {"SCMP_CMP_GT", SCMP_CMP_GT},
                                                            {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
    for (const auto& rule : profile.value("syscalls", Json::array())) {
      if (!applies(rule, capabilities)) continue;
      std::uint32_t action = actionOf(rule.value("action", ""), rule.value("errnoRet", defaultErrno));
      std::vector<scmp_arg_cmp> cmps;
      for (const auto& a : rule.value("args", Json::array()))
        cmps.push_back({a["index"].get<unsigned>(), ops.at(a["op"].get<std::string>()), a["value"].get<std::uint64_t>(),
                        a.value("valueTwo", std::uint64_t{0})});
      for (const auto& name : rule["names"]) {
        int nr = seccomp_syscall_resolve_name(name.get<std::string>().c_str());
        if (nr < 0) continue;  // runc skips the names libseccomp's table lacks
        int rc = seccomp_rule_add_array(ctx.get(), action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
        if (rc != 0)
          throw std::runtime_error(
              fmt::format("libseccomp rejected the rule for {}: {}", name.get<std::string>(), std::strerror(-rc)));
      }
    }
    return seccomp::exportProgram(ctx.get(), program, error);
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

}  // namespace sbx::importers
