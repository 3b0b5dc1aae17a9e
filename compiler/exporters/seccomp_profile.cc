#include "exporters/seccomp_profile.h"

#include <fmt/format.h>

namespace sbx::exporters {

nlohmann::ordered_json runtimeSeccompProfile(const ExportInput& input, std::vector<Loss>& losses) {
  auto profile = nlohmann::ordered_json::parse(input.filter.profile);
  std::string foreign = profile["sbxc"].value("foreignArchAction", "");
  profile.erase("sbxc");  // sbxc's note for readers; the runtime decides it (below)
  losses.push_back(lost(Control::ForeignArchAction, "the action for other architectures",
                        fmt::format("sbxc's filter answers {} for syscalls of other architectures (x32, i386); "
                                    "the runtime's libseccomp applies its own bad-architecture action",
                                    foreign)));
  for (const auto& rule : profile["syscalls"])
    if (rule.value("action", "") == "SCMP_ACT_NOTIFY")
      losses.push_back(lost(Control::SyscallNotify, "user notification (`notify`)",
                            "the profile keeps SCMP_ACT_NOTIFY for " + rule["names"].dump() +
                                ", which works only with a seccomp agent at the runtime's listenerPath"));
  return profile;
}

}  // namespace sbx::exporters
