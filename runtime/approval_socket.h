// The approval socket: `approval.sock` (SOCK_SEQPACKET, 0600) in the run's 0700 directory
// (run_directory.h), where `sbx-run approve|deny|pending RUN` reach the run's approval gate
// (approval_gate.h). The directory keeps other users out; the peer's credentials (SO_PEERCRED)
// are checked again, so a client of another uid is refused even where it could reach the file.
// The gate checks an approver group against the peer's groups as the kernel recorded them at
// connect (SO_PEERGROUPS): no /proc read, no race with the client's exit.
// One request per connection, one reply; both bounded (kMaxRequestBytes, kMaxReplyBytes).
//   request: {"op":"pending"} | {"op":"approve"|"deny","request":"r17"}
//   reply:   {"ok":true,"pending":[{"request","tool","action","method","url","ageMs"},...]}
//            | {"ok":true} | {"ok":false,"error":"..."}
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "runtime/approval_gate.h"
#include "runtime/run_directory.h"

namespace sbx::run {

constexpr const char* kApprovalSocketName = "approval.sock";
constexpr std::size_t kMaxRequestBytes = 1024, kMaxReplyBytes = 64 * 1024;

class ApprovalSocket {
 public:
  // `owner`: the uid allowed to connect (the user who started the run).
  ApprovalSocket(ApprovalGate& gate, uid_t owner);
  ~ApprovalSocket();
  ApprovalSocket(const ApprovalSocket&) = delete;
  ApprovalSocket& operator=(const ApprovalSocket&) = delete;

  // Binds and listens in `dir` (removed with it). False with `error`.
  bool listen(RunDirectory& dir, std::string& error);
  void start();
  void stop();

  // The reply to one request from `who` (exposed for the tests of the rules).
  nlohmann::json serve(const nlohmann::json& request, const Approver& who);

 private:
  void acceptLoop();
  void serveClient(int client);

  ApprovalGate& gate_;
  uid_t owner_;
  int listener_ = -1, stopPipe_[2] = {-1, -1};
  std::thread thread_;
};

// The client side, for `sbx-run approve|deny|pending RUN`: sends `request` to run `runId`'s socket
// and returns the reply, or nullopt with `error`.
std::optional<nlohmann::json> askRun(const std::string& runId, const nlohmann::json& request, std::string& error);

}  // namespace sbx::run
