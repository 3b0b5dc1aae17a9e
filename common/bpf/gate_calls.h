// Whether a task's seccomp filter lets sbx-tool-gate make its calls (tables/gate_calls.def):
// checked by sbxc when it compiles or checks a task with tool tokens (tool-gate-calls-denied) and
// again by sbx-run before such a task starts, so that a policy that denies them is refused with
// the calls named, not found out when the agent first calls the tool. The filter is run with the
// classic-BPF interpreter (bpf_interpreter.h), on this machine's architecture.
#pragma once
#include <linux/filter.h>

#include <string>
#include <vector>

namespace sbx::seccomp {

// The calls the filter does not allow, e.g. "socket(AF_UNIX, SOCK_STREAM), connect"; empty when
// it allows them all.
std::string gateCallsDenied(const std::vector<sock_filter>& filter);

}  // namespace sbx::seccomp
