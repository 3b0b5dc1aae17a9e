// The audit log: one JSON object per line, per event, with the run id, written to a file the
// sandbox cannot reach (opened by the launcher before the sandbox exists, never inherited).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace sbx::run {

class AuditLog {
 public:
  AuditLog() = default;
  // Opens (appends to) `path`; an empty path disables the log. False, with `error`, on failure.
  bool open(const std::string& path, const std::string& runId, std::string& error);
  bool enabled() const { return fd_ >= 0; }
  void event(const std::string& kind, nlohmann::ordered_json fields = nlohmann::ordered_json::object());
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

 private:
  int fd_ = -1;
  std::string runId_;
};

}  // namespace sbx::run
