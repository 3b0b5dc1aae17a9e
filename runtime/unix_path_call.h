// connect(2), bind(2) and sendto(2) of a UNIX socket to a path name, made for a held call of the
// sandbox's (socket_broker.h) as the sandbox would make it. A path is looked up from the caller's
// root and working directory, with its permissions checked for its user: the supervisor's own
// root, and its credentials (host root, or the namespace's owner), would reach other files and
// pass other checks. So a short-lived child of the launcher joins the sandbox's user namespace,
// takes the sandbox's root and the caller's working directory (through /proc/PID/root and cwd,
// opened before), becomes the payload's user and group, makes the call on the supervisor's
// duplicate of the caller's socket, and reports the result. The call is never let run in the
// caller itself: the caller's memory and descriptor table may have changed since the check.
// Not carried over: the caller's Landlock domain (it governs files, not UNIX connects, before
// Linux 6.12's scoping) and supplementary groups (the payload has none).
#pragma once
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <functional>
#include <string_view>

namespace sbx::run {

struct UnixPathCall {
  enum class Kind { Connect, Bind, Send } kind = Kind::Connect;
  pid_t caller = 0;  // the process (thread group) of the held call
  uid_t uid = 0;     // the payload's ids, inside the sandbox's user namespace
  gid_t gid = 0;
  int socket = -1;  // the supervisor's duplicate of the caller's socket
  sockaddr_un address{};
  socklen_t length = 0;
  std::string_view bytes;  // Send: the datagram
  int flags = 0;           // Send: sendto's flags
  // Whether the held call is still there, asked after /proc/PID was opened: PID was still the caller.
  std::function<bool()> stillHeld;
};

// The call's result as the system call would return it: >= 0, or -errno. `started` is told the
// helper's pid (so that a stopping supervisor can kill it) and then 0 once it has been reaped.
long makeUnixPathCall(const UnixPathCall& call, const std::function<void(pid_t)>& started);

}  // namespace sbx::run
