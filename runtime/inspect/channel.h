// The inspector's end of its channel to sbx-run (docs/egress.md, "Request inspection"; the agreed
// protocol): one AF_UNIX SOCK_SEQPACKET socket, one JSON object (<= 64 KiB) a packet, descriptors
// attached with SCM_RIGHTS. Sending is safe from any thread. Approval requests wait here for the
// launcher's verdict; when the channel closes every waiting and later request is refused.
#pragma once
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/json_packets.h"

namespace sbx::inspect {

using run::receiveMessage;
using run::sendMessage;

class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}
  bool send(const nlohmann::json& json);
  // Sends an approval-request (its "request" field is the id) and waits for the verdict:
  // "approved", "denied", "expired", or "closed" when the channel went away first.
  std::string awaitApproval(const nlohmann::json& request, std::string& by);
  // The receiving loop hands approvals here.
  void deliverApproval(const std::string& request, const std::string& verdict, const std::string& by);
  // The launcher is gone: every waiting approval ends "closed", and no new one is asked.
  void close();
  bool closed();

 private:
  int fd_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool closed_ = false;
  std::map<std::string, std::pair<std::string, std::string>> verdicts_;  // request -> (verdict, by)
};

}  // namespace sbx::inspect
