#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

extern char** environ;

namespace sbx::test {

Run run(const std::vector<std::string>& argv, const std::string& stdinText, const std::string& cwd,
        const std::vector<std::string>& env) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    throw std::runtime_error(std::string("cannot start ") + argv[0] + ": " + std::strerror(rc));
  }
  // Feed stdin and drain both outputs together so no pipe fills up and blocks the child.
  Run result;
  std::size_t written = 0;
  if (stdinText.empty()) {
    close(in[1]);
    in[1] = -1;
  }
  pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
  int open = 2;
  while (open > 0 || fds[2].fd >= 0) {
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[65536];
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      ssize_t n = write(fds[2].fd, stdinText.data() + written, stdinText.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n <= 0 || written == stdinText.size()) {
        close(fds[2].fd);
        fds[2].fd = -1;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

Run sbxc(const std::vector<std::string>& args, const std::string& stdinText, const std::string& cwd) {
  std::vector<std::string> argv{SBXC_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "NO_COLOR=", 9) != 0) env.emplace_back(*e);
  env.emplace_back("NO_COLOR=1");
  return run(argv, stdinText, cwd, env);
}

Run verifyToken(const std::string& stateDir, const std::string& token, const std::vector<std::string>& options) {
  std::vector<std::string> args{"token", "verify", "--state-dir", stateDir};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back(token);
  // sbxc trusts only a state directory of its own user's: the verifier is the directory's owner.
  struct stat st {};
  if (geteuid() == 0 && ::stat(stateDir.c_str(), &st) == 0 && st.st_uid != 0) {
    std::vector<std::string> argv{"/usr/bin/setpriv",
                                  fmt::format("--reuid={}", st.st_uid),
                                  fmt::format("--regid={}", st.st_gid),
                                  "--clear-groups",
                                  "/usr/bin/env",
                                  "NO_COLOR=1",
                                  SBXC_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  return sbxc(args);
}

BusyNobody::BusyNobody(int count) {
  int ready[2];
  if (pipe(ready) != 0) throw std::runtime_error("pipe failed");
  leader_ = fork();
  if (leader_ < 0) throw std::runtime_error("fork failed");
  if (leader_ == 0) {  // the leader of a process group the destructor kills whole
    setpgid(0, 0);
    close(ready[0]);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(1);
    for (int i = 1; i < count; ++i)
      if (fork() == 0) {
        close(ready[1]);
        pause();
        _exit(0);
      }
    (void)!write(ready[1], "r", 1);
    pause();
    _exit(0);
  }
  setpgid(leader_, leader_);
  close(ready[1]);
  char byte = 0;
  bool started = read(ready[0], &byte, 1) == 1;
  close(ready[0]);
  if (!started) throw std::runtime_error("the processes of nobody did not start (not root?)");
}

BusyNobody::~BusyNobody() {
  kill(-leader_, SIGKILL);
  waitpid(leader_, nullptr, 0);
}

}  // namespace sbx::test
