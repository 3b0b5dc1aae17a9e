// Exporting a policy's revision for `sbxc diff --base` (git_revision.h). git and tar run without
// a shell, each with its arguments as words: nothing in REF or a path is ever interpreted.
#include "cli/git_revision.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

namespace sbx::cli {

namespace fs = std::filesystem;

namespace {

struct Ran {
  int status = -1;  // the exit status; -1: it could not run or was killed
  std::string out, err;
};

std::string readAll(int fd, bool fromStart) {
  std::string text;
  char buf[65536];
  for (ssize_t n; (n = fromStart ? ::pread(fd, buf, sizeof buf, static_cast<off_t>(text.size()))
                                 : ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

// Runs `argv` (found on PATH) with `input` on its stdin; its stdout and stderr captured. stderr
// goes to an anonymous file and stdin is written whole before stdout is read, so neither side
// can block the other (the programs here read all their input before they write much).
Ran runProgram(const std::vector<std::string>& argv, const std::string& input) {
  Ran ran;
  std::vector<char*> words;
  for (const auto& w : argv) words.push_back(const_cast<char*>(w.c_str()));
  words.push_back(nullptr);
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return ran;
  if (pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return ran;
  }
  int err = memfd_create("sbxc-child-stderr", MFD_CLOEXEC);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  if (err >= 0) posix_spawn_file_actions_adddup2(&actions, err, 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, words[0], &actions, nullptr, words.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc == 0 && !input.empty()) {
    struct sigaction ignore {
    }, old{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old);
    for (std::size_t done = 0; done < input.size();) {
      ssize_t n = ::write(in[1], input.data() + done, input.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    sigaction(SIGPIPE, &old, nullptr);
  }
  ::close(in[1]);
  ran.out = readAll(out[0], false);
  ::close(out[0]);
  int status = 0;
  if (rc == 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) ran.status = WEXITSTATUS(status);
  if (rc != 0) ran.err = fmt::format("cannot run {}: {}", argv[0], std::strerror(rc));
  if (err >= 0) {
    ran.err += readAll(err, true);
    ::close(err);
  }
  return ran;
}

std::string firstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

RevisionTree::~RevisionTree() {
  if (directory_.empty()) return;
  std::error_code ec;
  fs::remove_all(directory_, ec);
}

std::optional<std::string> RevisionTree::materialise(const std::string& file, const std::string& ref,
                                                     std::string& error) {
  if (ref.empty() || ref.starts_with('-')) {
    error = fmt::format("`{}` is not a git revision", ref);
    return std::nullopt;
  }
  std::error_code ec;
  fs::path absolute = fs::weakly_canonical(fs::absolute(file, ec), ec);
  Ran top = runProgram({"git", "-C", absolute.parent_path().string(), "rev-parse", "--show-toplevel"}, "");
  if (top.status != 0) {
    error = fmt::format("{} is not in a git work tree: {}", file, firstLine(top.err));
    return std::nullopt;
  }
  fs::path root = fs::weakly_canonical(firstLine(top.out), ec);
  std::string relative = absolute.lexically_relative(root).generic_string();
  Ran commit = runProgram({"git", "-C", root.string(), "rev-parse", "--verify", "--quiet", ref + "^{commit}"}, "");
  if (commit.status != 0) {
    error = fmt::format("`{}` names no commit of the repository at {}", ref, root.string());
    return std::nullopt;
  }
  std::string id = firstLine(commit.out);
  if (runProgram({"git", "-C", root.string(), "cat-file", "-e", id + ":" + relative}, "").status != 0) return "";

  std::string pattern = (fs::temp_directory_path(ec) / "sbxc-diff-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    error = fmt::format("cannot create a temporary directory: {}", std::strerror(errno));
    return std::nullopt;
  }
  directory_ = pattern;
  // Every policy file of the revision (imports are .sbx files), and the file itself whatever its name.
  Ran archive = runProgram({"git", "-C", root.string(), "archive", "--format=tar", id, "--", "*.sbx", relative}, "");
  if (archive.status != 0) {
    error = fmt::format("git archive {}: {}", ref, firstLine(archive.err));
    return std::nullopt;
  }
  Ran unpack = runProgram({"tar", "-x", "-f", "-", "-C", directory_, "--no-same-owner"}, archive.out);
  if (unpack.status != 0) {
    error = fmt::format("cannot unpack {} of {}: {}", ref, root.string(), firstLine(unpack.err));
    return std::nullopt;
  }
  return (fs::path(directory_) / relative).string();
}

}  // namespace sbx::cli
