// The host's UNIX sockets under the sandbox's binds. Neither the network namespace nor Landlock
// (up to ABI 7 it scopes only abstract sockets) stops connect() to a socket file the sandbox can
// see, so a grant like `read "/run"` would hand the agent the Docker daemon, D-Bus or systemd.
// The launcher lists the sockets bound on the host (/proc/net/unix: it runs in the host's network
// namespace) and plans a `mask` (/dev/null) over every one that lies inside a bind or the
// workspace, unless the policy declares that socket's path itself. Not seen: sockets bound in
// another network namespace or by a relative path, sockets bound after the launch, and socket
// files renamed or hard-linked after they were bound.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/mounts.h"

namespace sbx::run {

// The path of a socket bound to a file, from one line of /proc/net/unix; none for a header,
// unbound or abstract socket, or a relative path.
std::optional<std::string> boundSocketPath(std::string_view line);

// Every path at which the sandbox sees the host file `hostPath` (symlink-free, absolute) through a
// bind or the workspace mount (each bind holding it, unless a deeper mount covers that path);
// none when no bind holds it or when the policy declares the file itself.
std::vector<std::string> sandboxPathsOf(const std::vector<PlannedMount>& mounts, const std::string& hostPath);

// Appends a `mask` for each host socket the planned binds would expose (see above). Fails, with
// the reason, when the host's socket table is too large to check.
bool maskHostSockets(std::vector<PlannedMount>& mounts, std::string& error);

}  // namespace sbx::run
