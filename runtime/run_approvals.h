// A run's approval gates assembled (docs/events.md): the run's directory (run_directory.h), the
// gate (approval_gate.h) and its socket (approval_socket.h), started and stopped together. The
// code that runs the inspecting proxy starts them for a plan with gated requests and feeds the
// gate every message of the channel:
//   RunApprovals approvals;
//   approvals.start(runId, audit, [&](const nlohmann::json& m) { /* one packet to the inspector */ }, error);
//   ... for each packet: approvals.gate().handle(message, error);
//   approvals.stop();  // held requests denied, the directory removed
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

#include "plan/plan.h"
#include "runtime/approval_gate.h"
#include "runtime/approval_socket.h"
#include "runtime/run_directory.h"

namespace sbx::run {

// Whether any action of the task's tools asks for approval and names the requests to hold.
bool planHasApprovalGates(const plan::Plan& plan);

class RunApprovals {
 public:
  RunApprovals() = default;
  ~RunApprovals() { stop(); }
  RunApprovals(const RunApprovals&) = delete;
  RunApprovals& operator=(const RunApprovals&) = delete;

  // Makes the run's directory and socket (usable by the running user only) and starts the gate.
  bool start(const std::string& runId, AuditLog& audit, ApprovalGate::Send send, std::string& error);
  ApprovalGate& gate() { return *gate_; }
  void stop();

 private:
  RunDirectory directory_;
  std::optional<ApprovalGate> gate_;
  std::optional<ApprovalSocket> socket_;
};

}  // namespace sbx::run
