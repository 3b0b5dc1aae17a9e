// The launcher's end of sbx-inspect, the inspecting proxy (runtime/inspect/): started only for a
// plan with request rules or injected secrets, so that other tasks never load TLS code. It runs as
// sbx-run's child in the host's network namespace with nothing but its channel (an AF_UNIX
// SOCK_SEQPACKET socketpair, one JSON object a packet, descriptors by SCM_RIGHTS; docs/egress.md,
// "Request inspection"). The egress proxy (proxy.h) judges and connects each destination as
// before, then hands the connections to inspected host:ports over here instead of relaying them.
//
// The per-run CA's key lives only in sbx-inspect's memory; its certificate is written to a 0700
// directory of the launcher, from which a bundle (the system's CA bundle plus that certificate) is
// bound read-only over the sandbox's system bundle. Each decision the inspector reports is an
// audit line "request". An approval request is answered by `onApprovalRequest` (the approval gate
// replaces it); without one, it is denied.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "plan/plan.h"
#include "runtime/audit.h"
#include "runtime/mounts.h"
#include "runtime/run_approvals.h"

namespace sbx::run {

constexpr const char* kSandboxCaBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr const char* kHostCaBundle = "/etc/ssl/certs/ca-certificates.crt";

// Whether the plan needs the inspector: a tool's action with request rules, or an injected secret.
bool planNeedsInspector(const plan::Plan& plan);

class InspectorProcess {
 public:
  explicit InspectorProcess(AuditLog& audit) : audit_(audit) {}
  ~InspectorProcess() { stop(); }
  InspectorProcess(const InspectorProcess&) = delete;
  InspectorProcess& operator=(const InspectorProcess&) = delete;

  // Starts sbx-inspect (beside sbx-run) for `plan` (read from `planPath`), with its CA in a new
  // private directory under `stateDir` (or the temporary directory), trusting `upstreamCa` too, and
  // waits for it to be ready. `secrets`: the injected secrets' values. False with `error`.
  // A plan with approval gates (run_approvals.h) gets the run's approval socket too, for `runId`.
  bool start(const plan::Plan& plan, const std::string& planPath, const std::string& stateDir,
             const std::string& upstreamCa, const std::map<std::string, std::string>& secrets, const std::string& runId,
             std::string& error);
  // The sandbox's bind of the CA bundle, and its environment naming it.
  PlannedMount bundleMount() const;
  std::vector<std::string> environment() const;
  // Whether connections to host:port go to the inspector.
  bool inspects(const std::string& host, std::uint16_t port) const;
  const std::set<std::pair<std::string, std::uint16_t>>& inspected() const { return inspected_; }
  // Hands a judged, connected connection over (the protocol's "connection" message); the caller
  // closes its own copies of both descriptors. False when the inspector is gone.
  bool handOver(const std::string& tool, const std::string& host, std::uint16_t port, bool tls, std::string_view prefix,
                int client, int upstream);
  // The same for a connect the socket broker made (socket_broker.h): no CONNECT was asked, and the
  // inspector tells TLS from plain HTTP by the client's first byte.
  bool handOverTransparent(const std::string& tool, const std::string& host, std::uint16_t port, int client,
                           int upstream);
  // Ends the inspector and removes its directory.
  void stop();

  // Answers an approval request ({"type":"approval-request",...}) with an "approval" message
  // (reply); by default the run's approval gate holds it (a plan without gates: denied). Called on
  // the channel's reading thread.
  std::function<void(const nlohmann::json& request, const std::function<void(const nlohmann::json&)>& reply)>
      onApprovalRequest;

 private:
  void readDecisions();
  void send(const nlohmann::json& message, const std::vector<int>& fds = {});
  // The "connection" message: `message`'s own fields plus the connection's id, tool and target.
  bool sendConnection(nlohmann::json message, const std::string& tool, const std::string& host, std::uint16_t port,
                      int client, int upstream);

  AuditLog& audit_;
  pid_t pid_ = -1;
  int channel_ = -1;
  std::string dir_, bundle_;
  std::set<std::pair<std::string, std::uint16_t>> inspected_;
  std::mutex sendMutex_;
  std::uint64_t nextConnection_ = 0;
  std::thread reader_;
  // After the reader: stopped once no approval request can arrive any more.
  std::optional<RunApprovals> approvals_;
};

}  // namespace sbx::run
