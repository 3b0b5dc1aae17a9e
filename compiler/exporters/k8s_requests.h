// The task's request rules (docs/language.md, "Request rules") as a CiliumNetworkPolicy of L7 HTTP
// rules, for the k8s exporter: each host:port that a rule names gets an egress rule whose
// toPorts.rules.http lists the requests allowed there: method, Host, and the request target as a
// regular expression that Cilium's Envoy matches whole ("/api/items/{id}" ->
// "/api/items/[^/?]+(\?.*)?", query constraints spelled out in every order), with TLS terminated by
// Envoy for https (terminatingTLS / originatingTLS secrets the README asks for). What Cilium
// cannot say goes to the losses: the approval of a request (its requests are left out, so Cilium
// refuses them, as sbx-run does when nobody approves), a query as written, a tool's rules for that
// tool alone, sbx-run's own normalisation and refusals.
//
// Cilium ignores an L7 rule for a port that another rule allows at L4, so the plain allowlists
// (k8s_network.h) leave out the destinations these rules cover (coversDestination).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "exporters/exporter.h"

namespace sbx::exporters {

// Whether `destination` is exactly a host:port that a request rule names (its L4 allow is left to
// the request policy).
bool coversDestination(const plan::Plan& plan, const plan::Destination& destination);

// Whether any action of any tool names requests.
bool hasRequestRules(const plan::Plan& plan);

// The CiliumNetworkPolicy NAME-requests, or nullopt when the task has no request rules; what it
// cannot say goes to `losses`.
std::optional<nlohmann::ordered_json> k8sRequestPolicy(const ExportInput& input, const std::string& name,
                                                       const nlohmann::ordered_json& podLabels,
                                                       std::vector<Loss>& losses);

// README.txt's paragraph on the TLS secrets the request policy names; empty without https rules.
std::string k8sInterceptionSteps(const ExportInput& input, const std::string& name);

// The secrets the request policy names for TLS interception (in kube-system).
std::string interceptSecretName(const std::string& name);
std::string upstreamSecretName(const std::string& name);

}  // namespace sbx::exporters
