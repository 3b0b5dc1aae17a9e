#include "runtime/artifacts.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "diag/render.h"
#include "plan/plan_json.h"
#include "runtime/sbxc_process.h"
#include "util/private_directory.h"
#include "util/read_file.h"
#include "util/sha256.h"
#include "version.h"

namespace sbx::run {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRecord = "sbx-run.json";
constexpr const char* kRecordSchema = "sbx-run.cache/v1";

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// Opens `name` beneath `dirFd` without following any symbolic link.
int openBeneath(int dirFd, const std::string& name, std::uint64_t flags, std::uint64_t mode = 0) {
  open_how how{};
  how.flags = flags | O_NOFOLLOW | O_CLOEXEC;
  how.mode = mode;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd;
  do fd = static_cast<int>(syscall(SYS_openat2, dirFd, name.c_str(), &how, sizeof how));
  while (fd < 0 && errno == EINTR);
  return fd;
}

// The regular file `name` beneath `dirFd`, or nullopt.
std::optional<std::string> readBeneath(int dirFd, const std::string& name) {
  Fd fd(openBeneath(dirFd, name, O_RDONLY | O_NONBLOCK));
  struct stat st {};
  if (fd.fd < 0 || fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  for (ssize_t n; done < text.size() && (n = ::read(fd.fd, text.data() + done, text.size() - done)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

// The string at `key` of `object`, or "" (no default through json::value, which -Wnull-dereference
// flags once inlined here).
std::string stringAt(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// XDG's variables count only when absolute (the specification says to ignore relative ones).
const char* absoluteVariable(const char* name) {
  const char* value = std::getenv(name);
  return value && value[0] == '/' ? value : nullptr;
}

std::optional<std::string> cacheRoot(std::string& error) {
  if (const char* dir = std::getenv("SBX_RUN_CACHE"); dir && *dir) return fs::absolute(dir).lexically_normal().string();
  if (const char* xdg = absoluteVariable("XDG_CACHE_HOME")) return fmt::format("{}/sbx-run", xdg);
  if (geteuid() == 0) return "/var/cache/sbx-run";
  if (const char* home = absoluteVariable("HOME")) return fmt::format("{}/.cache/sbx-run", home);
  error =
      "no cache directory for compiled policies: set SBX_RUN_CACHE, XDG_CACHE_HOME or HOME (an absolute path), or "
      "run a task directory written by `sbxc compile`; sbx-run uses no shared, guessable directory";
  return std::nullopt;
}

// The sbxc binary a compile would run, as the cache records it: a rebuilt compiler (another
// stdlib, another code generator) invalidates what the previous one wrote.
std::string sbxcIdentity() {
  std::string path = findSbxc();
  struct stat st {};
  if (path.find('/') == std::string::npos || ::stat(path.c_str(), &st) != 0) return path;
  return fmt::format("{} {}:{} {} {}.{}", path, st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec);
}

std::string randomHex() {
  unsigned char bytes[8] = {};
  if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) return fmt::format("{}", getpid());
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

// Loads the task directory `taskFd` (shown as `dir`); `planDigest`, when given, is the SHA-256
// plan.json must have.
std::optional<CompiledTask> loadTaskAt(int taskFd, const std::string& dir, const std::string& planDigest,
                                       std::string& error) {
  CompiledTask t;
  t.dir = dir;
  auto planText = readBeneath(taskFd, "plan.json");
  if (!planText) {
    error = fmt::format("{} has no readable plan.json; give a directory written by `sbxc compile`", dir);
    return std::nullopt;
  }
  if (!planDigest.empty() && sha256Hex(*planText) != planDigest) {
    error = fmt::format("{}/plan.json does not have the digest recorded when it was compiled", dir);
    return std::nullopt;
  }
  std::string planError;
  auto plan = plan::parsePlan(*planText, planError);
  if (!plan) {
    error = fmt::format("{}/{}", dir, planError);
    return std::nullopt;
  }
  t.plan = std::move(*plan);
  t.planText = std::move(*planText);
  auto bpf = readBeneath(taskFd, t.plan.seccomp.file);
  if (!bpf || bpf->empty() || bpf->size() % sizeof(sock_filter) != 0 || sha256Hex(*bpf) != t.plan.seccomp.sha256) {
    error = fmt::format("{}: the seccomp filter is missing or does not match the digest in plan.json", dir);
    return std::nullopt;
  }
  t.filter.resize(bpf->size() / sizeof(sock_filter));
  std::memcpy(t.filter.data(), bpf->data(), bpf->size());
  return t;
}

// Why the cache entry `entryFd` may not be used for `policy` (empty: it may), after re-hashing
// every input the compiler read.
std::string staleness(int entryFd, const std::string& policy, const std::string& sbxc, nlohmann::json& record) {
  auto text = readBeneath(entryFd, kRecord);
  if (!text) return "no record";
  record = nlohmann::json::parse(*text, nullptr, false);
  if (!record.is_object() || stringAt(record, "schema") != kRecordSchema || stringAt(record, "policy") != policy)
    return "not a record of this policy";
  if (stringAt(record, "version") != SBXC_VERSION || stringAt(record, "sbxc") != sbxc) return "another compiler";
  const auto& inputs = record["inputs"];
  if (!inputs.is_array() || inputs.empty() || !record["plans"].is_object()) return "an incomplete record";
  for (const auto& input : inputs) {
    if (!input.is_object() || !input["path"].is_string() || !input["sha256"].is_string()) return "a bad input";
    auto now = readWholeFile(input["path"].get<std::string>());
    if (!now || sha256Hex(*now) != input["sha256"].get<std::string>())
      return fmt::format("{} changed", input["path"].get<std::string>());
  }
  return "";
}

// The task to run among the entry's: `task`, or the only one.
std::optional<std::string> pickTask(const nlohmann::json& plans, const std::string& task, std::string& error) {
  std::string names;
  for (const auto& item : plans.items()) names += (names.empty() ? "" : ", ") + item.key();
  if (!task.empty()) {
    if (plans.contains(task)) return task;
    // A task the policy imports (`delegate common.summarize`) is compiled, and run, from its own file.
    error = fmt::format(
        "the policy declares no task `{}` of its own (it declares {}); a task it imports runs from the file that "
        "declares it: sbx-run --task NAME THAT_FILE.sbx",
        task, names);
    return std::nullopt;
  }
  if (plans.size() == 1) return plans.begin().key();
  error = fmt::format("the policy declares {} tasks ({}); choose one with --task NAME", plans.size(), names);
  return std::nullopt;
}

// The digest of the diagnostics the compile of the cache entry `key` printed, if it is `policy`'s.
std::string printedDiagnostics(int rootFd, const std::string& key, const std::string& policy) {
  auto text = readBeneath(rootFd, key + "/" + kRecord);
  if (!text) return "";
  auto record = nlohmann::json::parse(*text, nullptr, false);
  if (!record.is_object() || stringAt(record, "policy") != policy) return "";
  return stringAt(record, "diagnostics");
}

// Compiles `policy` into a fresh directory beside the entry `key` in the cache `root`, records
// what it read and the plans' digests, and puts it in place of the entry.
bool compileEntry(const std::string& policy, const std::string& root, int rootFd, const std::string& key,
                  const std::string& sbxc, std::string& error) {
  std::string fresh = fmt::format("{}.new.{}", key, randomHex()), freshPath = root + "/" + fresh;
  auto discard = [&] {
    std::error_code ec;
    fs::remove_all(freshPath, ec);
    return false;
  };
  std::string printed, diagnostics;
  // sbxc prints its inputs; its diagnostics and lint findings are relayed below.
  // A policy is input: its compile runs under limits (compileLimits()), and one that exceeds
  // them is refused by name instead of taking the machine's memory or time.
  SbxcLimits limits = compileLimits();
  int status = runSbxc({"compile", policy, "-o", freshPath, "--print-inputs", "--color",
                        colorWanted(STDERR_FILENO, "auto") ? "always" : "never"},
                       "", &printed, error, &diagnostics, limits);
  if (status < 0) {
    error = fmt::format("{} (to compile {})", error, policy);
    return discard();
  }
  if (std::string exceeded = limitExceeded(status, diagnostics, limits); !exceeded.empty()) {
    error = fmt::format("the compile of {} {}; the task was not started", policy, exceeded);
    return discard();
  }
  // A failed compile says why every time; warnings and notes only when they are not those the
  // entry being replaced already printed (a recompile for a rebuilt sbxc or an edit elsewhere).
  std::string diagnosticsDigest = sha256Hex(diagnostics);
  if (status != 0 || diagnosticsDigest != printedDiagnostics(rootFd, key, policy))
    std::fputs(diagnostics.c_str(), stderr);
  if (status != 0) {
    error = status == 1
                ? fmt::format("{} has a lint error (above); the task was not started", policy)
                : fmt::format("{} does not compile (see above; `sbxc check {}` lists every problem)", policy, policy);
    return discard();
  }
  auto inputs = nlohmann::json::parse(printed, nullptr, false);
  Fd freshFd(openBeneath(rootFd, fresh, O_RDONLY | O_DIRECTORY));
  if (!inputs.is_object() || !inputs["inputs"].is_array() || freshFd.fd < 0) {
    error = fmt::format("{} did not report the files it compiled (`sbxc compile --print-inputs`)", sbxc);
    return discard();
  }
  nlohmann::ordered_json record{{"schema", kRecordSchema},          {"policy", policy},
                                {"version", SBXC_VERSION},          {"sbxc", sbxc},
                                {"stdlib", inputs["stdlib"]},       {"inputs", inputs["inputs"]},
                                {"diagnostics", diagnosticsDigest}, {"plans", nlohmann::ordered_json::object()}};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(freshPath, ec))
    if (auto plan = readBeneath(freshFd.fd, entry.path().filename().string() + "/plan.json"))
      record["plans"][entry.path().filename().string()] = sha256Hex(*plan);
  std::string text = record.dump() + "\n";
  Fd out(openBeneath(freshFd.fd, kRecord, O_WRONLY | O_CREAT | O_EXCL, 0600));
  if (out.fd < 0 || ::write(out.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    error = fmt::format("cannot write {}/{}: {}", freshPath, kRecord, std::strerror(errno));
    return discard();
  }
  // In place of the entry: moved there, or exchanged with the previous one, which is removed.
  if (renameat2(rootFd, fresh.c_str(), rootFd, key.c_str(), RENAME_NOREPLACE) == 0) return true;
  if (errno == EEXIST && renameat2(rootFd, fresh.c_str(), rootFd, key.c_str(), RENAME_EXCHANGE) == 0) {
    discard();  // now the previous entry
    return true;
  }
  error = fmt::format("cannot put the compiled policy in place in {}: {}", root, std::strerror(errno));
  return discard();
}

}  // namespace

std::optional<CompiledTask> loadTaskDir(const std::string& dir, std::string& error) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.fd < 0) {
    error = fmt::format("{}: {}", dir, std::strerror(errno));
    return std::nullopt;
  }
  return loadTaskAt(fd.fd, dir, "", error);
}

std::optional<CompiledTask> loadPolicy(const std::string& policyArgument, const std::string& task, std::string& error) {
  struct stat st {};
  if (::stat(policyArgument.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = fmt::format("{}: no such policy file", policyArgument);
    return std::nullopt;
  }
  auto root = cacheRoot(error);
  if (!root) return std::nullopt;
  Fd rootFd(openPrivateDirectory(*root, true, error));
  if (rootFd.fd < 0) {
    error = "the compile cache: " + error;
    return std::nullopt;
  }
  std::string policy = fs::absolute(policyArgument).lexically_normal().string();
  std::string key = sha256Hex(fmt::format("{}\n{}\n", policy, SBXC_VERSION)), sbxc = sbxcIdentity();
  for (int attempt = 0; attempt < 2; ++attempt) {
    // A stale, altered or missing entry is compiled again, once.
    if (attempt == 1 && !compileEntry(policy, *root, rootFd.fd, key, sbxc, error)) return std::nullopt;
    Fd entryFd(openBeneath(rootFd.fd, key, O_RDONLY | O_DIRECTORY));
    nlohmann::json record;
    if (entryFd.fd < 0 || !staleness(entryFd.fd, policy, sbxc, record).empty()) continue;
    auto name = pickTask(record["plans"], task, error);
    if (!name) return std::nullopt;
    if (!record["plans"][*name].is_string()) continue;
    Fd taskFd(openBeneath(entryFd.fd, *name, O_RDONLY | O_DIRECTORY));
    std::string dir = fmt::format("{}/{}/{}", *root, key, *name);
    if (taskFd.fd < 0) continue;
    if (auto loaded = loadTaskAt(taskFd.fd, dir, record["plans"][*name].get<std::string>(), error)) return loaded;
  }
  if (error.empty()) error = fmt::format("{}: the freshly compiled policy does not check out in the cache", policy);
  return std::nullopt;
}

}  // namespace sbx::run
