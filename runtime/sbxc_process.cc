// Finding and running the sbxc binary for sbx-run (sbxc_process.h).
#include "runtime/sbxc_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
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

// The unsigned number in the environment variable `name`, or `fallback`.
unsigned long long fromEnvironment(const char* name, unsigned long long fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  unsigned long long value = 0;
  auto [end, ec] = std::from_chars(text, text + std::strlen(text), value);
  return ec == std::errc() && *end == '\0' ? value : fallback;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

// In the child between fork and exec: only async-signal-safe calls. The CPU limit's hard bound is
// a second above the soft one, so a process that ignores SIGXCPU is killed.
void applyLimits(const SbxcLimits& limits) {
  if (limits.memoryBytes != 0) {
    struct rlimit memory {
      limits.memoryBytes, limits.memoryBytes
    };
    setrlimit(RLIMIT_AS, &memory);
  }
  if (limits.cpuSeconds != 0) {
    struct rlimit cpu {
      limits.cpuSeconds, limits.cpuSeconds + 1u
    };
    setrlimit(RLIMIT_CPU, &cpu);
  }
}

// The whole content of the file `fd`, read from its start.
std::string readFromStart(int fd) {
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(text.size()))) > 0;)
    text.append(buf, static_cast<std::size_t>(n));
  return text;
}

}  // namespace

SbxcLimits compileLimits() {
  SbxcLimits limits;
  unsigned long long mib = fromEnvironment("SBX_RUN_COMPILE_MEMORY_MIB", 4096);
  limits.memoryBytes = kAddressSanitizer || mib > (1ull << 40) ? 0 : static_cast<std::size_t>(mib) << 20;
  limits.cpuSeconds = static_cast<unsigned>(std::min(fromEnvironment("SBX_RUN_COMPILE_CPU_SECONDS", 60), 1ull << 20));
  return limits;
}

std::string limitExceeded(int status, const std::string& diagnostics, const SbxcLimits& limits) {
  // sbxc reports an allocation that failed as "sbxc: out of memory" (compiler/cli/main.cc);
  // a process killed by the kernel for its CPU time gets SIGXCPU, or SIGKILL at the hard limit.
  // (A crash, SIGSEGV, is not taken for the memory limit: it would hide a bug of sbxc's.)
  bool memory = status == 3 && diagnostics.find("sbxc: out of memory") != std::string::npos;
  if (memory && limits.memoryBytes != 0)
    return fmt::format("ran out of its {} MiB of memory (SBX_RUN_COMPILE_MEMORY_MIB)", limits.memoryBytes >> 20);
  if (limits.cpuSeconds != 0 && (status == 128 + SIGXCPU || status == 128 + SIGKILL))
    return fmt::format("used up its {} s of CPU time (SBX_RUN_COMPILE_CPU_SECONDS)", limits.cpuSeconds);
  return "";
}

int runSbxc(const std::vector<std::string>& args, const std::string& input, std::string* output, std::string& error,
            std::string* diagnostics, const SbxcLimits& limits) {
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
  int devNull = output ? -1 : ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  // The child writes exec's errno here; a successful exec closes it empty (O_CLOEXEC).
  int execError[2];
  if (pipe2(execError, O_CLOEXEC) != 0) execError[0] = execError[1] = -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    // The child: only async-signal-safe calls (the launcher may have other threads).
    ::dup2(in[0], 0);
    if (captured >= 0) ::dup2(captured, 2);
    ::dup2(output ? out[1] : devNull, 1);
    applyLimits(limits);
    ::execvp(argv[0], argv.data());
    int failure = errno;
    [[maybe_unused]] ssize_t n = ::write(execError[1], &failure, sizeof failure);
    ::_exit(127);
  }
  int rc = pid > 0 ? 0 : errno;
  if (devNull >= 0) ::close(devNull);
  if (execError[1] >= 0) ::close(execError[1]);
  if (execError[0] >= 0) {
    int failure = 0;
    if (rc == 0 && ::read(execError[0], &failure, sizeof failure) == sizeof failure) {
      rc = failure;
      waitpid(pid, nullptr, 0);
    }
    ::close(execError[0]);
  }
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
