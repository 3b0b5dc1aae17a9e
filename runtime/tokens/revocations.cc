#include "runtime/tokens/revocations.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sbx::tokens {

namespace {

std::string revocationFile(const std::string& stateDir) {
  return stateDir + "/revoked.jsonl";
}

}  // namespace

std::string defaultStateDir() {
  if (const char* dir = std::getenv("SBX_STATE_DIR"); dir && *dir) return dir;
  if (geteuid() == 0) return "/var/lib/sbx-run";
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) return fmt::format("{}/sbx-run", xdg);
  if (const char* home = std::getenv("HOME"); home && *home) return fmt::format("{}/.local/state/sbx-run", home);
  return fmt::format("/tmp/sbx-run-state-{}", geteuid());
}

bool revokeRun(const std::string& stateDir, const std::string& jti, const std::string& task,
               const std::vector<std::string>& secrets, std::string& error) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  nlohmann::ordered_json record{{"jti", jti}, {"revokedAt", now.count()}, {"task", task}, {"secrets", secrets}};
  std::string line = record.dump() + "\n", path = revocationFile(stateDir);
  // One write with O_APPEND: records of concurrent runs never interleave.
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  if (!ok) error = fmt::format("cannot record the revocation in {}: {}", path, std::strerror(errno));
  if (fd >= 0) ::close(fd);
  return ok;
}

bool isRevoked(const std::string& stateDir, const std::string& jti) {
  std::FILE* f = std::fopen(revocationFile(stateDir).c_str(), "rb");
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
