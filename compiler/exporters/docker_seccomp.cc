// Docker / Podman: the task's seccomp filter as a profile for `docker run --security-opt
// seccomp=seccomp.json` (the OCI `linux.seccomp` format, which both read). The rules are the
// flattened form the libseccomp back end compiles, so the runtime's filter allows and denies what
// sbxc's does; what the format leaves to the runtime is reported.
#include <fmt/format.h>

#include "exporters/targets.h"

namespace sbx::exporters {

ExportResult DockerSeccompExporter::exportTask(const ExportInput& input) const {
  ExportResult out;
  auto profile = nlohmann::ordered_json::parse(input.filter.profile);
  std::string foreign = profile["sbxc"].value("foreignArchAction", "");
  profile.erase("sbxc");  // sbxc's note for readers; the runtime decides it (below)
  out.files.emplace_back("seccomp.json", profile.dump(2) + "\n");
  out.losses.push_back({"the action for other architectures",
                        fmt::format("sbxc's filter answers {} for syscalls of other architectures (x32, i386); "
                                    "the runtime's libseccomp applies its own bad-architecture action",
                                    foreign),
                        5});
  for (const auto& rule : profile["syscalls"])
    if (rule.value("action", "") == "SCMP_ACT_NOTIFY")
      out.losses.push_back({"user notification (`notify`)",
                            "the profile keeps SCMP_ACT_NOTIFY for " + rule["names"].dump() +
                                ", which works only with a seccomp agent at the runtime's listenerPath",
                            5});
  out.losses.push_back(
      {"everything but the syscall filter",
       "a seccomp profile carries no mounts, limits, capabilities, egress or tokens (docs/exporters.md "
       "lists the targets that do)",
       5});
  return out;
}

}  // namespace sbx::exporters
