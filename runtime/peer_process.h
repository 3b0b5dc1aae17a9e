// Which programs inside the sandbox hold the client end of a connection to the egress proxy: how
// the proxy tells a tool's connections (which may use that tool's destinations) from everyone
// else's.
//
// The client's end of the connection is found in the sandbox's /proc/net/tcp by its ports, then
// every process of the sandbox holding that socket (a descriptor of it), then their executables.
// A TCP socket carries no credentials of its creator (SO_PEERCRED is for UNIX sockets, and would
// name the process that connected, which may since have exec'd, exited or handed the socket on),
// so the proxy judges who holds the socket, and does so twice (proxy.cc).
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace sbx::run {

// The paths of the executables of the processes that hold the client end of `accepted`, a
// connection accepted on loopback in the network namespace of `sandboxInit`: one per process,
// empty when none is found. nullopt when some process's descriptors cannot be read (a process
// that is not dumpable, for a launcher without CAP_SYS_PTRACE over it): any process may make
// itself so, so the holders are then unknown), and when finding them would take more than a
// bounded number of /proc entries (peer_process.cc: kMaxEntriesExamined).
std::optional<std::vector<std::string>> peerExecutables(int accepted, pid_t sandboxInit);

}  // namespace sbx::run
