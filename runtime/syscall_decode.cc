#include "runtime/syscall_decode.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <seccomp.h>

namespace sbx::run {

namespace {

constexpr std::size_t kMaxString = 256;  // of a path in a report; longer ones end in "..."
constexpr std::uint32_t kX32Bit = 0x40000000;

using Names = std::vector<std::pair<std::uint64_t, const char*>>;

#define SBX_NAME(x) \
  { x, #x }

// Wider masks first: O_SYNC holds O_DSYNC's bit, O_TMPFILE O_DIRECTORY's. O_LARGEFILE is 0 in
// user space's headers; the kernel's value is spelled out.
const Names kOpenFlags = {SBX_NAME(O_WRONLY),  SBX_NAME(O_RDWR),      SBX_NAME(O_CREAT),    SBX_NAME(O_EXCL),
                          SBX_NAME(O_NOCTTY),  SBX_NAME(O_TRUNC),     SBX_NAME(O_APPEND),   SBX_NAME(O_NONBLOCK),
                          SBX_NAME(O_SYNC),    SBX_NAME(O_DSYNC),     SBX_NAME(O_DIRECT),   {0x8000, "O_LARGEFILE"},
                          SBX_NAME(O_TMPFILE), SBX_NAME(O_DIRECTORY), SBX_NAME(O_NOFOLLOW), SBX_NAME(O_NOATIME),
                          SBX_NAME(O_CLOEXEC), SBX_NAME(O_PATH)};
const Names kCloneFlags = {SBX_NAME(CLONE_VM),
                           SBX_NAME(CLONE_FS),
                           SBX_NAME(CLONE_FILES),
                           SBX_NAME(CLONE_SIGHAND),
                           SBX_NAME(CLONE_PIDFD),
                           SBX_NAME(CLONE_PTRACE),
                           SBX_NAME(CLONE_VFORK),
                           SBX_NAME(CLONE_PARENT),
                           SBX_NAME(CLONE_THREAD),
                           SBX_NAME(CLONE_NEWNS),
                           SBX_NAME(CLONE_SYSVSEM),
                           SBX_NAME(CLONE_SETTLS),
                           SBX_NAME(CLONE_PARENT_SETTID),
                           SBX_NAME(CLONE_CHILD_CLEARTID),
                           SBX_NAME(CLONE_UNTRACED),
                           SBX_NAME(CLONE_CHILD_SETTID),
                           SBX_NAME(CLONE_NEWCGROUP),
                           SBX_NAME(CLONE_NEWUTS),
                           SBX_NAME(CLONE_NEWIPC),
                           SBX_NAME(CLONE_NEWUSER),
                           SBX_NAME(CLONE_NEWPID),
                           SBX_NAME(CLONE_NEWNET),
                           SBX_NAME(CLONE_IO)};
const Names kMountFlags = {
    SBX_NAME(MS_RDONLY),  SBX_NAME(MS_NOSUID),   SBX_NAME(MS_NODEV),   SBX_NAME(MS_NOEXEC),   SBX_NAME(MS_SYNCHRONOUS),
    SBX_NAME(MS_REMOUNT), SBX_NAME(MS_MANDLOCK), SBX_NAME(MS_DIRSYNC), SBX_NAME(MS_NOATIME),  SBX_NAME(MS_NODIRATIME),
    SBX_NAME(MS_BIND),    SBX_NAME(MS_MOVE),     SBX_NAME(MS_REC),     SBX_NAME(MS_SILENT),   SBX_NAME(MS_UNBINDABLE),
    SBX_NAME(MS_PRIVATE), SBX_NAME(MS_SLAVE),    SBX_NAME(MS_SHARED),  SBX_NAME(MS_RELATIME), SBX_NAME(MS_STRICTATIME),
    SBX_NAME(MS_LAZYTIME)};
const Names kSocketTypeFlags = {SBX_NAME(SOCK_NONBLOCK), SBX_NAME(SOCK_CLOEXEC)};
const Names kPtraceRequests = {SBX_NAME(PTRACE_TRACEME),    SBX_NAME(PTRACE_PEEKTEXT),    SBX_NAME(PTRACE_PEEKDATA),
                               SBX_NAME(PTRACE_PEEKUSER),   SBX_NAME(PTRACE_POKETEXT),    SBX_NAME(PTRACE_POKEDATA),
                               SBX_NAME(PTRACE_POKEUSER),   SBX_NAME(PTRACE_CONT),        SBX_NAME(PTRACE_KILL),
                               SBX_NAME(PTRACE_SINGLESTEP), SBX_NAME(PTRACE_GETREGS),     SBX_NAME(PTRACE_SETREGS),
                               SBX_NAME(PTRACE_ATTACH),     SBX_NAME(PTRACE_DETACH),      SBX_NAME(PTRACE_SYSCALL),
                               SBX_NAME(PTRACE_SETOPTIONS), SBX_NAME(PTRACE_GETEVENTMSG), SBX_NAME(PTRACE_GETSIGINFO),
                               SBX_NAME(PTRACE_SEIZE),      SBX_NAME(PTRACE_INTERRUPT),   SBX_NAME(PTRACE_LISTEN)};
const Names kFamilies = {SBX_NAME(AF_UNSPEC),  SBX_NAME(AF_UNIX),      SBX_NAME(AF_INET), SBX_NAME(AF_INET6),
                         SBX_NAME(AF_NETLINK), SBX_NAME(AF_PACKET),    SBX_NAME(AF_KEY),  SBX_NAME(AF_VSOCK),
                         SBX_NAME(AF_ALG),     SBX_NAME(AF_BLUETOOTH), SBX_NAME(AF_CAN),  SBX_NAME(AF_XDP)};
const Names kSocketTypes = {SBX_NAME(SOCK_STREAM), SBX_NAME(SOCK_DGRAM), SBX_NAME(SOCK_RAW), SBX_NAME(SOCK_SEQPACKET),
                            SBX_NAME(SOCK_RDM)};

#undef SBX_NAME

// Signatures, one letter an argument: s string, d signed number, u unsigned, x hex, o octal
// mode, f directory descriptor (AT_FDCWD), O open flags, C clone flags, M mount flags, P ptrace
// request, A address family, T socket type, S signal.
const std::map<std::string_view, std::string_view>& signatures() {
  static const std::map<std::string_view, std::string_view> table = {
      {"chroot", "s"},         {"chdir", "s"},          {"mount", "sssMx"},       {"umount2", "sx"},
      {"pivot_root", "ss"},    {"unshare", "C"},        {"setns", "dC"},          {"clone", "Cxxxx"},
      {"clone3", "xu"},        {"ptrace", "Pdxx"},      {"open", "sOo"},          {"openat", "fsOo"},
      {"openat2", "fsxu"},     {"creat", "so"},         {"execve", "sxx"},        {"execveat", "fsxxx"},
      {"unlink", "s"},         {"unlinkat", "fsx"},     {"rmdir", "s"},           {"mkdir", "so"},
      {"mkdirat", "fso"},      {"rename", "ss"},        {"renameat", "fsfs"},     {"renameat2", "fsfsx"},
      {"link", "ss"},          {"linkat", "fsfsx"},     {"symlink", "ss"},        {"symlinkat", "sfs"},
      {"chmod", "so"},         {"fchmodat", "fso"},     {"chown", "sdd"},         {"lchown", "sdd"},
      {"fchownat", "fsddx"},   {"truncate", "sd"},      {"access", "so"},         {"faccessat", "fso"},
      {"faccessat2", "fsox"},  {"readlink", "sxu"},     {"readlinkat", "fsxu"},   {"newfstatat", "fsxx"},
      {"statx", "fsxxx"},      {"stat", "sx"},          {"lstat", "sx"},          {"mknod", "sox"},
      {"mknodat", "fsox"},     {"socket", "ATd"},       {"socketpair", "ATdx"},   {"connect", "dxu"},
      {"bind", "dxu"},         {"listen", "dd"},        {"accept", "dxx"},        {"accept4", "dxxx"},
      {"kill", "dS"},          {"tkill", "dS"},         {"tgkill", "ddS"},        {"swapon", "sx"},
      {"swapoff", "s"},        {"acct", "s"},           {"reboot", "xxxx"},       {"init_module", "xux"},
      {"finit_module", "dsx"}, {"delete_module", "sx"}, {"personality", "x"},     {"bpf", "dxu"},
      {"keyctl", "dxxxx"},     {"add_key", "ssxud"},    {"request_key", "sssd"},  {"setuid", "d"},
      {"setgid", "d"},         {"setresuid", "ddd"},    {"setresgid", "ddd"},     {"setgroups", "dx"},
      {"capset", "xx"},        {"prctl", "dxxxx"},      {"ioctl", "dxx"},         {"memfd_create", "sx"},
      {"seccomp", "dxx"},      {"fsopen", "sx"},        {"open_tree", "fsx"},     {"move_mount", "fsfsx"},
      {"syslog", "dxd"},       {"iopl", "d"},           {"ioperm", "xxd"},        {"setdomainname", "xu"},
      {"sethostname", "xu"},   {"userfaultfd", "x"},    {"io_uring_setup", "ux"}, {"perf_event_open", "xddds"},
      {"kexec_load", "xuxx"},  {"quotactl", "xsdx"},    {"utimensat", "fsxx"},    {"statfs", "sx"},
      {"getxattr", "ssxu"},    {"setxattr", "ssxux"},   {"listxattr", "sxu"},     {"removexattr", "ss"},
  };
  return table;
}

std::string number(std::uint64_t v, bool hex) {
  return hex ? fmt::format("{:#x}", v) : fmt::format("{}", v);
}

std::string flags(std::uint64_t value, const Names& names, const char* zero) {
  std::string text;
  for (const auto& [bit, name] : names)
    if (bit && (value & bit) == bit) {
      text += text.empty() ? name : fmt::format("|{}", name);
      value &= ~bit;
    }
  if (value) text += text.empty() ? fmt::format("{:#x}", value) : fmt::format("|{:#x}", value);
  return text.empty() ? zero : text;
}

std::string enumerated(std::uint64_t value, const Names& names) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return fmt::format("{}", value);
}

std::string quoted(const std::string& text, bool truncated) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\')
      out += fmt::format("\\{}", static_cast<char>(c));
    else if (c < 0x20 || c >= 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  return out + (truncated ? "\"..." : "\"");
}

std::string argument(char kind, std::uint64_t v, pid_t pid) {
  auto low = static_cast<std::uint32_t>(v);
  switch (kind) {
    case 's': {
      std::string text;
      bool truncated = false;
      if (v == 0) return "NULL";
      return readString(pid, v, kMaxString, text, truncated) ? quoted(text, truncated) : number(v, true);
    }
    case 'd':
      return fmt::format("{}", static_cast<std::int32_t>(low));
    case 'u':
      return number(v, false);
    case 'o':
      return fmt::format("0{:o}", low);
    case 'f':
      return static_cast<std::int32_t>(low) == AT_FDCWD ? "AT_FDCWD"
                                                        : fmt::format("{}", static_cast<std::int32_t>(low));
    case 'O': {
      std::string rest = flags(low, kOpenFlags, "");
      if ((low & O_ACCMODE) != O_RDONLY) return rest;
      return rest.empty() ? "O_RDONLY" : "O_RDONLY|" + rest;
    }
    case 'C':
      return flags(v & ~0xffull, kCloneFlags, "0") + ((v & 0xff) ? fmt::format("|{}", v & 0xff) : "");
    case 'M':
      return flags(v, kMountFlags, "0");
    case 'P':
      return enumerated(low, kPtraceRequests);
    case 'A':
      return enumerated(low, kFamilies);
    case 'T': {
      std::string type = enumerated(low & 0xf, kSocketTypes);
      std::string extra = flags(low & ~0xfu, kSocketTypeFlags, "");
      return extra.empty() ? type : type + "|" + extra;
    }
    case 'S': {
      const char* name = low > 0 && low < 65 ? sigabbrev_np(static_cast<int>(low)) : nullptr;
      return name ? fmt::format("SIG{}", name) : fmt::format("{}", low);
    }
    default:
      return number(v, true);
  }
}

}  // namespace

std::string syscallName(std::uint32_t arch, std::uint32_t nr) {
  // libseccomp's architecture tokens are the audit ones; x32 calls arrive as x86_64 with a bit set.
  std::uint32_t token = arch == AUDIT_ARCH_X86_64 && (nr & kX32Bit) ? SCMP_ARCH_X32 : arch;
  char* name = seccomp_syscall_resolve_num_arch(token, static_cast<int>(nr));
  std::string text = name ? name : fmt::format("syscall_{}", nr);
  std::free(name);
  return text;
}

std::string describeCall(const HeldCall& call) {
  std::string name = syscallName(call.arch, call.nr);
  auto found = signatures().find(name);
  if (found == signatures().end()) return name + "(...)";
  std::string text = name + "(";
  for (std::size_t i = 0; i < found->second.size() && i < 6; ++i)
    text += (i ? ", " : "") + argument(found->second[i], call.args[i], call.pid);
  return text + ")";
}

bool readString(pid_t pid, std::uint64_t address, std::size_t limit, std::string& text, bool& truncated) {
  text.clear();
  truncated = false;
  const std::uint64_t page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  char buffer[kMaxString];
  while (text.size() < limit) {
    // Never across a page boundary: the next page may be unmapped while this one holds the end.
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(page - address % page, sizeof buffer));
    want = std::min(want, limit - text.size());
    iovec local{buffer, want}, remote{reinterpret_cast<void*>(address), want};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) {  // an unreadable page before the end: what was read, marked as cut short
      truncated = !text.empty();
      return truncated;
    }
    auto got = static_cast<std::size_t>(n);
    if (const void* end = std::memchr(buffer, 0, got)) {
      text.append(buffer, static_cast<const char*>(end) - buffer);
      return true;
    }
    text.append(buffer, got);
    address += got;
  }
  truncated = true;
  return true;
}

}  // namespace sbx::run
