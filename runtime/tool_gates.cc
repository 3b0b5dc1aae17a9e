#include "runtime/tool_gates.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "bpf/gate_calls.h"
#include "runtime/limits.h"

namespace sbx::run {

namespace fs = std::filesystem;

namespace {

std::string failed(const std::string& what) {
  return fmt::format("{}: {}", what, std::strerror(errno));
}

// `path` inside the staging root `rootFd`, its symbolic links resolved as if that were `/`.
int openInRoot(int rootFd, const std::string& path, std::uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, rootFd, path.c_str(), &how, sizeof how));
}

// A new execute-only file at `path`; `fill` writes its content.
template <typename Fill>
bool writeExecuteOnly(const std::string& path, Fill fill, struct stat* made, std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
  bool ok = fd >= 0 && fill(fd) && fchmod(fd, 0111) == 0 && (!made || fstat(fd, made) == 0);
  if (!ok) error = failed("write " + path);
  if (fd >= 0) ::close(fd);
  return ok;
}

// The tool's executable: a regular ELF file (the kernel maps it; nothing needs to read it).
int openToolExecutable(int rootFd, const GatedTool& t, std::string& error) {
  int fd = openInRoot(rootFd, t.exec, O_RDONLY);
  if (fd < 0) {
    error = failed(fmt::format("tool `{}`: its executable {}", t.name, t.exec));
    return -1;
  }
  static constexpr char kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
  struct stat st {};
  char magic[4] = {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || pread(fd, magic, 4, 0) != 4 ||
      std::memcmp(magic, kElfMagic, 4) != 0) {
    error = fmt::format(
        "tool `{}`: its executable {} is not an ELF binary (a script?): sbx-run hands a tool its token only when "
        "the tool can run execute-only, and an interpreter must read a script",
        t.name, t.exec);
    ::close(fd);
    return -1;
  }
  return fd;
}

bool copyFile(int from, int to) {
  struct stat st {};
  if (fstat(from, &st) != 0) return false;
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = sendfile(to, from, &offset, static_cast<std::size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
  }
  return true;
}

// Where the key goes in sbx-tool-gate (protocol.h): after the one occurrence of the marker. Read
// through a mapping of the file, once per start: no copy of it in memory.
std::optional<off_t> keySlot(int program, std::string& error) {
  struct stat st {};
  void* map = fstat(program, &st) == 0 && st.st_size > 0
                  ? mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, program, 0)
                  : MAP_FAILED;
  if (map == MAP_FAILED) {
    error = failed("read sbx-tool-gate");
    return std::nullopt;
  }
  std::string_view bytes(static_cast<const char*>(map), static_cast<std::size_t>(st.st_size));
  std::string_view marker(SBX_GATE_KEY_MARKER, gate::kMarkerBytes);
  auto at = bytes.find(marker);
  bool single = at != std::string_view::npos && bytes.find(marker, at + 1) == std::string_view::npos &&
                at + gate::kMarkerBytes + gate::kKeyBytes <= bytes.size();
  munmap(map, static_cast<std::size_t>(st.st_size));
  if (!single) {
    error = "sbx-tool-gate has no single key slot: it is not the gate this sbx-run was built with";
    return std::nullopt;
  }
  return static_cast<off_t>(at + gate::kMarkerBytes);
}

// A copy of sbx-tool-gate with the tool's key at `slot`, at `path`.
bool writeGate(int program, off_t slot, const GatedTool& t, const std::string& path, struct stat* made,
               std::string& error) {
  return writeExecuteOnly(
      path,
      [&](int fd) {
        return copyFile(program, fd) &&
               pwrite(fd, t.key.data(), t.key.size(), slot) == static_cast<ssize_t>(t.key.size());
      },
      made, error);
}

// Binds the file `source` read-only over `targetFd` (an O_PATH descriptor of the tool's executable).
bool bindOver(const std::string& source, int targetFd, const std::string& what, std::string& error) {
  int tree = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.propagation = MS_PRIVATE;
  bool ok = tree >= 0 && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0 &&
            syscall(SYS_move_mount, tree, "", targetFd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0;
  if (!ok) error = failed("bind the gate over " + what);
  if (tree >= 0) ::close(tree);
  return ok;
}

int listenForTools(const std::string& path, std::string& error) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    error = "the token broker's socket path is too long: " + path;
    return -1;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::memcpy(address.sun_path, path.data(), path.size());
  // Connecting needs write permission on the socket; the payload is not its owner.
  bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            chmod(path.c_str(), 0666) == 0 && listen(fd, 64) == 0;
  if (!ok) {
    error = failed("the token broker's socket");
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::string GatedTool::directory() const {
  return fmt::format("{}/{}", gate::kGateRoot, name);
}

std::string GatedTool::gatePath() const {
  return directory() + "/gate";
}

std::string GatedTool::copyPath() const {
  return directory() + "/" + fs::path(exec).filename().string();
}

ToolGates::~ToolGates() {
  if (gateProgram >= 0) ::close(gateProgram);
}

std::string findToolGate() {
  if (const char* env = std::getenv("SBX_TOOL_GATE"); env && *env) return env;
  std::error_code ec;
  return (fs::read_symlink("/proc/self/exe", ec).parent_path() / "sbx-tool-gate").string();
}

bool planHasToolTokens(const plan::Plan& plan) {
  for (const auto& t : plan.tokens)
    if (!t.tool.empty()) return true;
  return false;
}

bool planToolGates(const plan::Plan& plan, const std::vector<sock_filter>& filter, ToolGates& out, std::string& error) {
  std::map<std::string, GatedTool> byName;
  int files = 0;
  for (const auto& t : plan.tokens) {
    const std::string &tool = t.tool, &exec = t.toolExec;
    if (tool.empty()) continue;
    if (exec.empty()) {
      error = fmt::format(
          "secret `{}` is for tool `{}`, which declares no `exec`: sbx-run hands a tool its token through the "
          "tool's executable (declare `exec \"PATH\"` in the tool)",
          t.secret, tool);
      return false;
    }
    byName[tool].name = tool;
    byName[tool].exec = exec;
    if (t.exposure == plan::ExposureKind::File) ++files;
  }
  // A tool is told by its executable: another tool that runs the same one would get its tokens.
  for (const auto& [name, g] : byName)
    for (const auto& other : plan.task.tools)
      if (other.name != name && other.exec == g.exec) {
        error = fmt::format(
            "tools `{}` and `{}` both run {}: sbx-run tells a tool's processes by their executable, so it cannot "
            "give `{}` its tokens and not `{}` (give each tool its own executable)",
            name, other.name, g.exec, name, other.name);
        return false;
      }
  // The broker places a tool's token files at descriptors 200, 201, ... in the plan's order.
  if (files > 0) {
    int highestFd = gate::kFirstSecretFd + files - 1;
    rlimit own{};
    getrlimit(RLIMIT_NOFILE, &own);
    std::uint64_t limit = own.rlim_cur;
    for (const auto& r : plannedRlimits(plan.task.limits))
      if (r.resource == RLIMIT_NOFILE) limit = r.value;
    if (static_cast<std::uint64_t>(highestFd) >= limit) {
      error = fmt::format(
          "a tool's token file is held at descriptor {}, and the task's open-files limit is {}: raise it above {}",
          highestFd, limit, highestFd);
      return false;
    }
  }
  if (std::string denied = seccomp::gateCallsDenied(filter); !denied.empty()) {
    error = fmt::format(
        "the task's syscall policy denies {}, which sbx-run's tool gate makes to fetch a tool's token (allow "
        "them, e.g. `allow socket if arg0 == AF_UNIX` and `allow connect, sendmsg`; docs/tokens.md)",
        denied);
    return false;
  }
  std::string program = findToolGate();
  out.gateProgram = ::open(program.c_str(), O_RDONLY | O_CLOEXEC);
  if (out.gateProgram < 0) {
    error = failed("open the tool gate " + program);
    return false;
  }
  for (auto& [name, g] : byName) {
    if (getrandom(g.key.data(), g.key.size(), 0) != static_cast<ssize_t>(g.key.size())) {
      error = failed("make a tool's key");
      return false;
    }
    out.tools.push_back(std::move(g));
  }
  return true;
}

void attachTokens(ToolGates& gates, const Broker& broker) {
  for (auto& g : gates.tools)
    for (const auto& t : broker.issued())
      if (t.tool == g.name) g.tokens.push_back(&t);
}

PlannedMount toolGateMount(ToolGates& gates) {
  PlannedMount m;
  m.type = "tool-gates";
  m.target = std::string(gate::kGateRoot);
  m.readOnly = true;
  m.noexec = false;
  m.gates = &gates;
  return m;
}

bool buildToolGates(const std::string& root, const std::string& target, ToolGates& gates, std::string& error) {
  std::string dir = root + target;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || ::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
    error = failed("tmpfs " + target);
    return false;
  }
  struct stat userNs {};
  if (::stat("/proc/self/ns/user", &userNs) != 0) {
    error = failed("the sandbox's user namespace");
    return false;
  }
  gates.userNsDevice = userNs.st_dev;
  gates.userNsInode = userNs.st_ino;
  std::optional<off_t> slot = keySlot(gates.gateProgram, error);
  int rootFd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  bool ok = slot && rootFd >= 0;
  for (auto& t : gates.tools) {
    if (!ok) break;
    std::string toolDir = root + t.directory();
    struct stat gate {};
    int executable = openToolExecutable(rootFd, t, error);
    ok = executable >= 0 && mkdir(toolDir.c_str(), 0755) == 0 &&
         writeExecuteOnly(
             root + t.copyPath(), [&](int fd) { return copyFile(executable, fd); }, nullptr, error) &&
         writeGate(gates.gateProgram, *slot, t, root + t.gatePath(), &gate, error);
    if (executable >= 0) ::close(executable);
    if (!ok) break;
    t.gateDevice = gate.st_dev;
    t.gateInode = gate.st_ino;
    int covered = openInRoot(rootFd, t.exec, O_PATH);
    ok = covered >= 0 && bindOver(root + t.gatePath(), covered, t.exec, error);
    if (covered >= 0) ::close(covered);
  }
  if (rootFd >= 0) ::close(rootFd);
  if (ok) gates.listener = listenForTools(root + std::string(gate::kBrokerSocket), error);
  ok = ok && gates.listener >= 0;
  if (ok &&
      ::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
    error = failed("seal " + target);
    ok = false;
  }
  if (!ok && error.empty()) error = failed("tool gates in " + target);
  return ok;
}

std::vector<plan::Tool> toolsWithCopies(const std::vector<plan::Tool>& tools, const ToolGates& gates) {
  std::vector<plan::Tool> out = tools;
  for (const auto& g : gates.tools) {
    plan::Tool copy;
    copy.name = g.name;
    copy.exec = g.copyPath();
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace sbx::run
