#include "runtime/approval_gate.h"

#include <algorithm>
#include <optional>

#include "runtime/host_accounts.h"

namespace sbx::run {

namespace {

using Clock = std::chrono::steady_clock;

// Bounds on what the inspector may send (it parses what the sandbox sent).
constexpr std::size_t kMaxName = 256, kMaxUrl = 4096, kMaxBodyHead = 1368;  // base64 of 1 KiB

// `key` of `message` as a string of at most `max` bytes, or nullopt.
std::optional<std::string> text(const nlohmann::json& message, const char* key, std::size_t max) {
  auto it = message.find(key);
  if (it == message.end() || !it->is_string()) return std::nullopt;
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max) return std::nullopt;
  return s;
}

bool isRequestId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
           c == '.';
  });
}

bool isHexDigest(const std::string& s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

bool approverInGroup(const Approver& who, gid_t group) {
  return who.gid == group || std::find(who.groups.begin(), who.groups.end(), group) != who.groups.end();
}

ApprovalGate::ApprovalGate(AuditLog& audit, Send send) : audit_(audit), send_(std::move(send)) {}

ApprovalGate::~ApprovalGate() {
  stop();
}

void ApprovalGate::start() {
  expirer_ = std::thread([this] { expireLoop(); });
}

void ApprovalGate::stop() {
  std::vector<HeldRequest> left;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !expirer_.joinable()) return;
    stopping_ = true;
    for (auto& [id, held] : held_) left.push_back(std::move(held));
    held_.clear();
  }
  changed_.notify_all();
  if (expirer_.joinable()) expirer_.join();
  for (const auto& held : left) answer(held, "denied", "sbx-run", {{"reason", "the run ended"}});
}

bool ApprovalGate::handle(const nlohmann::json& message, std::string& error) {
  auto type = message.is_object() ? text(message, "type", kMaxName) : std::nullopt;
  if (type && *type == "request") {
    recordDecision(message);
    return true;
  }
  if (type && *type == "approval-request") return hold(message, error);
  error = "an inspector message of no known type";
  audit_.event("inspector-message-refused", {{"error", error}});
  return false;
}

void ApprovalGate::recordDecision(const nlohmann::json& m) {
  nlohmann::ordered_json line;
  auto connection = m.find("connection");
  if (connection != m.end() && connection->is_number_unsigned()) line["connection"] = *connection;
  for (const char* key : {"tool", "action", "method"})
    if (auto v = text(m, key, kMaxName)) line[key] = *v;
  if (auto url = text(m, "url", kMaxUrl)) line["url"] = *url;
  auto verdict = text(m, "verdict", kMaxName);
  // Anything but an explicit "allowed" is recorded as what the inspector must have done with it.
  line["verdict"] = verdict && *verdict == "allowed" ? "allowed" : "refused";
  if (auto rule = text(m, "rule", kMaxUrl)) line["rule"] = *rule;
  audit_.event("request", std::move(line));
}

bool ApprovalGate::hold(const nlohmann::json& m, std::string& error) {
  HeldRequest held;
  auto id = text(m, "request", 64);
  auto tool = text(m, "tool", kMaxName), action = text(m, "action", kMaxName), method = text(m, "method", kMaxName);
  auto url = text(m, "url", kMaxUrl), group = text(m, "approver", kMaxName);
  auto digest = text(m, "bodySha256", 64), head = text(m, "bodyHead", kMaxBodyHead);
  auto timeout = m.find("timeoutMs");
  bool timeoutOk = timeout != m.end() && timeout->is_number_unsigned() && timeout->get<std::uint64_t>() > 0 &&
                   timeout->get<std::uint64_t>() <= kMaxTimeoutMs;
  if (!id || !isRequestId(*id))
    error = "an approval-request without a usable request id (1 to 64 of A-Z a-z 0-9 . _ -)";
  else if (!tool || !action || !method || !url || !group || !digest || !head || !timeoutOk)
    error = "approval-request " + *id + ": a field is missing, of the wrong type or too long";
  else if (!isHexDigest(*digest))
    error = "approval-request " + *id + ": bodySha256 is not 64 lower-case hex digits";
  if (error.empty()) {
    held = {*id, *tool, *action, *method, *url, *group, *digest, *head, timeout->get<std::uint64_t>(), {}, {}};
    held.since = Clock::now();
    held.deadline = held.since + std::chrono::milliseconds(held.timeoutMs);
    std::lock_guard lock(mutex_);
    if (stopping_)
      error = "the run is ending";
    else if (held_.contains(held.id))
      error = "request id " + held.id + " is already held";  // the held one stays as it is
    else if (held_.size() >= kMaxHeld)
      error = "too many requests held (" + std::to_string(kMaxHeld) + ")";
    else
      held_.emplace(held.id, held);
  }
  if (!error.empty()) {
    audit_.event("approval-refused", {{"request", id ? *id : ""}, {"error", error}});
    if (id && isRequestId(*id) && error.find("already held") == std::string::npos)
      send_({{"type", "approval"}, {"request", *id}, {"verdict", "denied"}, {"by", "sbx-run"}});
    return false;
  }
  audit_.event("approval-pending", {{"request", held.id},
                                    {"tool", held.tool},
                                    {"action", held.action},
                                    {"method", held.method},
                                    {"url", held.url},
                                    {"approver", held.approverGroup},
                                    {"timeoutMs", held.timeoutMs},
                                    {"bodySha256", held.bodySha256},
                                    {"bodyHead", held.bodyHead}});
  changed_.notify_all();
  return true;
}

ApprovalGate::Decision ApprovalGate::decide(const std::string& id, bool approve, const Approver& who,
                                            std::string& why) {
  HeldRequest held;
  {
    std::lock_guard lock(mutex_);
    auto it = held_.find(id);
    if (it == held_.end()) {
      why = "no request " + id + " is held (answered already, expired, or never asked)";
      return Decision::NoSuchRequest;
    }
    if (approve && !it->second.approverGroup.empty()) {
      auto gid = groupIdOf(it->second.approverGroup);
      if (!gid || !approverInGroup(who, *gid)) {
        why = !gid ? "the approver group " + it->second.approverGroup + " is not in /etc/group: nobody can approve"
                   : userNameOf(who.uid) + " is not a member of " + it->second.approverGroup +
                         ", whose members alone may approve action " + it->second.action;
        audit_.event("approval-refused",
                     {{"request", id}, {"uid", who.uid}, {"by", userNameOf(who.uid)}, {"error", why}});
        return Decision::NotAllowed;
      }
    }
    held = std::move(it->second);
    held_.erase(it);
  }
  answer(held, approve ? "approved" : "denied", userNameOf(who.uid), {{"uid", who.uid}, {"pid", who.pid}});
  return Decision::Done;
}

std::vector<HeldRequest> ApprovalGate::pending() const {
  std::lock_guard lock(mutex_);
  std::vector<HeldRequest> out;
  for (const auto& [id, held] : held_) out.push_back(held);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.since < b.since; });
  return out;
}

void ApprovalGate::answer(const HeldRequest& held, const std::string& verdict, const std::string& by,
                          nlohmann::ordered_json extra) {
  nlohmann::ordered_json line = {{"request", held.id},    {"tool", held.tool}, {"action", held.action},
                                 {"method", held.method}, {"url", held.url},   {"by", by}};
  for (auto& [k, v] : extra.items()) line[k] = v;
  audit_.event("approval-" + verdict, std::move(line));
  send_({{"type", "approval"}, {"request", held.id}, {"verdict", verdict}, {"by", by}});
}

void ApprovalGate::expireLoop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto next = Clock::time_point::max();
    for (const auto& [id, held] : held_) next = std::min(next, held.deadline);
    if (next == Clock::time_point::max())
      changed_.wait(lock);
    else
      changed_.wait_until(lock, next);
    std::vector<HeldRequest> expired;
    auto now = Clock::now();
    for (auto it = held_.begin(); it != held_.end();)
      if (!stopping_ && it->second.deadline <= now) {
        expired.push_back(std::move(it->second));
        it = held_.erase(it);
      } else {
        ++it;
      }
    lock.unlock();
    for (const auto& held : expired) answer(held, "expired", "", {{"timeoutMs", held.timeoutMs}});
    lock.lock();
  }
}

}  // namespace sbx::run
