#include "exporters/k8s_network.h"

#include <algorithm>

#include <fmt/format.h>

#include "exporters/k8s_requests.h"
#include "exporters/networks.h"

namespace sbx::exporters {

namespace {

using Json = nlohmann::ordered_json;
using Kind = plan::DestinationKind;

std::string protocolName(const std::string& protocol) {
  return protocol == "udp" ? "UDP" : "TCP";
}

bool allPorts(const plan::Destination& d) {
  return d.portLow <= 1 && d.portHigh == 65535;
}

// A NetworkPolicy port: `port` and `endPort` (a range), no port for all of them.
Json policyPort(const plan::Destination& d) {
  Json port{{"protocol", protocolName(d.protocol)}};
  if (allPorts(d)) return port;
  port["port"] = d.portLow;
  if (d.portHigh > d.portLow) port["endPort"] = d.portHigh;
  return port;
}

// A Cilium port: the number as a string, "0" for every port.
Json ciliumPort(const plan::Destination& d) {
  Json port{{"port", allPorts(d) ? "0" : std::to_string(d.portLow)}};
  if (!allPorts(d) && d.portHigh > d.portLow) port["endPort"] = d.portHigh;
  port["protocol"] = protocolName(d.protocol);
  return port;
}

bool isLoopback(const Network& n) {
  static const Network v4 = *Network::parse("127.0.0.0", 8), v6 = *Network::parse("::1", 128);
  return v4.contains(n) || v6.contains(n);
}

// The ipBlock egress rules of one IP, CIDR or any-address destination; with `inspected` (a request
// rule's host:port, allowed by the request policy instead) its losses only.
void addAddressRules(const plan::Destination& d, bool inspected, Json& egress, std::vector<Loss>& losses) {
  for (const auto& network : networksOf(d)) {
    auto holes = unreachableParts(network, d.kind == Kind::Any);
    if (holes.size() == 1 && holes.front() == network) {
      losses.push_back(lost(Control::UnreachableDestination, fmt::format("destination `{}`", d.text),
                            fmt::format("{} is link-local, cloud metadata or not unicast: sbx-run never connects there "
                                        "either, and the NetworkPolicy leaves it out",
                                        network.text())));
      continue;
    }
    Json block{{"cidr", network.text()}};
    if (!holes.empty()) {
      block["except"] = Json::array();
      for (const auto& h : holes) block["except"].push_back(h.text());
    }
    if (!inspected) egress.push_back({{"to", {{{"ipBlock", block}}}}, {"ports", {policyPort(d)}}});
    if (isLoopback(network))
      losses.push_back(lost(Control::HostLoopback, fmt::format("destination `{}`", d.text),
                            "a pod's loopback is its own: this reaches a server in the same pod, not one on the node "
                            "(sbx-run connects to the host's)"));
  }
}

Json fqdnSelector(const plan::Destination& d) {
  if (d.kind == Kind::Wildcard) return {{"matchPattern", "*." + d.host}};
  return {{"matchName", d.host}};
}

Json ciliumPolicy(const plan::Plan& plan, const std::vector<const plan::Destination*>& destinations,
                  const std::string& name, const Json& podLabels) {
  Json dnsNames = Json::array();
  Json egress = Json::array();
  for (const auto* d : destinations) {
    if (d->kind != Kind::Host && d->kind != Kind::Wildcard) continue;
    Json selector = fqdnSelector(*d);
    if (std::find(dnsNames.begin(), dnsNames.end(), selector) == dnsNames.end()) dnsNames.push_back(selector);
    if (coversDestination(plan, *d)) continue;  // allowed by the request policy's L7 rules
    egress.push_back({{"toFQDNs", {selector}}, {"toPorts", {{{"ports", {ciliumPort(*d)}}}}}});
  }
  // Lookups go to kube-dns only, and only for the declared names: a name off the list is never
  // resolved (DNS is a channel too), as with sbx-run's proxy.
  Json dns{{"toEndpoints",
            {{{"matchLabels", {{"k8s:io.kubernetes.pod.namespace", "kube-system"}, {"k8s:k8s-app", "kube-dns"}}}}}},
           {"toPorts",
            {{{"ports", {{{"port", "53"}, {"protocol", "UDP"}}, {{"port", "53"}, {"protocol", "TCP"}}}},
              {"rules", {{"dns", dnsNames}}}}}}};
  egress.insert(egress.begin(), dns);
  // A name that resolves to a metadata or link-local address must not open it: deny beats allow.
  Json deny = Json::array();
  for (const auto& range : unreachableParts(*Network::parse("0.0.0.0", 0), false))
    deny.push_back({{"cidr", range.text()}});
  for (const auto& range : unreachableParts(*Network::parse("::", 0), false)) deny.push_back({{"cidr", range.text()}});
  return {{"apiVersion", "cilium.io/v2"},
          {"kind", "CiliumNetworkPolicy"},
          {"metadata", {{"name", name + "-fqdn"}, {"labels", podLabels}}},
          {"spec",
           {{"endpointSelector", {{"matchLabels", podLabels}}},
            {"egress", egress},
            {"egressDeny", {{{"toCIDRSet", deny}}}}}}};
}

}  // namespace

bool namesHosts(const plan::Plan& plan) {
  for (const auto& d : plan.egress)
    if (d.kind == Kind::Host || d.kind == Kind::Wildcard) return true;
  return false;
}

std::vector<Json> k8sNetworkPolicies(const ExportInput& input, const std::string& name, const Json& podLabels,
                                     std::vector<Loss>& losses) {
  std::vector<const plan::Destination*> destinations;
  for (const auto& d : input.plan.egress) destinations.push_back(&d);
  Json egress = Json::array();
  bool wildcards = false;
  for (const auto* d : destinations) {
    if (d->kind == Kind::Ip || d->kind == Kind::Cidr || d->kind == Kind::Any)
      addAddressRules(*d, coversDestination(input.plan, *d), egress, losses);
    wildcards |= d->kind == Kind::Wildcard;
    if (!d->tool.empty())
      losses.push_back(lost(Control::ToolScopedDestination,
                            fmt::format("destination `{}` for tool `{}` alone", d->text, d->tool),
                            "a policy selects pods, not processes: every process of the pod may connect there; run the "
                            "tool in a pod of its own"));
  }
  std::vector<Json> out;
  out.push_back(
      {{"apiVersion", "networking.k8s.io/v1"},
       {"kind", "NetworkPolicy"},
       {"metadata", {{"name", name}, {"labels", podLabels}}},
       {"spec",
        {{"podSelector", {{"matchLabels", podLabels}}}, {"policyTypes", {"Ingress", "Egress"}}, {"egress", egress}}}});
  if (namesHosts(input.plan)) {
    out.push_back(ciliumPolicy(input.plan, destinations, name, podLabels));
    losses.push_back(
        lost(Control::HostNameAddresses, "addresses behind the host names",
             "Cilium allows whatever address the name resolves to (metadata and link-local ones are denied); "
             "sbx-run's proxy also refuses loopback and private addresses unless a rule names them"));
  }
  if (wildcards)
    losses.push_back(lost(Control::DeepSubdomains, "subdomains more than one label deep",
                          "Cilium's `*` does not cross a dot: `*.example.com` allows `a.example.com` but not "
                          "`a.b.example.com`, which sbx-run allows (the narrower rule fails closed)"));
  if (!destinations.empty())
    losses.push_back(lost(Control::ConnectionAudit, "every connection audited",
                          "NetworkPolicy and Cilium enforce the allowlist without a record of each connection; enable "
                          "Cilium's Hubble flow logs (or the CNI's policy-verdict log) to keep one, then export with "
                          "--allow-lossy"));
  if (auto requests = k8sRequestPolicy(input, name, podLabels, losses)) out.push_back(std::move(*requests));
  if (input.plan.task.network == plan::NetworkMode::Host)
    losses.push_back(
        lost(Control::MetadataUnreachable, "cloud metadata endpoints unreachable",
             "NetworkPolicy does not apply to pods with hostNetwork: nothing filters the pod's egress, the "
             "metadata addresses included"));
  return out;
}

}  // namespace sbx::exporters
