// Which program inside the sandbox opened a connection to the egress proxy: how the proxy tells
// a tool's connections (which may use that tool's destinations) from everyone else's.
//
// The client's end of the connection is found in the sandbox's /proc/net/tcp by its port, then
// the process holding that socket among the sandbox's processes, then its executable. A client
// that is not found gets no tool: it may use the task's destinations only.
#pragma once
#include <sys/types.h>

#include <string>

namespace sbx::run {

// The path (as seen inside the sandbox) of the executable of the process that holds the client
// end of `accepted`, a connection accepted on loopback in the namespace of `sandboxInit`.
// Empty when it cannot be found.
std::string peerExecutable(int accepted, pid_t sandboxInit);

}  // namespace sbx::run
