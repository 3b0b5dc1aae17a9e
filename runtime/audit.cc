#include "runtime/audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "runtime/audit_record.h"
#include "runtime/event_stream.h"

namespace sbx::run {

bool AuditLog::open(const std::string& path, const std::string& runId, std::string& error) {
  runId_ = runId;
  if (path.empty()) return true;
  // Without blocking (a FIFO there would hold the launcher before any timeout runs), and only a
  // file of the running user's own: a log someone else planted (in /tmp, in the workspace) they
  // could read and rewrite.
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (fd_ < 0) {
    error = "cannot open the audit log " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  std::string why = fstat(fd_, &st) != 0   ? std::string("cannot stat it: ") + std::strerror(errno)
                    : !S_ISREG(st.st_mode) ? "it is not a regular file"
                    : st.st_uid != geteuid()
                        ? "it belongs to uid " + std::to_string(st.st_uid) + ", not to the running user"
                    : st.st_nlink != 1 ? "it has other names (hard links)"
                                       : "";
  if (!why.empty()) {
    error = "refusing the audit log " + path + ": " + why;
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  return true;
}

void AuditLog::event(const std::string& kind, nlohmann::ordered_json fields) {
  if (!enabled()) return;
  std::string text = renderAuditRecord(runId_, kind, fields);
  // One write per line with O_APPEND: lines from concurrent runs never interleave.
  if (fd_ >= 0) {
    [[maybe_unused]] ssize_t n = ::write(fd_, text.data(), text.size());
  }
  if (stream_) stream_->push(text);
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace sbx::run
