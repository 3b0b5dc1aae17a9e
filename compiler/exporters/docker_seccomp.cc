// Docker / Podman: the task's seccomp filter as a profile for `docker run --security-opt
// seccomp=seccomp.json` (the OCI `linux.seccomp` format, which both read). The rules are the
// flattened form the libseccomp back end compiles, so the runtime's filter allows and denies what
// sbxc's does; what the format leaves to the runtime is reported.
#include "exporters/seccomp_profile.h"
#include "exporters/targets.h"

namespace sbx::exporters {

ExportResult DockerSeccompExporter::exportTask(const ExportInput& input) const {
  ExportResult out;
  out.files.emplace_back("seccomp.json", runtimeSeccompProfile(input, out.losses).dump(2) + "\n");
  out.losses.push_back(
      lost(Control::AllButSyscallFilter, "everything but the syscall filter",
           "a seccomp profile carries no mounts, limits, capabilities, egress or tokens (docs/exporters.md "
           "lists the targets that do)"));
  return out;
}

}  // namespace sbx::exporters
