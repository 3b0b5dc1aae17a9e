// Where the workspace (the host directory given at launch) appears inside the sandbox: the front
// end's `workspace` grants, the plan, the exporters and sbx-run all name this one path.
#pragma once

namespace sbx {

inline constexpr const char* kWorkspaceMountPoint = "/workspace";

}  // namespace sbx
