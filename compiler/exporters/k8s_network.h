// The egress allowlist as Kubernetes policies, for the k8s exporter: a NetworkPolicy (ingress
// denied; egress only to the IP and CIDR destinations, never to the ranges sbx-run's proxy never
// reaches) and, when the task names hosts, a CiliumNetworkPolicy (toFQDNs, DNS only to kube-dns
// and only for those names, the never-reachable ranges denied), and with request rules the
// CiliumNetworkPolicy of their L7 HTTP rules (k8s_requests.h).
#pragma once
#include <string>
#include <vector>

#include "exporters/exporter.h"

namespace sbx::exporters {

// Whether any destination is a host name or a wildcard (the CiliumNetworkPolicy is written).
bool namesHosts(const plan::Plan& plan);

// The policies for the pods that carry `podLabels`; what they cannot say goes to `losses`.
std::vector<nlohmann::ordered_json> k8sNetworkPolicies(const ExportInput& input, const std::string& name,
                                                       const nlohmann::ordered_json& podLabels,
                                                       std::vector<Loss>& losses);

}  // namespace sbx::exporters
