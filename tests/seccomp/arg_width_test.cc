// The generated argument-width table (common/tables/arg_width.def) against the real kernel.
//   1. Every narrow entry of this machine's architecture: a filter from `sbxc compile` that
//      answers EACCES when the argument equals X must answer EACCES for X | 1<<32 too (and for
//      X | 1<<16 on a 16-bit argument). Everything else is denied with EPERM, so no call runs
//      even if a comparison were wrong: the test is safe for reboot as for read.
//   2. Where the call is harmless (setrlimit RLIMIT_NPROC, kill's signal, fchownat's ids, futex's
//      op, openat's flags, ...): without a filter, the kernel does the same for X and for
//      X | 1<<32 (so the table's entry is the kernel's truth), and under a filter denying X both
//      are denied.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bpf/native_arch.h"
#include "seccomp/filter_support.h"
#include "support/paths.h"
#include "tables/baseline.h"

using namespace sbx::test;

namespace {

constexpr long kHigh32 = 1L << 32;
constexpr long kProbe = 0x7e;  // not a descriptor the test child holds, so `write` can report

struct NativeEntry {
  std::string syscall;
  long nr;
  unsigned index;
  unsigned bits;
};

std::vector<NativeEntry> nativeEntries() {
  std::vector<NativeEntry> out;
  for (const auto& a : sbx::seccomp::narrowArgs()) {
    if (a.arch != sbx::seccomp::kNativeArchName) continue;
    std::string name(a.syscall);
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr < 0) continue;  // a syscall this libseccomp does not know: sbxc cannot name it either
    out.push_back({name, nr, a.index, a.bits});
  }
  return out;
}

std::string everyEntryPolicy(const std::vector<NativeEntry>& entries) {
  std::string rules;
  for (const auto& e : entries)
    rules += fmt::format("    errno EACCES {} if arg{} == {}\n", e.syscall, e.index, kProbe);
  return fmt::format(R"(task probe {{
  syscalls {{
    default errno EPERM
    allow write, exit, exit_group
{}  }}
}}
)",
                     rules);
}

long callWithArg(const NativeEntry& e, long value) {
  long args[6] = {0, 0, 0, 0, 0, 0};
  args[e.index] = value;
  return rawSyscall(e.nr, args[0], args[1], args[2], args[3], args[4], args[5]);
}

// A harmless call whose argument `index` is narrow: `call(v)` makes it with that argument v.
struct HarmlessCase {
  const char* syscall;
  unsigned index;
  long value;
  std::function<long(long)> call;
};

std::vector<HarmlessCase> harmlessCases(const std::string& file) {
  static rlimit nproc{}, nofile{};
  getrlimit(RLIMIT_NPROC, &nproc);
  getrlimit(RLIMIT_NOFILE, &nofile);
  static int futexWord = 0;
  static std::string path;
  path = file;
  const char* p = path.c_str();
  static int openFd = -1;
  if (openFd < 0) openFd = open(p, O_RDONLY | O_CLOEXEC);
  uid_t uid = getuid();
  gid_t gid = getgid();
  return {
      {"setrlimit", 0, RLIMIT_NPROC, [](long v) { return rawSyscall(SYS_setrlimit, v, (long)&nproc); }},
      {"prlimit64", 1, RLIMIT_NOFILE, [](long v) { return rawSyscall(SYS_prlimit64, 0, v, 0, (long)&nofile); }},
      {"kill", 1, 0, [](long v) { return rawSyscall(SYS_kill, getpid(), v); }},
      {"kill", 0, getpid(), [](long v) { return rawSyscall(SYS_kill, v, 0); }},
      {"tgkill", 2, 0, [](long v) { return rawSyscall(SYS_tgkill, getpid(), gettid(), v); }},
      {"fchownat", 2, (long)uid, [p, gid](long v) { return rawSyscall(SYS_fchownat, AT_FDCWD, (long)p, v, gid, 0); }},
      {"fchownat", 3, (long)gid, [p, uid](long v) { return rawSyscall(SYS_fchownat, AT_FDCWD, (long)p, uid, v, 0); }},
      {"fchownat", 4, AT_SYMLINK_NOFOLLOW,
       [p, uid, gid](long v) { return rawSyscall(SYS_fchownat, AT_FDCWD, (long)p, uid, gid, v); }},
      {"futex", 1, FUTEX_WAKE_PRIVATE, [](long v) { return rawSyscall(SYS_futex, (long)&futexWord, v, 1); }},
      {"openat", 2, O_RDONLY | O_CLOEXEC,
       [p](long v) {
         long fd = rawSyscall(SYS_openat, AT_FDCWD, (long)p, v);
         if (fd >= 0) close(static_cast<int>(fd));
         return fd >= 0 ? 0L : fd;
       }},
      {"fcntl", 1, F_GETFD, [](long v) { return rawSyscall(SYS_fcntl, openFd, v); }},
      {"getpriority", 0, PRIO_PROCESS, [](long v) { return rawSyscall(SYS_getpriority, v, 0); }},
      {"faccessat", 2, R_OK, [p](long v) { return rawSyscall(SYS_faccessat, AT_FDCWD, (long)p, v); }},
      {"fchmodat", 2, 0600, [p](long v) { return rawSyscall(SYS_fchmodat, AT_FDCWD, (long)p, v); }},
  };
}

// One round per argument position: the OCI form (seccomp.json) that `sbxc compile` also writes
// spells "none of the conditions" out, so two conditions on one syscall would multiply its rules.
std::vector<std::vector<NativeEntry>> rounds(const std::vector<NativeEntry>& entries) {
  std::vector<std::vector<NativeEntry>> out;
  std::map<std::string, std::size_t> seen;
  for (const auto& e : entries) {
    std::size_t round = seen[e.syscall]++;
    if (out.size() <= round) out.resize(round + 1);
    out[round].push_back(e);
  }
  return out;
}

void checkRound(const std::vector<NativeEntry>& entries, const std::string& codegen) {
  auto program = compileWithSbxc(everyEntryPolicy(entries), "probe", codegen);
  auto r = runFiltered(program, [&entries](void (*report)(long)) {
    for (const auto& e : entries) {
      report(callWithArg(e, kProbe | kHigh32));
      report(e.bits == 16 ? callWithArg(e, kProbe | 0x10000) : -EACCES);
      report(callWithArg(e, kProbe));
    }
  });
  REQUIRE(r.values.size() == entries.size() * 3);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    INFO(e.syscall << " arg" << e.index << " (" << e.bits << " bits)");
    long expected = -EACCES;  // a tier-0 task: no ENOSYS baseline for io_uring
    CHECK(r.values[3 * i] == expected);
    CHECK(r.values[3 * i + 1] == expected);
    CHECK(r.values[3 * i + 2] == expected);
  }
}

}  // namespace

TEST_CASE("arg widths: every narrow argument of the native table is compared on the bits the kernel reads") {
  auto entries = nativeEntries();
  REQUIRE(entries.size() > 300);
  for (const auto& round : rounds(entries))
    for (std::string codegen : {"sbxc", "libseccomp"}) {
      CAPTURE(codegen);
      checkRound(round, codegen);
    }
}

TEST_CASE("arg widths: harmless calls show the kernel ignores the upper half, and the filter does too") {
  TempDir dir;
  std::string file = (dir.path() / "target").string();
  writeText(dir.path() / "target", "x");
  for (const auto& c : harmlessCases(file)) {
    INFO(c.syscall << " arg" << c.index << " = " << c.value);
    REQUIRE(sbx::seccomp::argBits(sbx::seccomp::kNativeArchName, c.syscall, c.index) < 64);
    long plain = c.call(c.value);
    CHECK(plain >= 0);
    CHECK(c.call(c.value | kHigh32) == plain);  // the kernel reads the low 32 bits only

    auto program = compileWithSbxc(fmt::format("task probe {{\n  syscalls {{\n    default allow\n    errno EACCES {} "
                                               "if arg{} == {}\n  }}\n}}\n",
                                               c.syscall, c.index, c.value),
                                   "probe", "sbxc");
    auto r = runFiltered(program, [&c](void (*report)(long)) {
      report(c.call(c.value | kHigh32));
      report(c.call(c.value));
    });
    REQUIRE(r.values.size() == 2);
    CHECK(r.values[0] == -EACCES);
    CHECK(r.values[1] == -EACCES);
  }
}

TEST_CASE("arg widths: umode_t is 16 bits in the kernel, and a mode rule sees only those") {
  TempDir dir;
  auto file = dir.path() / "target";
  writeText(file, "x");
  std::string p = file.string();
  REQUIRE(rawSyscall(SYS_fchmodat, AT_FDCWD, (long)p.c_str(), 0640 | 0x10000) == 0);
  struct stat st {};
  REQUIRE(stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);  // bit 16 was dropped by the kernel

  auto program = compileWithSbxc(
      "task probe {\n  syscalls {\n    default allow\n    errno EACCES fchmodat if arg2 == "
      "0x1a0\n  }\n}\n",
      "probe", "sbxc");
  auto r = runFiltered(program, [&p](void (*report)(long)) {
    report(rawSyscall(SYS_fchmodat, AT_FDCWD, (long)p.c_str(), 0640 | 0x10000));
    report(rawSyscall(SYS_fchmodat, AT_FDCWD, (long)p.c_str(), 0640 | kHigh32));
    report(rawSyscall(SYS_fchmodat, AT_FDCWD, (long)p.c_str(), 0600));
  });
  REQUIRE(r.values.size() == 3);
  CHECK(r.values[0] == -EACCES);
  CHECK(r.values[1] == -EACCES);
  CHECK(r.values[2] == 0);
}
