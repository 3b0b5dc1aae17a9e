// Real clients through socket brokering (issue 21, point 5): psql against a loopback PostgreSQL,
// redis-cli against redis-server, and git over ssh to a loopback sshd with a deploy key given to
// the task as a `source file` secret, each under sbx-run with no proxy settings and a policy that
// allows only its server (tests/support/loopback_daemons.h). Each client also tries a destination
// the policy does not allow: refused, and a listener of the test's there sees nothing. The raw TCP
// and UDP clients (dynamic and static) and curl are in socket_broker_test.cc.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "support/file_lock.h"
#include "support/http_server.h"
#include "support/loopback_daemons.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/skip.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

constexpr int kPostgres = 28130, kRedis = 28131, kSshd = 28132, kOther = 28133, kHttp = 28134;
constexpr const char* kStaticBusybox = "/bin/busybox";  // Debian's busybox-static

// The cases share these ports, and ctest runs them (and other builds' runs) in parallel.
struct PortsLock : FileLock {
  PortsLock() : FileLock("/tmp/sbx-real-clients-test.lock") {}
};

// A listener on the host's 127.0.0.1:kOther that no policy allows: counts what reached it.
class OtherServer {
 public:
  OtherServer() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kOther);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 16) != 0)
      throw std::runtime_error("listen on the other port");
  }
  ~OtherServer() { close(fd_); }
  OtherServer(const OtherServer&) = delete;
  OtherServer& operator=(const OtherServer&) = delete;
  int reached() const {
    int count = 0;
    for (int c; (c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; ++count) close(c);
    return count;
  }

 private:
  int fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
};

// sbx-run with a task that may connect to 127.0.0.1:port alone; `grants` adds task statements.
struct Sandbox {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", audit = dir.path() / "audit.jsonl", policy = dir.path() / "t.sbx";
  Sandbox(int port, const std::string& grants = "") {
    fs::create_directories(workspace);
    if (chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
    writeText(policy, fmt::format(R"(import std.programs
import std.syscalls
task t {{
  identity spiffe "spiffe://sbx.local/test/real-clients"
  use programs.curl
  use programs.shell
  use programs.git
  write workspace
  timeout 60s
  connect "127.0.0.1:{}"
{}
  syscalls {{
    default errno EPERM
    allow @syscalls.network-io
  }}
  limits {{ memory 512MiB  pids 64 }}
}}
)",
                                  port, grants));
  }
  Run run(const std::string& script) const {
    return sbx::test::run({SBX_RUN_BINARY, "--workspace", workspace.string(), "--audit", audit.string(),
                           policy.string(), "--", "/bin/sh", "-c", script},
                          "", dir.path().string(),
                          {"PATH=/usr/bin:/bin", "SBX_RUN_CACHE=" + (dir.path() / "cache").string(),
                           "SBX_STATE_DIR=" + (dir.path() / "state").string()});
  }
  std::string auditLog() const { return readText(audit); }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The audit line of a connect the broker refused.
std::string refusedLine(const std::string& destination) {
  return fmt::format(R"("destination":"{}","verdict":"refused","syscall":"connect")", destination);
}

}  // namespace

TEST_CASE("real clients: psql queries a loopback PostgreSQL, and reaches no other server") {
  PortsLock ports;
  if (geteuid() != 0) return skipTest("needs root (the servers run as other accounts)");
  PostgresServer postgres(kPostgres);
  if (!postgres.missing().empty()) return skipTest(postgres.missing());
  OtherServer other;
  Sandbox s(kPostgres, R"(  read "/etc/postgresql-common")");  // Debian's psql wrapper reads its cluster list
  Run r = s.run(fmt::format(
      "psql -h 127.0.0.1 -p {0} -U sbx -d postgres -v ON_ERROR_STOP=1 -tA "
      "-c 'create table t (n int)' -c 'insert into t values (6), (7)' -c 'select sum(n) * 3 from t'; "
      "echo \"other -> $(psql -h 127.0.0.1 -p {1} -U sbx -d postgres -tAc 'select 1' 2>&1)\"; "
      "echo \"elsewhere -> $(PGCONNECT_TIMEOUT=10 psql -h 192.0.2.1 -p 5432 -U sbx -d postgres -tAc 'select 1' 2>&1)\"",
      kPostgres, kOther));
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(has(r.out, "CREATE TABLE\nINSERT 0 2\n39\n"));
  CHECK(has(r.out, fmt::format("other -> psql: error: connection to server at \"127.0.0.1\", port {} failed: "
                               "Connection refused",
                               kOther)));
  CHECK(has(r.out,
            "elsewhere -> psql: error: connection to server at \"192.0.2.1\", port 5432 failed: "
            "Connection refused"));
  std::string audit = s.auditLog();
  CHECK(has(audit, fmt::format(R"("destination":"127.0.0.1:{}","verdict":"allowed","connected":true)", kPostgres)));
  CHECK(has(audit, refusedLine("192.0.2.1:5432")));
  CHECK(other.reached() == 0);
}

TEST_CASE("real clients: redis-cli sets and gets on a loopback redis-server, and reaches no other server") {
  PortsLock ports;
  if (geteuid() != 0) return skipTest("needs root (the servers run as other accounts)");
  RedisServer redis(kRedis);
  if (!redis.missing().empty()) return skipTest(redis.missing());
  OtherServer other;
  Sandbox s(kRedis);
  Run r = s.run(
      fmt::format("redis-cli -h 127.0.0.1 -p {0} set greeting brokered; redis-cli -h 127.0.0.1 -p {0} get greeting; "
                  "echo \"other -> $(redis-cli -h 127.0.0.1 -p {1} ping 2>&1)\"; "
                  "echo \"elsewhere -> $(redis-cli -h 192.0.2.1 -p 6379 ping 2>&1)\"",
                  kRedis, kOther));
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(has(r.out, "OK\nbrokered\n"));
  CHECK(has(r.out, fmt::format("other -> Could not connect to Redis at 127.0.0.1:{}: Connection refused", kOther)));
  CHECK(has(r.out, "elsewhere -> Could not connect to Redis at 192.0.2.1:6379: Connection refused"));
  CHECK(has(s.auditLog(), refusedLine("192.0.2.1:6379")));
  CHECK(other.reached() == 0);
}

TEST_CASE("real clients: git over ssh with a deploy key secret clones and pushes, and reaches no other server") {
  PortsLock ports;
  if (geteuid() != 0) return skipTest("needs root (sshd and the servers run as other accounts)");
  GitSshServer sshd(kSshd);
  if (!sshd.missing().empty()) return skipTest(sshd.missing());
  OtherServer other;
  Sandbox s(kSshd, fmt::format(R"(  env GIT_AUTHOR_NAME = "sbx", GIT_AUTHOR_EMAIL = "sbx@example.org",
      GIT_COMMITTER_NAME = "sbx", GIT_COMMITTER_EMAIL = "sbx@example.org"
  @suppress(long-lived-credential, reason "the test's deploy key")
  @suppress(unscoped-token, reason "git's ssh reads it")
  secret deploy_key {{
    source file "{}"
    expose file "/run/secrets/deploy_key"
  }})",
                               sshd.deployKey().string()));
  writeText(s.workspace / "known_hosts", sshd.knownHostsLine());
  // ssh as git runs it, told where its key and the server's key are (its ~/.ssh is the host's);
  // ConnectTimeout takes ssh's non-blocking connect, poll and SO_ERROR path.
  std::string ssh =
      "ssh -F /dev/null -i /run/secrets/deploy_key -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=20 "
      "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/workspace/known_hosts";
  Run r = s.run(fmt::format(
      "export GIT_SSH_COMMAND='{0} -p {1}'; cd /workspace && git clone -q {2}@127.0.0.1:{3} clone 2>&1 && cd clone && "
      "echo brokered > README && git add README && git commit -qm 'over ssh' && git push -q origin HEAD:main 2>&1 && "
      "echo pushed && cd /workspace && git clone -q {2}@127.0.0.1:{3} again 2>&1 && cat again/README; echo \"other -> "
      "$({0} -p {4} {2}@127.0.0.1 true 2>&1)\"; "
      "echo \"elsewhere -> $({0} -p 22 {2}@192.0.2.1 true 2>&1)\"",
      ssh, kSshd, sshd.user(), sshd.repo().string(), kOther));
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(has(r.out, "pushed\nbrokered\n"));  // pushed, then cloned back
  Run log = run({"/usr/bin/git", "-c", "safe.directory=*", "--git-dir", sshd.repo().string(), "log", "-1",
                 "--format=%s", "main"});
  CHECK(log.out == "over ssh\n");
  CHECK(has(r.out, fmt::format("other -> ssh: connect to host 127.0.0.1 port {}: Connection refused", kOther)));
  CHECK(has(r.out, "elsewhere -> ssh: connect to host 192.0.2.1 port 22: Connection refused"));
  std::string audit = s.auditLog();
  CHECK(has(audit, refusedLine("192.0.2.1:22")));
  CHECK(!has(audit, readText(sshd.deployKey()).substr(40, 40)));  // named in the log, never its contents
  CHECK(other.reached() == 0);
}

// A statically linked client has no libc of the host's the loader could interpose: only the
// seccomp trap sees its connect. Debian's busybox-static is one, with wget and nc.
bool staticallyLinked(const char* path) {
  std::ifstream file(path, std::ios::binary);
  std::string head(4096, '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  return file.gcount() > 0 &&
         head.compare(0, 4,
                      "\x7f"
                      "ELF") == 0 &&
         !has(head, "/ld-linux");
}

TEST_CASE("real clients: static busybox wget and nc, without proxy variables, reach the allowed server alone") {
  PortsLock ports;
  if (geteuid() != 0) return skipTest("needs root (the servers run as other accounts)");
  if (!staticallyLinked(kStaticBusybox)) return skipTest("no statically linked /bin/busybox (busybox-static)");
  RedisServer redis(kRedis);
  if (!redis.missing().empty()) return skipTest(redis.missing());
  HttpServer http(kHttp);
  OtherServer other;
  Sandbox s(kRedis, fmt::format(R"(  connect "127.0.0.1:{}")", kHttp));
  Run r = s.run(
      fmt::format("unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy; B={0}; "
                  "$B wget -q -O - http://127.0.0.1:{1}/; echo; printf 'PING\\r\\nQUIT\\r\\n' | $B nc 127.0.0.1 {2}; "
                  "echo \"other -> $($B wget -q -O - http://127.0.0.1:{3}/ 2>&1)\"; "
                  "echo \"elsewhere -> $(echo x | $B nc 192.0.2.1 6379 2>&1)\"",
                  kStaticBusybox, kHttp, kRedis, kOther));
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(has(r.out, fmt::format("hello from {}", kHttp)));
  CHECK(has(r.out, "+PONG\r\n+OK\r\n"));
  CHECK(has(r.out, "other -> wget: can't connect to remote host (127.0.0.1): Connection refused"));
  CHECK(has(r.out, "elsewhere -> nc: can't connect to remote host (192.0.2.1): Connection refused"));
  CHECK(has(s.auditLog(), refusedLine("192.0.2.1:6379")));
  CHECK(http.served() == 1);
  CHECK(other.reached() == 0);
}
