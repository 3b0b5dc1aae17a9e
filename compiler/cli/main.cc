// sbxc: the policy compiler's command line. Dispatches to the subcommands in commands().
#include <malloc.h>

#include <cstdio>
#include <exception>
#include <new>

#include <fmt/format.h>

#include "cli/command.h"
#include "diag/diagnostic.h"
#include "frontend/stdlib_digest.h"
#include "version.h"

namespace sbx::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"check", "Parse, resolve and lint policies",
       "Usage: sbxc check [OPTIONS] FILES...\n"
       "\n"
       "Parses and resolves each policy, classifies its tasks and lints them (every rule of\n"
       "`sbxc rules`); reports every problem found. `@suppress(RULE, reason \"...\", until DATE)` on a\n"
       "declaration silences one finding there.\n"
       "\n"
       "Options:\n"
       "  --format text|json|sarif\n"
       "                         output format (default text; sarif: SARIF 2.1.0 with in-source suppressions)\n"
       "  --fail-level LEVEL     exit 1 on findings at or above error|warning|note (default error)\n"
       "  --color auto|always|never\n"
       "                         colour diagnostics (default auto: only on a terminal, never with NO_COLOR)\n"
       "  --stdlib DIR           read stdlib modules from DIR instead of the embedded copy\n"
       "  --import-root DIR      allow imports from DIR (default: the policy's repository, the\n"
       "                         nearest directory above it holding .git)\n"
       "\n"
       "Exit: 0 ok, 1 findings at or above the fail level, 2 invalid policy, 3 usage or I/O error.\n",
       runCheck},
      {"fmt", "Rewrite policies in canonical layout",
       "Usage: sbxc fmt [--check] FILES...\n"
       "       sbxc fmt -            (read stdin, write stdout)\n"
       "\n"
       "Rewrites each file in place, atomically, keeping comments. Idempotent.\n"
       "\n"
       "Options:\n"
       "  --check                change nothing; list files that would change and exit 1 if any\n"
       "  --color auto|always|never\n"
       "\n"
       "Exit: 0 ok, 1 a file would change (--check), 2 a file does not parse, 3 usage or I/O error.\n",
       runFmt},
      {"parse", "Print the resolved model as JSON",
       "Usage: sbxc parse [--format json] FILE\n"
       "\n"
       "Prints the resolved, normalized model (every task, with source locations) as JSON.\n"
       "\n"
       "Options:\n"
       "  --format json          the only format (default)\n"
       "  --color auto|always|never\n"
       "  --stdlib DIR           read stdlib modules from DIR\n"
       "  --import-root DIR      allow imports from DIR (default: the policy's repository)\n"
       "\n"
       "Exit: 0 ok, 2 invalid policy, 3 usage or I/O error.\n",
       runParse},
      {"compile", "Compile each task into its artifacts",
       "Usage: sbxc compile FILE -o DIR\n"
       "\n"
       "Writes DIR/<task>/plan.json for each task declared in FILE: the versioned, fully\n"
       "resolved plan that sbx-run consumes, and beside it the task's seccomp filter:\n"
       "seccomp.bpf (the struct sock_filter array, loadable as is), seccomp.pfc (its\n"
       "disassembly), seccomp.json (an OCI / Docker seccomp profile) and report.json (the tier,\n"
       "the rules that decided it and the lint findings). The filter follows the computed tier's\n"
       "syscall baseline. Lint findings are printed; one at error level stops the compile (nothing\n"
       "is written) unless an @suppress with a reason silences it; warnings and notes never do.\n"
       "Output is deterministic, and written atomically: on any error no file is created or changed.\n"
       "\n"
       "With --target, DIR/<task>/ gets that target's configuration instead, and loss.txt and\n"
       "loss.json: what the target cannot express. When it would lose a control the task's tier\n"
       "makes mandatory, nothing is written unless --allow-lossy is given.\n"
       "\n"
       "Options:\n"
       "  -o, --output DIR       output directory (required)\n"
       "  --target NAME          sbx (default: sbx-run's artifacts), oci (a runc / crun bundle and\n"
       "                         run.sh), bwrap (a bubblewrap script and its filter), docker-seccomp\n"
       "                         (the filter as a Docker / Podman profile), vault (Vault policies and\n"
       "                         token roles for the secrets), aws-iam (STS session policies for them),\n"
       "                         k8s (a Job, its NetworkPolicy and CiliumNetworkPolicy, the seccomp\n"
       "                         profile and its node installer), systemd (a hardened service unit)\n"
       "  --allow-lossy          export even when a mandatory control would be lost\n"
       "  --image IMAGE          the container image of --target k8s (default debian:bookworm-slim)\n"
       "  --codegen sbxc|libseccomp\n"
       "                         the seccomp code generator: sbxc's own (default) or libseccomp, the\n"
       "                         reference it is tested against\n"
       "  --format text|json     how to report what was written (default text)\n"
       "  --print-inputs         print instead, as JSON, every file the compile read (absolute path,\n"
       "                         SHA-256) and the embedded stdlib's digest (sbx-run's cache key)\n"
       "  --color auto|always|never\n"
       "  --stdlib DIR           read stdlib modules from DIR\n"
       "  --import-root DIR      allow imports from DIR (default: the policy's repository)\n"
       "\n"
       "Exit: 0 ok, 1 a lint error, or the export would lose a mandatory control, 2 invalid policy,\n"
       "3 usage or I/O error.\n",
       runCompile},
      {"classify", "Print each task's risk tier and the rules that decided it",
       "Usage: sbxc classify [--format text|json] FILE\n"
       "\n"
       "Prints the tier (T0-T4) of each task declared in FILE and the tier rules and escalators\n"
       "that fired, with the declaration behind each. JSON has a field `tier` per task.\n"
       "\n"
       "Options:\n"
       "  --format text|json     output format (default text)\n"
       "  --color auto|always|never\n"
       "  --stdlib DIR           read stdlib modules from DIR\n"
       "  --import-root DIR      allow imports from DIR (default: the policy's repository)\n"
       "\n"
       "Exit: 0 ok, 2 invalid policy, 3 usage or I/O error.\n",
       runClassify},
      {"explain", "Explain each decision of a policy, or document one rule",
       "Usage: sbxc explain [--format text|json] FILE\n"
       "       sbxc explain [--format text|json|markdown] SBXnnnn|RULE-NAME\n"
       "\n"
       "For a policy: every decision with the declarations that triggered it (source spans), the\n"
       "controls the tier demands, the seed sentence and framework references, and the findings.\n"
       "For a rule: what it means, its effect and severity, the fix, the seed and references\n"
       "(markdown: the page of docs/rules/).\n"
       "\n"
       "Exit: 0 ok, 2 invalid policy, 3 usage or I/O error.\n",
       runExplain},
      {"rules", "List every classifier rule with its ID",
       "Usage: sbxc rules [--format text|json]\n"
       "\n"
       "Lists the tier rules (SBX10xx), escalators (SBX11xx) and lint findings (SBX12xx).\n",
       runRules},
      {"test", "Run the policy tests beside the policies",
       "Usage: sbxc test [OPTIONS] [PATHS...]\n"
       "\n"
       "Runs the policy tests of each PATH: a test file NAME.sbxtest (its policy is NAME.sbx beside\n"
       "it), a policy NAME.sbx (its tests are NAME.sbxtest), or a directory, searched recursively\n"
       "for *.sbxtest (default: the current directory). A test asserts a task's tier, that a finding\n"
       "fires or not, that a path is readable, writable or executable, that a destination or an\n"
       "HTTP request is allowed, refused or held for approval, what the compiled seccomp filter does\n"
       "with a syscall and its arguments, or that a delegation passes no credential; each is judged\n"
       "on the policy as `sbxc compile` compiles it (docs/testing.md). Prints one line per test and\n"
       "`N passed, N failed`.\n"
       "\n"
       "Options:\n"
       "  --format text|json|junit\n"
       "                         output format (default text; junit: JUnit XML for CI)\n"
       "  --color auto|always|never\n"
       "  --stdlib DIR           read stdlib modules from DIR\n"
       "  --import-root DIR      allow imports from DIR (default: the policy's repository)\n"
       "\n"
       "Exit: 0 every test passed, 1 a test failed, 2 invalid test file or policy (nothing is run),\n"
       "3 usage or I/O error.\n",
       runTest},
      {"init", "Start a policy and its tests from a template",
       "Usage: sbxc init --list\n"
       "       sbxc init TEMPLATE [DIR]\n"
       "\n"
       "Writes DIR/TEMPLATE.sbx, a policy for a common agent task, and DIR/TEMPLATE.sbxtest, its\n"
       "tests (`sbxc test`), creating DIR (default: the current directory) when it is missing. Both\n"
       "files are written or neither is, and never over a file that exists. Each template checks\n"
       "clean, passes its tests and starts under sbx-run as written; its comments say what to adapt\n"
       "(docs/init.md).\n"
       "\n"
       "Options:\n"
       "  --list                 list the templates, each with a one-line description\n"
       "\n"
       "Exit: 0 ok, 3 usage or I/O error (an unknown template, a file that exists).\n",
       runInit},
      {"prove", "Prove a property of compiled policies, or show a counterexample",
       "Usage: sbxc prove implies NEW OLD\n"
       "       sbxc prove equivalent A B\n"
       "       sbxc prove no-lethal-path FILE\n"
       "\n"
       "NEW, OLD, A and B name one task each: a policy file with one task, or FILE:TASK. Each task\n"
       "is compiled as `sbxc compile` compiles it and the property decided exactly on the result\n"
       "(docs/prove.md): `implies` holds when NEW grants nothing OLD does not -- no path access,\n"
       "destination (host:port, per tool), HTTP request, token scope, tool, action, capability,\n"
       "delegation, and no syscall call (every architecture, number and argument cell of the\n"
       "compiled filters) that NEW allows and OLD refuses; `equivalent` holds when each implies\n"
       "the other; `no-lethal-path` holds when no task of FILE has a path from an untrusted input\n"
       "to an outbound channel while private data or a secret is held. A property that does not\n"
       "hold is shown with a concrete counterexample.\n"
       "\n"
       "Options:\n"
       "  --color auto|always|never\n"
       "  --stdlib DIR           read stdlib modules from DIR\n"
       "  --import-root DIR      allow imports from DIR (default: the policy's repository)\n"
       "\n"
       "Exit: 0 the property holds, 1 it does not (a counterexample is printed), 2 invalid policy or\n"
       "task name, 3 usage or I/O error, or undecided within the bounds (docs/prove.md).\n",
       runProve},
      {"graph", "Write the authority graph as Graphviz DOT",
       "Usage: sbxc graph [-o FILE.dot] FILE\n"
       "\n"
       "Nodes are tasks, tools, actions, inputs, paths, secrets, destinations and approvals; edges\n"
       "are reads, writes, executes, calls, uses-secret, connects, delegates and passes. Lethal\n"
       "paths and passed credentials are red, untrusted inputs orange. Render: dot -Tsvg.\n"
       "\n"
       "Exit: 0 ok, 2 invalid policy, 3 usage or I/O error.\n",
       runGraph},
      {"diff", "Show the authority a policy change adds or removes",
       "Usage: sbxc diff [--format text|json] OLD.sbx NEW.sbx\n"
       "       sbxc diff [--format text|json] --base REF FILE.sbx\n"
       "\n"
       "Per task: the lint findings added (+) or removed (-), errors first (a new error stops\n"
       "`sbxc compile`), the tier (moved or not), and the paths, destinations, secrets, scopes,\n"
       "effects, syscalls, delegations, host grants and identity added or removed. Syscalls that\n"
       "make up a whole group of std.syscalls are shown as that group. Last, the verdict: whether\n"
       "the change adds authority (with a counterexample), removes authority only, or grants the\n"
       "same, decided as `sbxc prove implies` decides it on the compiled tasks.\n"
       "\n"
       "With --base, the old side is FILE as it was at git revision REF, with that revision's\n"
       "imports (its policy files are exported to a temporary directory); a FILE that did not\n"
       "exist at REF has every task added.\n"
       "\n"
       "Exit: 0 ok, 2 invalid policy, 3 usage or I/O error.\n",
       runDiff},
      {"import", "Convert a Docker / OCI seccomp profile into a .sbx task",
       "Usage: sbxc import docker-seccomp [OPTIONS] FILE.json\n"
       "\n"
       "Prints a .sbx file with one task that states the profile's syscall rules literally, for\n"
       "one architecture and one capability set: rules that depend on other architectures or\n"
       "capabilities are resolved (.sbx has no such conditions). The task switches the tier\n"
       "baselines off, so `sbxc compile` of it gives a filter equivalent to libseccomp's\n"
       "compilation of the profile; `sbxc check` reports what the baselines would change. What the\n"
       "task cannot state (capability and kernel-version conditions, other architectures) is\n"
       "printed as notes on stderr.\n"
       "\n"
       "Options:\n"
       "  --arch x86_64|aarch64  the architecture to state the profile for (default x86_64)\n"
       "  --capabilities LIST    comma-separated CAP_ names the container holds, or `none`\n"
       "                         (default Docker's: CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, ...)\n"
       "  --task NAME            the task's name (default from the file name)\n"
       "  --widths kernel|libseccomp\n"
       "                         compare arguments as wide as the kernel reads them (default), or on\n"
       "                         all 64 bits as libseccomp does (a filter equal to its bit for bit)\n"
       "  -o, --output FILE      write FILE atomically instead of stdout\n"
       "\n"
       "Exit: 0 ok, 2 the file is not a valid seccomp profile, 3 usage or I/O error.\n",
       runImport},
      {"token", "Check a just-in-time token minted by sbx-run",
       "Usage: sbxc token verify [OPTIONS] TOKEN|-\n"
       "       sbxc token mint < REQUEST.json\n"
       "\n"
       "Checks a token that sbx-run's broker minted for a task's secret, the way the service it is\n"
       "for would: the Ed25519 signature (against the broker's public key), the issuer, the expiry,\n"
       "the revocation list (sbx-run revokes every token of a run when the task ends), and, when\n"
       "asked, the audience and a scope. Prints the verdict and the token's claims. `-` reads the\n"
       "token from stdin.\n"
       "\n"
       "`sbxc token mint` is what sbx-run's broker runs to sign a starting task's tokens: a JSON\n"
       "request on stdin, the tokens on stdout, the signing key (made on first use) in the state\n"
       "directory.\n"
       "\n"
       "Options:\n"
       "  --audience AUD         the token must be for AUD\n"
       "  --scope SCOPE          the token must grant SCOPE\n"
       "  --state-dir DIR        the broker's state directory (default: $SBX_STATE_DIR, else\n"
       "                         /var/lib/sbx-run for root, else $XDG_STATE_HOME/sbx-run or\n"
       "                         ~/.local/state/sbx-run): its public key and revocation list\n"
       "  --key FILE             the broker's public key (PEM) instead of DIR/signing-key.pub.pem\n"
       "  --at SECONDS           judge the expiry at this Unix time instead of now\n"
       "  --format text|json     how to print the verdict (default text)\n"
       "\n"
       "Exit: 0 the token is valid, 1 it is not (the reason is printed), 3 usage or I/O error.\n",
       runToken},
      {"completion", "Print a shell completion script",
       "Usage: sbxc completion bash|zsh\n"
       "\n"
       "Prints a completion script for the shell, generated from the commands' help: commands, their\n"
       "options, the values an option takes and file names. bash: `source <(sbxc completion bash)`\n"
       "(or save it in /etc/bash_completion.d/sbxc); zsh: save it as `_sbxc` in a directory of\n"
       "$fpath, or `source <(sbxc completion zsh)` after compinit.\n"
       "\n"
       "Exit: 0 ok, 3 usage error.\n",
       runCompletion},
      {"man", "Print or write the man pages",
       "Usage: sbxc man [COMMAND]\n"
       "       sbxc man --dir DIR\n"
       "\n"
       "Prints the man page (troff) of sbxc, or of one command, generated from the commands' help;\n"
       "`--dir` writes all of them (sbxc.1, sbxc-COMMAND.1) into DIR, atomically. Read one with\n"
       "`sbxc man check | man -l -`.\n"
       "\n"
       "Options:\n"
       "  --dir DIR              write every page into DIR (created when missing)\n"
       "\n"
       "Exit: 0 ok, 3 usage or I/O error.\n",
       runMan},
      {"lsp", "Run the language server (stdin and stdout)",
       "Usage: sbxc lsp [--stdio]\n"
       "\n"
       "A language server for .sbx policies, speaking the Language Server Protocol on stdin and\n"
       "stdout (docs/editors.md): each change is checked as `sbxc check` checks a file and its\n"
       "diagnostics published with the same codes and spans; hover shows a diagnostic's rule or what\n"
       "a name is; completion offers keywords, syscalls, the stdlib's groups and profiles and the\n"
       "names the policy declares; go to definition follows names across file imports; formatting\n"
       "is `sbxc fmt`; a \"did you mean\" diagnostic comes with its quick fix.\n"
       "\n"
       "Options:\n"
       "  --stdio                speak on stdin and stdout (the default and only transport)\n"
       "\n"
       "Exit: 0 after the client's shutdown and exit, 3 when the input ends or breaks first.\n",
       runLsp},
  };
  return table;
}

namespace {

void printHelp() {
  fmt::print(
      "sbxc {} - policy compiler and risk-tier classifier for AI-agent tasks\n\n"
      "Usage: sbxc COMMAND [OPTIONS] [ARGS]\n\nCommands:\n",
      SBXC_VERSION);
  for (const auto& c : commands()) fmt::print("  {:<10} {}\n", c.name, c.summary);
  fmt::print("\nRun `sbxc COMMAND --help` for a command's options. `sbxc --version` prints the version.\n");
}

int dispatch(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    if (args.size() >= 2) {
      for (const auto& c : commands())
        if (c.name == args[1]) {
          fmt::print("{}", c.help);
          return kOk;
        }
    }
    printHelp();
    return args.empty() ? kUsageOrIo : kOk;
  }
  if (args[0] == "--version" || args[0] == "-V") {
    // The stdlib's digest is what a policy's `stdlib sha256 "<hex>"` lock names (docs/contracts.md).
    fmt::print("sbxc {}\nstdlib sha256 \"{}\"\n", SBXC_VERSION, frontend::stdlibDigest({}).value_or(""));
    return kOk;
  }
  for (const auto& c : commands()) {
    if (c.name != args[0]) continue;
    std::vector<std::string> rest(args.begin() + 1, args.end());
    for (const auto& a : rest) {
      if (a == "--") break;
      if (a == "--help" || a == "-h") {
        fmt::print("{}", c.help);
        return kOk;
      }
    }
    return c.run(rest);
  }
  std::vector<std::string> names;
  for (const auto& c : commands()) names.emplace_back(c.name);
  fmt::print(stderr, "sbxc: unknown command `{}`", args[0]);
  if (auto m = closestMatch(args[0], names)) fmt::print(stderr, "; did you mean `{}`?", *m);
  fmt::print(stderr, "\nRun `sbxc --help` for the list of commands.\n");
  return kUsageOrIo;
}

}  // namespace
}  // namespace sbx::cli

int main(int argc, char** argv) {
  // A check of many files builds and frees each file's model in turn: memory freed is kept for
  // the next file instead of going back to the kernel and being faulted in again (a page fault
  // costs about 12 us on small VMs; bench/frontend.sh's fleet run).
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  try {
    return sbx::cli::dispatch(argc, argv);
  } catch (const std::bad_alloc&) {
    // A policy too large for the memory this process may use (sbx-run bounds its compiles with
    // RLIMIT_AS and recognises these words): input, not a bug.
    std::fputs("sbxc: out of memory: the input needs more memory than this process may use\n", stderr);
    return 3;
  } catch (const std::exception& e) {
    // Reaching this is a bug in sbxc; say so rather than abort with a core dump.
    std::fprintf(stderr, "sbxc: internal error: %s\n", e.what());
    return 3;
  }
}
