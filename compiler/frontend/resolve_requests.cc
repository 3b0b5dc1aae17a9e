// What the inspecting proxy enforces, checked against the tool and the task: a request rule's
// host and port are reachable by its tool's own `connect` destinations (request-unreachable,
// SBX0065: the proxy would refuse the connection before it saw a request), one tool declares a
// request once (which action it belongs to decides its approval); and an injected secret is
// given to its tool in no other way (invalid-injection, SBX0066).
#include "frontend/resolve_internal.h"
#include "net/ip_address.h"

namespace sbx::frontend::resolver {
namespace {

// The proxy's rule for a destination (runtime/egress_rules.cc): a host name matches a Host or
// a Wildcard (subdomains only), an address matches an Ip or Cidr.
bool allows(const model::Destination& d, const model::RequestRule& r) {
  if (d.protocol != model::Protocol::Tcp || r.port < d.portLow || r.port > d.portHigh) return false;
  auto literal = net::IpAddress::parse(r.host);
  switch (d.kind) {
    case model::Destination::Kind::Any:
      return true;
    case model::Destination::Kind::Host:
      return !literal && r.host == d.host;
    case model::Destination::Kind::Wildcard:
      return !literal && r.host.size() > d.host.size() + 1 && r.host.ends_with("." + d.host);
    case model::Destination::Kind::Ip:
    case model::Destination::Kind::Cidr: {
      auto network = net::Network::parse(d.address, d.prefix);
      return literal && network && network->contains(*literal);
    }
  }
  return false;
}

std::string hostPort(const model::RequestRule& r) {
  bool v6 = r.host.find(':') != std::string::npos;
  return (v6 ? "[" + r.host + "]" : r.host) + ":" + std::to_string(r.port);
}

bool sameRequest(const model::RequestRule& a, const model::RequestRule& b) {
  return a.method == b.method && a.scheme == b.scheme && a.host == b.host && a.port == b.port && a.path == b.path &&
         a.query == b.query;
}

}  // namespace

void Resolver::checkRequests(const model::Tool& tool) {
  std::vector<std::pair<const model::RequestRule*, const model::Action*>> seen;
  for (const auto& action : tool.actions)
    for (const auto& r : action.requests) {
      bool reachable = std::any_of(tool.egress.begin(), tool.egress.end(),
                                   [&](const model::Destination& d) { return allows(d, r); });
      if (!reachable)
        diags_
            .report(Code::RequestUnreachable, r.span,
                    fmt::format("tool `{}` cannot reach {}, where action `{}` sends {} {}", tool.name, hostPort(r),
                                action.name, r.method, r.path))
            .help(fmt::format("add the destination to the tool: connect \"{}\"", hostPort(r)))
            .note("a request rule narrows what the tool may send to a destination it may reach; it grants none");
      auto same = std::find_if(seen.begin(), seen.end(), [&](const auto& p) { return sameRequest(*p.first, r); });
      if (same != seen.end()) {
        diags_
            .report(Code::InvalidRequest, r.span,
                    fmt::format("{} {} is already a request of action `{}` of tool `{}`", r.method, r.url(),
                                same->second->name, tool.name))
            .label(same->first->span, "first declared here")
            .help("keep it in one action: the action a request belongs to decides whether it waits for approval");
        continue;
      }
      seen.emplace_back(&r, &action);
    }
}

// An injected secret reaches its tool's requests through the proxy alone: an `expose` or a
// `uses secret` (a file for the tool) would put it in the sandbox too.
void Resolver::checkInjections(const model::ResolvedTask& task) {
  for (const auto& secret : task.secrets) {
    if (!secret.injection) continue;
    const auto& inj = *secret.injection;
    if (secret.exposure)
      diags_
          .report(Code::InvalidInjection, secret.exposure->origin.span,
                  fmt::format("secret `{}` is injected by the proxy and exposed too", secret.name))
          .label(inj.origin.span, "injected here")
          .help("remove the `expose`: an injected secret never enters the sandbox");
    for (const auto& [owner, name] : secretUses_) {
      if (owner != &task || name.text != secret.name) continue;
      std::string tool;
      for (const auto& t : task.tools)
        if (t.origin.span.contains(name.span)) tool = t.name;
      diags_
          .report(Code::InvalidInjection, name.span,
                  fmt::format("tool `{}` uses secret `{}`, which the proxy injects into tool `{}`'s requests", tool,
                              secret.name, inj.tool))
          .label(inj.origin.span, "injected here")
          .help(fmt::format("remove `uses secret {}`: it would put the secret in a file for the tool", secret.name));
    }
  }
}

}  // namespace sbx::frontend::resolver
