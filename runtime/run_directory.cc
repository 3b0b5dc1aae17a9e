#include "runtime/run_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/private_directory.h"

namespace sbx::run {

namespace {

const char* absoluteVariable(const char* name) {
  const char* value = std::getenv(name);
  return value && value[0] == '/' ? value : nullptr;
}

}  // namespace

bool isRunIdText(const std::string& text) {
  return text.size() == 32 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string runDirectoryBase(std::string& error) {
  if (const char* dir = absoluteVariable("SBX_RUNTIME_DIR")) return dir;
  if (geteuid() == 0) return "/run/sbx-run";
  if (const char* xdg = absoluteVariable("XDG_RUNTIME_DIR")) return std::string(xdg) + "/sbx-run";
  error =
      "no runtime directory for the run's state: set XDG_RUNTIME_DIR or SBX_RUNTIME_DIR (an absolute path); "
      "sbx-run uses no shared, guessable directory";
  return "";
}

bool RunDirectory::create(const std::string& runId, std::string& error) {
  std::string base = runDirectoryBase(error);
  if (base.empty()) return false;
  if (!isRunIdText(runId)) {
    error = "bad run id " + runId;
    return false;
  }
  baseFd_ = openPrivateDirectory(base, true, error);
  if (baseFd_ < 0) return false;
  if (mkdirat(baseFd_, runId.c_str(), 0700) != 0) {
    error = "cannot make the run's directory " + base + "/" + runId + ": " + std::strerror(errno);
    return false;
  }
  created_ = true;
  runId_ = runId;
  fd_ = openat(baseFd_, runId.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd_ < 0 || fchmod(fd_, 0700) != 0) {  // whatever the umask
    error = "cannot open the run's directory " + base + "/" + runId + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool RunDirectory::open(const std::string& runId, std::string& error) {
  std::string base = runDirectoryBase(error);
  if (base.empty()) return false;
  if (!isRunIdText(runId)) {
    error = "no run " + runId + ": a run id is the 32 hex digits of the audit log's \"run\"";
    return false;
  }
  fd_ = openPrivateDirectory(base + "/" + runId, false, error);
  if (fd_ < 0) {
    error = "no run " + runId + " of this user here: " + error;
    return false;
  }
  struct stat st {};
  if (fstat(fd_, &st) != 0 || (st.st_mode & 077) != 0) {
    error = "the run's directory " + base + "/" + runId + " is not private (mode 0700)";
    return false;
  }
  return true;
}

std::string RunDirectory::pathOf(const std::string& name) const {
  return "/proc/self/fd/" + std::to_string(fd_) + "/" + name;
}

RunDirectory::~RunDirectory() {
  if (created_) {
    for (const auto& name : owned_)
      if (fd_ >= 0) unlinkat(fd_, name.c_str(), 0);
    unlinkat(baseFd_, runId_.c_str(), AT_REMOVEDIR);
  }
  if (fd_ >= 0) ::close(fd_);
  if (baseFd_ >= 0) ::close(baseFd_);
}

}  // namespace sbx::run
