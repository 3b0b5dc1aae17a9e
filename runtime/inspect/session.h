// One intercepted connection, from the launcher's hand-over to its end: TLS toward the client
// (a certificate of the run's CA for the CONNECT target) and toward the upstream (verified), then
// each request of the kept-alive connection read (request_head.h), judged against the actions of
// the tool that owns the connection (plan/request_match.h), held for approval where its action says so
// (channel.h), given its injected credential, and forwarded; each decision is reported to the
// launcher. A refused request gets an answer that names the tool, the request and the policy line
// that would allow it, and the connection ends.
#pragma once
#include <atomic>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "plan/plan.h"
#include "runtime/inspect/channel.h"
#include "runtime/inspect/tls_authority.h"

namespace sbx::inspect {

struct Inspector {
  plan::Plan plan;
  TlsAuthority tls;
  Channel* channel = nullptr;
  std::map<std::string, std::string> secrets;  // injected secret -> value
  std::atomic<std::uint64_t> approvals{0};     // approval request ids: "r1", "r2", ...
  std::atomic<int> connections{0};             // being served
};

// Serves the connection described by `message` ({"type":"connection",...}) on `client` and
// `upstream`, which it closes.
void serveConnection(Inspector& inspector, const nlohmann::json& message, int client, int upstream);

// Reads the launcher's messages on `channelFd` until it closes: connections are served on threads
// of their own, approvals delivered to the requests that wait for them. Then fails closed.
void serveChannel(Inspector& inspector, int channelFd);

// The body of a 403 for a request no action of `tool` allows (empty tool: the task's own).
std::string refusalBody(const std::string& tool, const std::string& request, const std::string& rule);

}  // namespace sbx::inspect
