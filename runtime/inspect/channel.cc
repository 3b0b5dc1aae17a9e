#include "runtime/inspect/channel.h"

namespace sbx::inspect {

bool Channel::send(const nlohmann::json& json) {
  std::lock_guard lock(mutex_);  // one writer at a time: packets stay whole and ordered
  if (closed_) return false;
  return sendMessage(fd_, json);
}

std::string Channel::awaitApproval(const nlohmann::json& request, std::string& by) {
  std::string id = request.value("request", "");
  if (!send(request)) return "closed";
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return closed_ || verdicts_.count(id); });
  auto found = verdicts_.find(id);
  if (found == verdicts_.end()) return "closed";
  auto [verdict, who] = found->second;
  verdicts_.erase(found);
  by = who;
  return verdict;
}

void Channel::deliverApproval(const std::string& request, const std::string& verdict, const std::string& by) {
  std::lock_guard lock(mutex_);
  verdicts_[request] = {verdict, by};
  changed_.notify_all();
}

void Channel::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

bool Channel::closed() {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace sbx::inspect
