#include "runtime/run_approvals.h"

#include <unistd.h>

namespace sbx::run {

bool planHasApprovalGates(const plan::Plan& plan) {
  for (const auto& tool : plan.task.tools)
    for (const auto& action : tool.actions)
      if (action.approval && !action.requests.empty()) return true;
  return false;
}

bool RunApprovals::start(const std::string& runId, AuditLog& audit, ApprovalGate::Send send, std::string& error) {
  if (!directory_.create(runId, error)) return false;
  gate_.emplace(audit, std::move(send));
  socket_.emplace(*gate_, geteuid());
  if (!socket_->listen(directory_, error)) return false;
  gate_->start();
  socket_->start();
  return true;
}

void RunApprovals::stop() {
  if (socket_) socket_->stop();  // no answer arrives after the gate's last
  if (gate_) gate_->stop();
}

}  // namespace sbx::run
