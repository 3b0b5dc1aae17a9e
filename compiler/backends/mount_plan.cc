#include "backends/mount_plan.h"

#include <algorithm>
#include <map>

#include "plan/mount_order.h"

namespace sbx::backends {

std::vector<Mount> planMounts(const model::ResolvedTask& task) {
  struct Access {
    bool read = false, write = false, exec = false, workspace = false;
    model::MountFlags flags;
    std::string sha256;  // a pinned executable's digest
  };
  std::map<std::string, Access> grants;
  for (const auto& g : task.paths) {
    Access& a = grants[g.path];
    a.read |= g.access == model::Access::Read;
    a.write |= g.access == model::Access::Write;
    a.exec |= g.access == model::Access::Exec;
    a.workspace |= g.workspace;
    a.flags.nosuid |= g.flags.nosuid;
    a.flags.nodev |= g.flags.nodev;
    a.flags.noexec |= g.flags.noexec;
    if (!g.sha256.empty()) a.sha256 = g.sha256;
  }
  std::vector<Mount> mounts;
  for (const auto& [path, a] : grants) {
    Mount m;
    // A path inside the workspace is a workspace mount too: the launcher binds it from the host
    // directory given at launch, by descriptor beneath it (runtime/mounts.cc).
    m.type = a.workspace ? plan::MountType::Workspace : plan::MountType::Bind;
    m.source = a.workspace ? "" : path;
    m.sha256 = a.sha256;
    m.target = path;
    m.readOnly = !a.write;
    // Writable paths never execute unless exec was declared for them (generated code
    // persisted then run); read-only binds may, since programs and libraries live there.
    // A path inside the workspace holds the user's (or a previous run's) files: read, they still
    // do not execute unless exec was declared for them (`exec workspace "bin"`).
    bool insideWorkspace = a.workspace && path != kWorkspaceMountPoint;
    m.noexec = a.flags.noexec || ((a.write || insideWorkspace) && !a.exec);
    mounts.push_back(m);
  }
  for (const auto& s : task.scratch) {
    Mount m;
    m.type = plan::MountType::Tmpfs;
    m.target = s.path;
    m.readOnly = false;
    m.noexec = true;
    m.sizeBytes = s.sizeBytes.value_or(kDefaultScratchBytes);
    mounts.push_back(m);
  }
  for (const auto& d : task.devices) {
    Mount m;
    m.type = plan::MountType::Device;
    m.source = d.path;
    m.target = d.path;
    m.readOnly = false;
    m.nodev = false;
    m.noexec = true;
    mounts.push_back(m);
  }
  for (const auto& mask : task.masks) {
    Mount m;
    m.type = plan::MountType::Mask;
    m.target = mask.path;
    m.noexec = true;
    mounts.push_back(m);
  }
  // Masks go last among equals so they cover what a bind of the same path would expose.
  std::stable_sort(mounts.begin(), mounts.end(), [](const Mount& a, const Mount& b) {
    if (a.target != b.target) return plan::parentFirst(a.target, b.target);
    return a.type < b.type;
  });
  return mounts;
}

}  // namespace sbx::backends
