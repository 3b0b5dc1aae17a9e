// `syscall` assertions: the task's compiled seccomp program, run by the BPF interpreter
// (bpf/bpf_interpreter.h) on this machine's architecture with the given arguments, exactly as
// the kernel would run it. Not re-derived from the policy's rules.
#include <linux/seccomp.h>

#include <fmt/format.h>

#include "bpf/bpf_interpreter.h"
#include "bpf/native_arch.h"
#include "cli/policy_test_eval.h"
#include "frontend/syscall_table.h"
#include "prove/filter_compare.h"

namespace sbx::cli {

namespace {

#if defined(__x86_64__)
constexpr model::Arch kModelArch = model::Arch::X86_64;
#else
constexpr model::Arch kModelArch = model::Arch::Aarch64;
#endif

}  // namespace

std::optional<Outcome> judgeSyscall(const Assertion& a, const TaskUnderTest& t, DiagnosticSink& diags) {
  auto nr = frontend::syscallNumber(kModelArch, a.syscall);
  if (!nr) {
    diags
        .report(Code::InvalidPolicyTest, a.subjectSpan,
                fmt::format("`{}` does not exist on {}, where this test runs", a.syscall, seccomp::kNativeArchName))
        .help("test a syscall of this architecture");
    return std::nullopt;
  }
  seccomp::SeccompData data;
  data.nr = static_cast<std::uint32_t>(*nr);
  data.arch = seccomp::kNativeArch;
  for (std::size_t i = 0; i < a.args.size(); ++i) data.args[i] = a.args[i];
  auto run = seccomp::interpret(t.compiled.filter.program, data);
  std::string call = "syscall " + a.call;
  if (!run.ok) return Outcome{false, fmt::format("{} {}", call, a.action), "the filter misbehaved: " + run.error};
  std::string got = prove::actionText(run.action);  // as the assertions spell it: "allow", "errno 1", ...
  bool passed = a.errnoValue ? got == fmt::format("errno {}", *a.errnoValue)
                             : got == a.action || (a.action == "errno" && got.starts_with("errno "));
  std::string expected = a.errnoValue ? fmt::format("errno {}", *a.errnoValue) : a.action;
  return Outcome{passed, fmt::format("{} {}", call, expected), fmt::format("{} {}", call, got)};
}

}  // namespace sbx::cli
