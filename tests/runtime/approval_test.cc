// Approval gates (issue 18, point 4), the launcher's side, driven as the inspecting proxy drives it
// (INSPECTOR_PROTOCOL: one JSON object per SOCK_SEQPACKET packet): a fake inspector end of the
// channel sends approval-requests; a person answers with the real `sbx-run approve|deny|pending`
// over the run's approval socket. Granted, denied, expired; one approval admits one request;
// another user, and a user outside the approver group, refused by the kernel's credentials.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/audit.h"
#include "runtime/run_approvals.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/skip.h"

namespace fs = std::filesystem;
using namespace sbx::test;
using nlohmann::json;

namespace {

constexpr const char* kRunId = "0123456789abcdef0123456789abcdef";
const std::string kDigest(64, 'a');

// The launcher's side assembled as sbx-run assembles it, with the channel's other end held by the
// test in the inspector's place.
struct Gate {
  TempDir dir;
  fs::path audit = dir.path() / "audit.jsonl";
  int channel[2] = {-1, -1};  // [0] the launcher's end, [1] the inspector's
  sbx::run::AuditLog log;
  sbx::run::RunApprovals approvals;
  sbx::run::ApprovalGate* gate = nullptr;
  std::thread pump;

  Gate() {
    setenv("SBX_RUNTIME_DIR", (dir.path() / "runtime").c_str(), 1);
    REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) == 0);
    std::string error;
    REQUIRE(log.open(audit.string(), kRunId, error));
    bool started = approvals.start(
        kRunId, log,
        [this](const json& m) {
          std::string text = m.dump();
          send(channel[0], text.data(), text.size(), MSG_NOSIGNAL);
        },
        error);
    REQUIRE_MESSAGE(started, error);
    gate = &approvals.gate();
    // What the inspector-process code does with the channel: each packet to the gate.
    pump = std::thread([this] {
      std::string buffer(64 * 1024, '\0');
      for (ssize_t n; (n = recv(channel[0], buffer.data(), buffer.size(), 0)) > 0;) {
        std::string why;
        gate->handle(json::parse(buffer.substr(0, static_cast<size_t>(n)), nullptr, false), why);
      }
    });
  }
  ~Gate() {
    shutdown(channel[1], SHUT_RDWR);
    pump.join();
    approvals.stop();
    close(channel[0]);
    close(channel[1]);
  }
  void ask(const std::string& id, const std::string& approver = "", std::uint64_t timeoutMs = 30000,
           const std::string& url = "https://127.0.0.1:18443/api/items/7/close") {
    inspectorSends({{"type", "approval-request"},
                    {"request", id},
                    {"tool", "api"},
                    {"action", "close"},
                    {"method", "POST"},
                    {"url", url},
                    {"approver", approver},
                    {"timeoutMs", timeoutMs},
                    {"bodySha256", kDigest},
                    {"bodyHead", "e30="}});
  }
  void inspectorSends(const json& m) {
    std::string text = m.dump();
    REQUIRE(send(channel[1], text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()));
  }
  // The next message the inspector receives, or null after `ms`.
  json inspectorReceives(int ms = 5000) {
    timeval t{ms / 1000, (ms % 1000) * 1000};
    setsockopt(channel[1], SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
    std::string buffer(64 * 1024, '\0');
    ssize_t n = recv(channel[1], buffer.data(), buffer.size(), 0);
    return n > 0 ? json::parse(buffer.substr(0, static_cast<size_t>(n))) : json();
  }
  bool audited(const std::string& needle, int seconds = 5) const {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (fs::exists(audit) && readText(audit).find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  Run cli(const std::vector<std::string>& args, const std::vector<std::string>& prefix = {}) const {
    std::vector<std::string> argv = prefix;
    argv.push_back(SBX_RUN_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, "", "", {"PATH=/usr/bin:/bin", "SBX_RUNTIME_DIR=" + (dir.path() / "runtime").string()});
  }
};

json verdict(const std::string& id, const std::string& v, const std::string& by) {
  return {{"type", "approval"}, {"request", id}, {"verdict", v}, {"by", by}};
}

std::string me() {
  Run r = run({"/usr/bin/id", "-un"});
  return r.out.substr(0, r.out.find('\n'));
}

}  // namespace

TEST_CASE("approval: granted with sbx-run approve, after approval-pending; the request then is gone") {
  Gate g;
  g.ask("r1");
  CHECK(g.audited(R"("event":"approval-pending","request":"r1","tool":"api","action":"close","method":"POST")"));
  Run pending = g.cli({"pending", kRunId});
  INFO(pending.out << pending.err);
  CHECK(pending.exitCode == 0);
  CHECK(pending.out.find("r1") != std::string::npos);
  CHECK(pending.out.find("POST") != std::string::npos);
  CHECK(pending.out.find("https://127.0.0.1:18443/api/items/7/close") != std::string::npos);
  Run approve = g.cli({"approve", kRunId, "r1"});
  INFO(approve.err);
  CHECK(approve.exitCode == 0);
  CHECK(g.inspectorReceives() == verdict("r1", "approved", me()));
  CHECK(g.audited(fmt::format(R"("event":"approval-approved","request":"r1")")));
  CHECK(g.audited(fmt::format(R"("by":"{}","uid":{})", me(), geteuid())));
  Run again = g.cli({"approve", kRunId, "r1"});
  CHECK(again.exitCode == 1);
  CHECK(again.err.find("no request r1 is held") != std::string::npos);
  CHECK(g.cli({"pending", kRunId}).out.find("r1") == std::string::npos);
}

TEST_CASE("approval: denied with sbx-run deny; expired at the action's timeout") {
  Gate g;
  g.ask("r2");
  REQUIRE(g.audited(R"("request":"r2")"));
  CHECK(g.cli({"deny", kRunId, "r2"}).exitCode == 0);
  CHECK(g.inspectorReceives() == verdict("r2", "denied", me()));
  g.ask("r3", "", 300);
  auto start = std::chrono::steady_clock::now();
  CHECK(g.inspectorReceives() == verdict("r3", "expired", ""));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(g.audited(R"("event":"approval-expired","request":"r3")"));
  CHECK(g.cli({"approve", kRunId, "r3"}).exitCode == 1);  // too late: expired is denied
}

TEST_CASE("approval: one approval admits one request; an identical second request waits for its own") {
  Gate g;
  g.ask("r4");
  g.ask("r5");  // the same tool, action, method, URL and body
  REQUIRE(g.audited(R"("request":"r5")"));
  CHECK(g.cli({"approve", kRunId, "r4"}).exitCode == 0);
  CHECK(g.inspectorReceives() == verdict("r4", "approved", me()));
  CHECK(g.inspectorReceives(500).is_null());  // r5 is still held
  Run pending = g.cli({"pending", kRunId});
  CHECK(pending.out.find("r5") != std::string::npos);
  CHECK(pending.out.find("r4") == std::string::npos);
  CHECK(g.cli({"approve", kRunId, "r5"}).exitCode == 0);
  CHECK(g.inspectorReceives() == verdict("r5", "approved", me()));
}

TEST_CASE("approval: another user cannot approve, neither through the CLI nor at the socket itself") {
  if (geteuid() != 0) return skipTest("needs root to act as nobody (uid 65534), the second user");
  Gate g;
  g.ask("r6");
  REQUIRE(g.audited(R"("request":"r6")"));
  std::vector<std::string> nobody = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  Run cli = g.cli({"approve", kRunId, "r6"}, nobody);
  CHECK(cli.exitCode == 125);  // the run's directory is root's, 0700
  // With the directory and socket opened up, the peer's credentials still refuse nobody.
  fs::path runDir = g.dir.path() / "runtime" / kRunId;
  fs::permissions(g.dir.path(), fs::perms::owner_all | fs::perms::others_exec);
  fs::permissions(g.dir.path() / "runtime", fs::perms::owner_all | fs::perms::others_exec);
  fs::permissions(runDir, fs::perms::owner_all | fs::perms::others_exec);
  fs::permissions(runDir / "approval.sock", fs::perms::all);
  std::string client = fmt::format(
      "import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\ns.connect('{}')\n"
      "s.send(b'{{\"op\":\"approve\",\"request\":\"r6\"}}')\nprint(s.recv(65536).decode())",
      (runDir / "approval.sock").string());
  std::vector<std::string> argv = nobody;
  argv.insert(argv.end(), {"/usr/bin/python3", "-c", client});
  Run raw = run(argv);
  INFO(raw.out << raw.err);
  CHECK(raw.out.find("only the user who started the run (root) may use its approval socket, not nobody") !=
        std::string::npos);
  CHECK(g.inspectorReceives(300).is_null());
  fs::permissions(runDir, fs::perms::owner_all);  // private again, as `sbx-run pending` requires
  CHECK(g.cli({"pending", kRunId}).out.find("r6") != std::string::npos);
}

TEST_CASE("approval: with `by GROUP`, only a member of the group approves; anyone of the owner's may deny") {
  if (geteuid() != 0) return skipTest("needs root to run the approver with chosen groups (setpriv)");
  Gate g;
  g.ask("r7", "staff");
  g.ask("r8", "staff");
  g.ask("r9", "no-such-group-here");
  REQUIRE(g.audited(R"("request":"r9")"));
  std::vector<std::string> outsider = {"/usr/bin/setpriv", "--clear-groups"};
  Run refused = g.cli({"approve", kRunId, "r7"}, outsider);
  CHECK(refused.exitCode == 1);
  CHECK(refused.err.find("root is not a member of staff, whose members alone may approve action close") !=
        std::string::npos);
  CHECK(g.audited(R"("event":"approval-refused","request":"r7","uid":0,"by":"root")"));
  CHECK(g.inspectorReceives(300).is_null());
  Run member = g.cli({"approve", kRunId, "r7"}, {"/usr/bin/setpriv", "--groups=50"});  // staff, supplementary
  INFO(member.err);
  CHECK(member.exitCode == 0);
  CHECK(g.inspectorReceives() == verdict("r7", "approved", "root"));
  CHECK(g.cli({"deny", kRunId, "r8"}, outsider).exitCode == 0);
  CHECK(g.inspectorReceives() == verdict("r8", "denied", "root"));
  Run unknown = g.cli({"approve", kRunId, "r9"});
  CHECK(unknown.exitCode == 1);
  CHECK(unknown.err.find("not in /etc/group: nobody can approve") != std::string::npos);
}

TEST_CASE("approval: bounds: malformed requests denied, a full gate denies, oversized socket messages refused") {
  Gate g;
  g.inspectorSends({{"type", "approval-request"}, {"request", "bad1"}, {"tool", "api"}});
  CHECK(g.inspectorReceives() == verdict("bad1", "denied", "sbx-run"));
  for (std::size_t i = 0; i < sbx::run::ApprovalGate::kMaxHeld; ++i) g.ask(fmt::format("h{}", i));
  g.ask("overflow");
  CHECK(g.inspectorReceives() == verdict("overflow", "denied", "sbx-run"));
  CHECK(g.audited(R"x("request":"overflow","error":"too many requests held (64)")x"));
  g.ask("h0");  // an id already held: refused, the held one untouched
  CHECK(g.audited(R"("request":"h0","error":"request id h0 is already held")"));
  Run pending = g.cli({"pending", kRunId});
  CHECK(pending.exitCode == 0);
  CHECK(pending.out.find("h63") != std::string::npos);
  Run oversized = g.cli({"approve", kRunId, std::string(2000, 'x')});
  CHECK(oversized.exitCode == 1);
  CHECK(oversized.err.find("at most 1 KiB") != std::string::npos);
  g.inspectorSends({{"type", "request"},
                    {"connection", 3},
                    {"tool", "api"},
                    {"action", "list"},
                    {"method", "GET"},
                    {"url", "https://127.0.0.1:18443/api/items"},
                    {"verdict", "allowed"},
                    {"rule", "request GET \"https://127.0.0.1:18443/api/items\""}});
  CHECK(g.audited(R"("event":"request","connection":3,"tool":"api","action":"list","method":"GET")"));
  Run noRun = g.cli({"pending", "ffffffffffffffffffffffffffffffff"});
  CHECK(noRun.exitCode == 125);
  Run badId = g.cli({"pending", "../../etc"});
  CHECK(badId.exitCode == 125);
  CHECK(badId.err.find("a run id is the 32 hex digits") != std::string::npos);
}
