// Facts about one task that several rules read: what a destination can reach, which systems a
// tool acts on, where host credentials live. Rules decide; these only describe.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/model.h"

namespace sbx::classifier {

enum class SystemClass { None, DevelopmentOrTest, Staging, Production };

// The environment a tool acts on; a named system without an environment counts as production.
SystemClass systemClass(const model::Tool& tool);

// Effects that change something (everything but read).
bool changesState(model::Effect effect);

// Egress that is not a declared sink: any host, a `*.suffix` wildcard, or a CIDR broader than
// /24 (IPv4) or /64 (IPv6). Exact hosts, addresses and narrow ranges are declared sinks.
bool isOpenDestination(const model::Destination& d);
// Any host, 0.0.0.0/0, ::/0, or a `*.suffix` wildcard: T2 makes "no wildcard destinations" a
// mandatory control, and every task with egress is T2 or above.
bool isWildcardEgress(const model::Destination& d);
// The cloud metadata endpoint the destination could reach, if any ("169.254.169.254").
std::optional<std::string> metadataReached(const model::Destination& d);

// The host credential location a path grant covers, if any ("/run/secrets: mounted secrets").
std::optional<std::string> secretLocationCovered(const std::string& path);
// The same for the locations that hold credentials (keys, tokens, passwords), not host sockets:
// a grant on one makes the task hold a static host secret (T3, long-lived-credential).
std::optional<std::string> credentialLocationCovered(const std::string& path);

// The host sockets a path grant reaches (classifier/host_sockets.def): it is one of them, lies
// inside one or contains one. Each location reads "/run/dbus: the system D-Bus".
struct HostSocketsReached {
  std::vector<std::string> runtimes;  // container runtimes and the kubelet: root on the host
  std::vector<std::string> services;  // host services: D-Bus, systemd, X11, user sessions
};
HostSocketsReached hostSocketsReached(const std::string& path);

// What the executable is when it runs whatever code its arguments name ("the Python
// interpreter"), by its file name (classifier/interpreters.def).
std::optional<std::string> interpreterNamed(const std::string& executable);

// Why an `exec` grant lets the task run generated, user-supplied or validator code (TIERS.md T1):
// it lies in the workspace, names an interpreter or shell, overlaps a writable path, or (unpinned)
// names a directory of programs. nullopt for one fixed program, which runs no code of its own.
std::optional<std::string> execRunsCode(const model::ResolvedTask& task, const model::PathGrant& exec);

// True when `outer` is `inner` or one of its ancestors.
bool pathCovers(std::string_view outer, std::string_view inner);

// Whether the task connects anywhere: a destination of its own or its tools', or the host's network.
bool hasEgress(const model::ResolvedTask& task);

// Whether the tool sends HTTP(S) requests as far as its policy says: one of its actions names the
// requests it consists of, or its system is written as an http(s):// URL. sbx-run's proxy tells
// such a tool's actions apart by their request rules alone.
bool speaksHttp(const model::Tool& tool);
// Whether an action's approval gate holds: the proxy holds the requests of an action with request
// rules; an action of a tool that speaks HTTP without them cannot be told apart, so its approval
// is declared but unenforced. A tool on another kind of system keeps the credit of its gate.
bool approvalEnforced(const model::Tool& tool, const model::Action& action);
// Whether one of the tool's request rules goes to the secret's audience (a host name or address,
// optionally with `:port`, or an http(s) URL naming them; any host when the audience is empty)
// with the scheme `scheme`.
bool requestsReachAudience(const model::Tool& tool, const model::Secret& secret, std::string_view scheme);

// The tools that use a secret (`uses secret`, or named by its exposure or its injection).
std::vector<const model::Tool*> toolsUsing(const model::ResolvedTask& task, const std::string& secret);

}  // namespace sbx::classifier
