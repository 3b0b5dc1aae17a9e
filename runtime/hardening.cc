#include "runtime/hardening.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

#include "bpf/native_arch.h"

namespace sbx::run {

namespace {

std::string failed(const char* what) {
  return fmt::format("{}: {}", what, std::strerror(errno));
}

// Landlock rights by ABI version (Debian 12's kernel headers stop at ABI 2, the kernel here
// offers 7, so the later bits are spelled out).
constexpr std::uint64_t kTruncate = 1ull << 14;                                    // ABI 3
constexpr std::uint64_t kIoctlDev = 1ull << 15;                                    // ABI 5
constexpr std::uint64_t kScopeAbstractUnix = 1ull << 0, kScopeSignal = 1ull << 1;  // ABI 6

struct RulesetAttr {  // struct landlock_ruleset_attr as of ABI 6
  std::uint64_t handled_access_fs, handled_access_net, scoped;
};

std::uint64_t fsRights(int abi) {
  std::uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: bits 0-12
  if (abi >= 2) all |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) all |= kTruncate;
  if (abi >= 5) all |= kIoctlDev;
  return all;
}

constexpr std::uint64_t kReadRights = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
constexpr std::uint64_t kFileRights =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | kTruncate | kIoctlDev;

bool allow(int ruleset, const std::string& path, std::uint64_t rights, std::string& error) {
  int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return true;  // a masked or skipped path: nothing to grant
  struct stat st {};
  fstat(fd, &st);
  if (!S_ISDIR(st.st_mode)) rights &= kFileRights;  // directory rights are invalid on a file
  landlock_path_beneath_attr rule{};
  rule.allowed_access = rights;
  rule.parent_fd = fd;
  bool ok = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == 0;
  if (!ok) error = fmt::format("landlock rule for {}: {}", path, std::strerror(errno));
  ::close(fd);
  return ok;
}

}  // namespace

bool dropBoundingAndAmbient(std::string& error) {
  for (int cap = 0; cap <= 63; ++cap)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      error = failed("drop the capability bounding set");
      return false;
    }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    error = failed("clear ambient capabilities");
    return false;
  }
  return true;
}

bool clearCapabilitySets(std::string& error) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capset, &header, data) != 0) {
    error = failed("empty the capability sets");
    return false;
  }
  return true;
}

bool setNoNewPrivileges(std::string& error) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) return true;
  error = failed("no_new_privs");
  return false;
}

bool applyLandlock(const std::vector<PlannedMount>& mounts, bool& applied, std::string& error) {
  applied = false;
  int abi = static_cast<int>(syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION));
  if (abi < 1) return true;  // no Landlock in this kernel: the mount plan alone applies
  RulesetAttr attr{fsRights(abi), 0, abi >= 6 ? kScopeAbstractUnix | kScopeSignal : 0};
  std::size_t size = abi >= 6 ? sizeof attr : abi >= 4 ? 16 : 8;
  int ruleset = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, size, 0));
  if (ruleset < 0) {
    error = failed("landlock_create_ruleset");
    return false;
  }
  std::uint64_t all = fsRights(abi);
  bool ok = allow(ruleset, "/", kReadRights, error) &&
            allow(ruleset, "/proc", kReadRights | LANDLOCK_ACCESS_FS_WRITE_FILE, error) &&
            allow(ruleset, "/dev", all & ~(LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK), error);
  for (const auto& m : mounts) {
    if (!ok || m.type == "mask") continue;
    std::uint64_t rights =
        m.readOnly ? kReadRights : all & ~(LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK);
    if (!m.noexec) rights |= LANDLOCK_ACCESS_FS_EXECUTE;
    if (m.type == "device") rights |= LANDLOCK_ACCESS_FS_WRITE_FILE | (abi >= 5 ? kIoctlDev : 0);
    ok = allow(ruleset, m.target, rights & all, error);
  }
  ok = ok && syscall(SYS_landlock_restrict_self, ruleset, 0) == 0;
  if (!ok && error.empty()) error = failed("landlock_restrict_self");
  ::close(ruleset);
  applied = ok;
  return ok;
}

bool loadSeccomp(const std::vector<sock_filter>& filter, std::string& error) {
  sock_fprog program{static_cast<unsigned short>(filter.size()), const_cast<sock_filter*>(filter.data())};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0) return true;
  error = failed("load the seccomp filter");
  return false;
}

bool noExecFromWritable(const std::vector<PlannedMount>& mounts) {
  for (const auto& m : mounts)
    if (!m.readOnly && !m.noexec) return false;
  return true;
}

bool executableMemfdsForbidden() {
  int fd = ::open("/proc/sys/vm/memfd_noexec", O_RDONLY | O_CLOEXEC);
  char scope = 0;
  bool read = fd >= 0 && ::read(fd, &scope, 1) == 1;
  if (fd >= 0) ::close(fd);
  return read && scope == '2';
}

std::vector<sock_filter> refusingExecutableMemfds(const std::vector<sock_filter>& filter) {
  constexpr std::uint32_t kArch = seccomp::kNativeArch;
  constexpr std::uint32_t kNoExecSeal = 0x0008;  // MFD_NOEXEC_SEAL (Linux 6.3; not in Debian 12's headers)
  constexpr std::uint32_t kFlagsLow = offsetof(seccomp_data, args) + sizeof(std::uint64_t);  // args[1], low half
  // Every other case jumps to the task's filter, which follows (jumps are relative: it is intact).
  std::vector<sock_filter> guarded = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 0, 5),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_memfd_create, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kFlagsLow),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kNoExecSeal, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
  };
  guarded.insert(guarded.end(), filter.begin(), filter.end());
  return guarded;
}

bool anyIdmapped(const std::vector<PlannedMount>& mounts) {
  return std::any_of(mounts.begin(), mounts.end(), [](const PlannedMount& m) { return m.idmapped; });
}

std::vector<sock_filter> refusingSetIdModes(const std::vector<sock_filter>& filter) {
#ifndef SYS_fchmodat2
  constexpr long kFchmodat2 = 452;  // Linux 6.6, the same number on x86_64 and aarch64
#else
  constexpr long kFchmodat2 = SYS_fchmodat2;
#endif
  struct ModeArg {
    long nr;
    unsigned arg;
  };
  static constexpr ModeArg kModeArgs[] = {
#ifdef SYS_chmod
      {SYS_chmod, 1},  {SYS_open, 2},     {SYS_creat, 1},  {SYS_mknod, 1},
#endif
      {SYS_fchmod, 1}, {SYS_fchmodat, 2}, {kFchmodat2, 2}, {SYS_openat, 3}, {SYS_mknodat, 2},
  };
  constexpr std::uint32_t kSetId = S_ISUID | S_ISGID;
  constexpr std::uint8_t kBlock = 5;  // instructions per syscall below
  constexpr std::size_t kBlocks = std::size(kModeArgs);
  // Other architectures, and every other call, fall through to the task's filter (jumps are
  // relative: it is intact).
  std::vector<sock_filter> guarded = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp::kNativeArch, 0, kBlock * kBlocks + 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
  };
  for (const auto& [nr, arg] : kModeArgs) {
    auto low = static_cast<std::uint32_t>(offsetof(seccomp_data, args) + sizeof(std::uint64_t) * arg);
    guarded.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    guarded.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(nr), 0, 3));
    guarded.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, low));
    guarded.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kSetId, 0, 1));
    guarded.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
  }
  guarded.insert(guarded.end(), filter.begin(), filter.end());
  return guarded;
}

std::vector<sock_filter> guardedFilter(const std::vector<sock_filter>& filter, bool memfdGuard, bool setIdGuard) {
  std::vector<sock_filter> guarded = setIdGuard ? refusingSetIdModes(filter) : filter;
  return memfdGuard ? refusingExecutableMemfds(guarded) : guarded;
}

}  // namespace sbx::run
