// Whether the task's seccomp filter lets sbx-tool-gate make its calls (tool_gate/syscalls.def):
// checked before a task with tool tokens starts, so that a policy that denies them is refused with
// the calls named, not found out when the agent first calls the tool. The filter is run with the
// compiler's classic-BPF interpreter, on this machine's architecture.
#pragma once
#include <linux/filter.h>

#include <string>
#include <vector>

namespace sbx::run {

// The calls the filter does not allow, e.g. "socket(AF_UNIX, SOCK_STREAM), connect"; empty when
// it allows them all.
std::string gateCallsDenied(const std::vector<sock_filter>& filter);

}  // namespace sbx::run
