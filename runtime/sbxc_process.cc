// Finding and running the sbxc binary for sbx-run (sbxc_process.h).
#include "runtime/sbxc_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace sbx::run {

namespace fs = std::filesystem;

std::string findSbxc() {
  if (const char* env = std::getenv("SBXC"); env && *env) return env;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
  for (const auto& candidate : {self / "sbxc", self / "../compiler/sbxc"})
    if (fs::exists(candidate)) return candidate.lexically_normal().string();
  return "sbxc";
}

namespace {

// The whole content of the file `fd`, read from its start.
std::string readFromStart(int fd) {
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(text.size()))) > 0;)
    text.append(buf, static_cast<std::size_t>(n));
  return text;
}

}  // namespace

int runSbxc(const std::vector<std::string>& args, const std::string& input, std::string* output, std::string& error,
            std::string* diagnostics) {
  std::string sbxc = findSbxc();
  std::vector<std::string> words{sbxc};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    error = fmt::format("pipe: {}", std::strerror(errno));
    return -1;
  }
  // Captured diagnostics go to an anonymous file, not a pipe: sbxc may write more to stderr than a
  // pipe holds before it writes its stdout, which is read first.
  int captured = -1;
  if (diagnostics && (captured = memfd_create("sbxc-stderr", MFD_CLOEXEC)) < 0) {
    error = fmt::format("memfd_create: {}", std::strerror(errno));
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  if (captured >= 0) posix_spawn_file_actions_adddup2(&actions, captured, 2);
  if (output)
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  else
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, sbxc.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc == 0) {
    // The input is small (a request of a few KiB): written whole before reading the answer.
    struct sigaction ignore {
    }, old{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old);
    [[maybe_unused]] ssize_t n = ::write(in[1], input.data(), input.size());
    sigaction(SIGPIPE, &old, nullptr);
  }
  ::close(in[1]);
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;)
    if (output) output->append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  bool ran = rc == 0 && waitpid(pid, &status, 0) == pid;
  int waitError = rc ? rc : errno;
  if (captured >= 0) {
    *diagnostics = readFromStart(captured);
    ::close(captured);
  }
  if (!ran) {
    error = fmt::format("cannot run {}: {}", sbxc, std::strerror(waitError));
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace sbx::run
