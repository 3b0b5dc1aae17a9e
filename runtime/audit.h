// The audit log: one JSON object per line, per event, with the run id, written to a file the
// sandbox cannot reach (opened by the launcher before the sandbox exists, never inherited).
// Every record also goes to the live event stream when there is one (`--events`,
// event_stream.h): one rendering (audit_record.h), two readers.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace sbx::run {

class EventStream;

class AuditLog {
 public:
  AuditLog() = default;
  // Opens (appends to) `path`; an empty path disables the file (the run id is still recorded for
  // the stream). False, with `error`, on failure.
  bool open(const std::string& path, const std::string& runId, std::string& error);
  // Follows every later record; `stream` outlives the log's use.
  void attach(EventStream* stream) { stream_ = stream; }
  bool enabled() const { return fd_ >= 0 || stream_ != nullptr; }
  const std::string& runId() const { return runId_; }
  void event(const std::string& kind, nlohmann::ordered_json fields = nlohmann::ordered_json::object());
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

 private:
  int fd_ = -1;
  EventStream* stream_ = nullptr;
  std::string runId_;
};

}  // namespace sbx::run
