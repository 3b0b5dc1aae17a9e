#include "tokens/revocations.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/private_directory.h"

namespace sbx::tokens {

namespace {

std::string revocationFile(const std::string& stateDir) {
  return stateDir + "/revoked.jsonl";
}

// A run id is 32 lower-case hex digits (sbx-run's main.cc); anything else names no lock file.
bool isRunId(const std::string& jti) {
  return jti.size() == 32 &&
         std::all_of(jti.begin(), jti.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string lockFile(const std::string& stateDir, const std::string& jti) {
  return fmt::format("{}/run-{}.lock", stateDir, jti);
}

// XDG's variables count only when absolute (the specification says to ignore relative ones).
const char* absoluteVariable(const char* name) {
  const char* value = std::getenv(name);
  return value && value[0] == '/' ? value : nullptr;
}

}  // namespace

std::string defaultStateDir(std::string& error) {
  if (const char* dir = std::getenv("SBX_STATE_DIR"); dir && *dir) return dir;
  if (geteuid() == 0) return "/var/lib/sbx-run";
  if (const char* xdg = absoluteVariable("XDG_STATE_HOME")) return fmt::format("{}/sbx-run", xdg);
  if (const char* home = absoluteVariable("HOME")) return fmt::format("{}/.local/state/sbx-run", home);
  error =
      "no state directory for the token broker: set SBX_STATE_DIR, XDG_STATE_HOME or HOME (an absolute path); "
      "sbx-run uses no shared, guessable directory";
  return "";
}

bool checkStateDir(const std::string& stateDir, bool create, std::string& error) {
  int fd = openPrivateDirectory(stateDir, create, error);
  if (fd < 0) {
    error = "the token broker's state directory: " + error;
    return false;
  }
  ::close(fd);
  return true;
}

int holdRunLock(const std::string& stateDir, const std::string& jti, std::string& error) {
  std::string path = lockFile(stateDir, jti);
  int fd = isRunId(jti) ? ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
  if (fd < 0 || flock(fd, LOCK_EX) != 0) {
    error = fmt::format("cannot hold the run's lock {}: {}", path, isRunId(jti) ? std::strerror(errno) : "bad run id");
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

void releaseRunLock(const std::string& stateDir, const std::string& jti, int fd) {
  if (fd < 0) return;
  ::unlink(lockFile(stateDir, jti).c_str());
  ::close(fd);
}

bool revokeRun(const std::string& stateDir, const std::string& jti, const std::string& task,
               const std::vector<std::string>& secrets, std::string& error) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  nlohmann::ordered_json record{{"jti", jti}, {"revokedAt", now.count()}, {"task", task}, {"secrets", secrets}};
  std::string line = record.dump() + "\n", path = revocationFile(stateDir);
  // One write with O_APPEND: records of concurrent runs never interleave.
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  if (!ok) error = fmt::format("cannot record the revocation in {}: {}", path, std::strerror(errno));
  if (fd >= 0) ::close(fd);
  return ok;
}

bool isRevoked(const std::string& stateDir, const std::string& jti) {
  // A run whose launcher no longer holds its lock has ended: its tokens are refused even when its
  // end was never recorded (the launcher was killed with SIGKILL).
  if (!isRunId(jti)) return true;
  int lock = ::open(lockFile(stateDir, jti).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  bool running = lock >= 0 && flock(lock, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  if (lock >= 0) ::close(lock);
  if (!running) return true;
  std::FILE* f = std::fopen(revocationFile(stateDir).c_str(), "rbe");
  if (!f) return false;
  bool found = false;
  char* line = nullptr;
  std::size_t capacity = 0;
  while (!found && getline(&line, &capacity, f) > 0) {
    auto record = nlohmann::json::parse(line, nullptr, false);
    found = record.is_object() && record.value("jti", "") == jti;
  }
  std::free(line);
  std::fclose(f);
  return found;
}

}  // namespace sbx::tokens
