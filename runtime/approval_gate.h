// The launcher's side of approval gates (docs/events.md; the protocol: INSPECTOR_PROTOCOL in the
// inspector's docs). The inspecting proxy holds a request to an action with `approval` and sends
// an `approval-request`; the gate records `approval-pending`, waits for a person
// (`sbx-run approve|deny RUN REQUEST`, approval_socket.h) or the action's timeout, and answers
// the inspector with exactly one `approval` message per request: approved, denied or expired. One
// approval answers one request id; a second identical request is another id, held on its own.
// The inspector's per-request decisions (`request`) become audit records here too.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/audit.h"

namespace sbx::run {

// Who asks, as the kernel tells it on the approval socket (SO_PEERCRED, SO_PEERGROUPS).
struct Approver {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
  pid_t pid = 0;
};

struct HeldRequest {
  std::string id, tool, action, method, url, approverGroup, bodySha256, bodyHead;
  std::uint64_t timeoutMs = 0;
  std::chrono::steady_clock::time_point since, deadline;
};

class ApprovalGate {
 public:
  // Sends one message to the inspector (one packet on the channel); called without the gate's lock.
  using Send = std::function<void(const nlohmann::json&)>;
  static constexpr std::size_t kMaxHeld = 64;
  static constexpr std::uint64_t kMaxTimeoutMs = 24ull * 3600 * 1000;

  ApprovalGate(AuditLog& audit, Send send);
  ~ApprovalGate();
  ApprovalGate(const ApprovalGate&) = delete;
  ApprovalGate& operator=(const ApprovalGate&) = delete;

  void start();  // the thread that expires held requests
  // Answers every held request `denied` (by "sbx-run": the run ended) and stops the thread.
  void stop();

  // One message from the inspector: `request` (a decision, recorded) or `approval-request` (held).
  // A malformed message is recorded and, when it names a request, denied; false with `error`.
  bool handle(const nlohmann::json& message, std::string& error);

  enum class Decision { Done, NoSuchRequest, NotAllowed };
  // `approve` or deny the held request `id` for `who`. NotAllowed (with `why`) when the action
  // names an approver group `who` is not in (denying needs no group: it can only hold back).
  Decision decide(const std::string& id, bool approve, const Approver& who, std::string& why);

  std::vector<HeldRequest> pending() const;

 private:
  void expireLoop();
  bool hold(const nlohmann::json& message, std::string& error);
  void recordDecision(const nlohmann::json& message);
  // Records and sends the verdict for `held` (already removed from held_).
  void answer(const HeldRequest& held, const std::string& verdict, const std::string& by,
              nlohmann::ordered_json extra = nlohmann::ordered_json::object());

  AuditLog& audit_;
  Send send_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, HeldRequest> held_;
  std::thread expirer_;
  bool stopping_ = false;
};

// Whether `who` is a member of `group` (primary or supplementary, as the kernel gave them).
bool approverInGroup(const Approver& who, gid_t group);

}  // namespace sbx::run
