// A run's own state directory, for what other programs of the same user reach while the run lasts
// (the approval socket, approval_socket.h): $SBX_RUNTIME_DIR/RUN, else /run/sbx-run/RUN for root,
// else $XDG_RUNTIME_DIR/sbx-run/RUN. The base is opened as a private directory
// (common/util/private_directory.h: from `/` by descriptors, no link followed, owners checked);
// RUN is made fresh, 0700, by the launcher, and removed when the run ends.
#pragma once
#include <string>
#include <vector>

namespace sbx::run {

// A run id as sbx-run makes them (32 lower-case hex digits): nothing else names a directory.
bool isRunIdText(const std::string& text);

// The base directory, or "" with `error` (no XDG_RUNTIME_DIR for a user: sbx-run uses no
// shared, guessable directory).
std::string runDirectoryBase(std::string& error);

class RunDirectory {
 public:
  RunDirectory() = default;
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  // Makes the run's directory (it must not exist). False with `error`.
  bool create(const std::string& runId, std::string& error);
  // Opens an existing run's directory: it must be the running user's, mode 0700. False with `error`.
  bool open(const std::string& runId, std::string& error);
  int fd() const { return fd_; }
  // "/proc/self/fd/N/<name>": a path to bind or connect to beneath the directory, by descriptor.
  std::string pathOf(const std::string& name) const;
  // After create(): the directory and `names` in it are removed by the destructor.
  void removeWhenDone(std::string name) { owned_.push_back(std::move(name)); }

 private:
  int baseFd_ = -1, fd_ = -1;
  bool created_ = false;
  std::string runId_;
  std::vector<std::string> owned_;
};

}  // namespace sbx::run
