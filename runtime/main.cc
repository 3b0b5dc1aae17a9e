// sbx-run: runs a command inside the sandbox a compiled task describes.
//
//   sbx-run [--workspace DIR] [--audit FILE] [--task NAME] POLICY.sbx|TASK_DIR -- CMD ARGS...
//   sbx-run --dry-run [--workspace DIR] [--task NAME] POLICY.sbx|TASK_DIR
//   sbx-run --learn OUT.sbx [--workspace DIR] [--task NAME] POLICY.sbx|TASK_DIR -- CMD ARGS...
//   sbx-run approve|deny RUN REQUEST, sbx-run pending RUN
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/approval_commands.h"
#include "runtime/artifacts.h"
#include "runtime/audit.h"
#include "runtime/dry_run.h"
#include "runtime/event_stream.h"
#include "runtime/exit_codes.h"
#include "runtime/policy_learner.h"
#include "runtime/sandbox.h"
#include "tokens/revocations.h"
#include "util/sha256.h"
#include "version.h"

namespace {

constexpr const char* kUsage =
    "Usage: sbx-run [--workspace DIR] [--audit FILE] [--events FILE|-] [--task NAME] [--upstream-ca FILE] "
    "POLICY.sbx|TASK_DIR -- CMD "
    "ARGS...\n"
    "       sbx-run --dry-run [--workspace DIR] [--task NAME] POLICY.sbx|TASK_DIR\n"
    "       sbx-run --learn OUT.sbx [--workspace DIR] [--task NAME] POLICY.sbx|TASK_DIR -- CMD ARGS...\n"
    "       sbx-run approve|deny RUN REQUEST     answer a request the run holds for approval\n"
    "       sbx-run pending RUN                  list the requests the run holds\n"
    "\n"
    "Runs CMD inside the sandbox of a compiled task: TASK_DIR is a directory written by\n"
    "`sbxc compile` (DIR/<task>), or POLICY.sbx is compiled first (cached by its digest). A policy\n"
    "that does not compile, or has a lint error that no @suppress silences, is not started (125);\n"
    "its warnings and notes are printed when the cache is written, not on every start.\n"
    "\n"
    "Options:\n"
    "  --workspace DIR   host directory mounted at /workspace (required when the task has one)\n"
    "  --audit FILE      append one JSON line per event to FILE (outside the sandbox)\n"
    "  --events FILE|-   the same records, as they happen, to FILE (a regular file or a FIFO of\n"
    "                    yours) or - (standard output); a reader that does not keep up loses lines\n"
    "                    (counted in an events-dropped record), never the run's time\n"
    "  --task NAME       the task to run when the policy declares several\n"
    "  --upstream-ca FILE  a CA certificate (PEM) the inspecting proxy trusts for upstream servers,\n"
    "                    beside the system's store (a private service; used only by request rules)\n"
    "  --dry-run         start nothing: print the mount tree, egress, tokens, limits and filter the\n"
    "                    task would get, name every host path that is missing or unsafe and every\n"
    "                    limit above sbx-run's own hard limits, and exit 125 when the task could\n"
    "                    not start, else 0\n"
    "  --learn OUT.sbx   enforce nothing: run CMD with the policy's syscall and egress denials\n"
    "                    recorded instead, and write to OUT.sbx a profile with the lines that would\n"
    "                    allow them, to review and `use`. File accesses are not learned. Refused\n"
    "                    (125) for a task that holds secrets or tokens\n"
    "\n"
    "Environment: SBX_RUN_CACHE (compiled policies; else $XDG_CACHE_HOME/sbx-run, ~/.cache/sbx-run),\n"
    "SBX_STATE_DIR (the token broker's keys and revocations; else $XDG_STATE_HOME/sbx-run,\n"
    "~/.local/state/sbx-run), SBXC (the compiler to run on a cache miss). Both directories must be\n"
    "the running user's alone; without HOME or XDG_* sbx-run refuses rather than use /tmp.\n"
    "The compile runs under limits: SBX_RUN_COMPILE_MEMORY_MIB of address space (default 4096)\n"
    "and SBX_RUN_COMPILE_CPU_SECONDS of CPU time (default 60); a policy that needs more is not\n"
    "started (125) and the message names the limit.\n"
    "\n"
    "Exit: the command's own status; 128+N when it died of signal N (SIGSYS: a seccomp kill;\n"
    "SIGXCPU, 152: the sandbox used its CPU time); 124 the task's timeout expired; 125 sbx-run\n"
    "failed (the message says which step and why); 126 the command cannot be executed; 127 the\n"
    "command was not found in the sandbox.\n";

// 128 random bits: names the run in the audit log and in its tokens (jti). Empty when the
// kernel gives no randomness.
std::string newRunId() {
  unsigned char bytes[16] = {};
  ssize_t n;
  do n = getrandom(bytes, sizeof bytes, 0);
  while (n < 0 && errno == EINTR);
  if (n != sizeof bytes) return "";
  std::string id;
  for (unsigned char b : bytes) id += fmt::format("{:02x}", b);
  return id;
}

int usage(const std::string& message) {
  fmt::print(stderr, "sbx-run: {}\n\n{}", message, kUsage);
  return sbx::run::kLauncherFailure;
}

// Writes what the run learned and says how to use it.
// `target`: the policy file or task directory; an import names the fragment relative to the policy.
bool writeLearned(const sbx::run::PolicyLearner& learner, const std::string& path, const std::string& target,
                  const sbx::run::CompiledTask& task, const std::vector<std::string>& command) {
  std::string error;
  if (!sbx::run::writeLearnedPolicy(learner, path, task.plan.task.name, command, error)) {
    fmt::print(stderr, "sbx-run: --learn: cannot write {}: {}\n", path, error);
    return false;
  }
  if (learner.empty()) {
    fmt::print(stderr, "sbx-run: learned nothing: the run met no denial ({} holds an empty profile)\n", path);
    return true;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string imported = path;
  if (!fs::is_directory(target))
    if (auto relative = fs::proximate(fs::absolute(path), fs::absolute(target).parent_path(), ec); !ec)
      imported = relative.string();
  fmt::print(stderr,
             "sbx-run: learned the denials into {}; review it, then add to the policy (the path relative to it):\n"
             "    import \"{}\" as learned\n"
             "and to task {}:\n"
             "    use learned.{}\n",
             path, imported, task.plan.task.name, sbx::run::PolicyLearner::profileName(task.plan.task.name));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && sbx::run::isApprovalCommand(argv[1]))
    return sbx::run::runApprovalCommand(argv[1], std::vector<std::string>(argv + 2, argv + argc));
  std::string workspace, auditPath, eventsPath, taskName, target, learnPath, upstreamCa;
  std::vector<std::string> command;
  bool dryRun = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (a == "--") {
      command.assign(argv + i + 1, argv + argc);
      break;
    } else if (a == "-h" || a == "--help") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (a == "--version") {
      fmt::print("sbx-run {}\n", SBXC_VERSION);
      return 0;
    } else if (a == "--dry-run") {
      dryRun = true;
    } else if (a == "--learn") {
      if (!value(learnPath) || learnPath.empty()) return usage("--learn needs the file to write");
      if (!learnPath.ends_with(".sbx"))
        return usage("--learn " + learnPath + ": the file must end in .sbx to be imported");
    } else if (a == "--workspace" || a == "--audit" || a == "--events" || a == "--task" || a == "--upstream-ca") {
      std::string& out = a == "--workspace" ? workspace
                         : a == "--audit"   ? auditPath
                         : a == "--events"  ? eventsPath
                         : a == "--task"    ? taskName
                                            : upstreamCa;
      if (!value(out)) return usage(a + " needs a value");
    } else if (a.starts_with("-")) {
      return usage("unknown option " + a);
    } else if (target.empty()) {
      target = a;
    } else {
      return usage("one policy or task directory only; put the command after --");
    }
  }
  if (target.empty()) return usage("no policy or task directory given");
  if (command.empty() && !dryRun) return usage("no command given after --");
  if (dryRun && !auditPath.empty()) return usage("--dry-run starts nothing to audit: drop --audit");
  if (dryRun && !eventsPath.empty()) return usage("--dry-run starts nothing to follow: drop --events");
  if (dryRun && !learnPath.empty()) return usage("--dry-run starts nothing to learn from: drop --learn");
  if (!workspace.empty()) {
    std::error_code ec;
    auto absolute = std::filesystem::canonical(workspace, ec);
    if (ec || !std::filesystem::is_directory(absolute)) return usage(workspace + ": the workspace is not a directory");
    workspace = absolute.string();
  }

  std::string error;
  auto task = std::filesystem::is_directory(target) ? sbx::run::loadTaskDir(target, error)
                                                    : sbx::run::loadPolicy(target, taskName, error);
  if (!task) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return sbx::run::kLauncherFailure;
  }
  std::string stateError, stateDir = sbx::tokens::defaultStateDir(stateError);
  if (!stateDir.empty()) stateDir = std::filesystem::absolute(stateDir).lexically_normal().string();
  if (dryRun) return sbx::run::dryRun(*task, {workspace, stateDir, stateError}, stdout);
  if (!learnPath.empty() && (!task->plan.tokens.empty() || !task->plan.task.secrets.empty())) {
    // Learning enforces nothing: a task given secrets could send them anywhere.
    fmt::print(stderr,
               "sbx-run: --learn is never available to a task that holds secrets or tokens, and task {} does: "
               "learning enforces nothing, so they could leave the sandbox. Learn with a copy of the task without "
               "them\n",
               task->plan.task.name);
    return sbx::run::kLauncherFailure;
  }
  if (stateDir.empty() && !task->plan.tokens.empty()) {
    fmt::print(stderr, "sbx-run: {}\n", stateError);  // only a task with secrets needs one
    return sbx::run::kLauncherFailure;
  }
  if (!upstreamCa.empty()) upstreamCa = std::filesystem::absolute(upstreamCa).lexically_normal().string();
  sbx::run::RunOptions options{workspace, command, newRunId(), stateDir, nullptr, upstreamCa};
  if (options.runId.empty()) {
    fmt::print(stderr, "sbx-run: no randomness for the run id (getrandom: {})\n", std::strerror(errno));
    return sbx::run::kLauncherFailure;
  }
  sbx::run::AuditLog audit;
  if (!auditPath.empty() || !eventsPath.empty()) task->planDigest = sbx::sha256Hex(task->planText);
  if (!audit.open(auditPath, options.runId, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return sbx::run::kLauncherFailure;
  }
  sbx::run::EventStream events;
  if (!eventsPath.empty()) {
    if (!events.open(eventsPath, options.runId, error)) {
      fmt::print(stderr, "sbx-run: {}\n", error);
      return sbx::run::kLauncherFailure;
    }
    audit.attach(&events);
  }
  sbx::run::PolicyLearner learner;
  if (!learnPath.empty()) {
    options.learner = &learner;
    fmt::print(stderr, "sbx-run: learning: task {} runs with its policy's denials recorded, not enforced\n",
               task->plan.task.name);
  }
  int status = sbx::run::runSandboxed(*task, options, audit);
  if (!learnPath.empty() && !writeLearned(learner, learnPath, target, *task, command))
    status = sbx::run::kLauncherFailure;
  events.stop();  // what is queued, handed over (for a bounded time)
  // Exit without tearing down the plan's tree piece by piece: the kernel frees it at once.
  std::fflush(nullptr);
  _exit(status);
}
