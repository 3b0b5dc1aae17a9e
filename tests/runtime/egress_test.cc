// The egress proxy against loopback servers of the test's own (127.0.0.1 only): allowed
// destinations reachable through the proxy with python3 and curl, plain and tunnelled; other
// ports and hosts refused; a direct connection to the allowed destination brokered (socket_broker.h); names resolving
// into refused ranges and the metadata address refused; a tool's destination for that tool alone; audit lines for each.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "support/http_server.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

struct Sandbox {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", audit = dir.path() / "audit.jsonl";
  Sandbox() {
    fs::create_directories(workspace);
    fs::permissions(dir.path(), fs::perms::all | fs::perms::sticky_bit);  // like /tmp: the cache may sit below it
    if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  }
  Run run(const fs::path& policy, const std::string& script, const std::vector<std::string>& prefix = {}) const {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(),
                {"/usr/bin/env", "SBX_RUN_CACHE=" + (dir.path() / "cache").string(), SBX_RUN_BINARY, "--workspace",
                 workspace.string(), "--audit", audit.string(), policy.string(), "--", "/bin/sh", "-c", script});
    return sbx::test::run(argv, "", dir.path().string(), {"PATH=/usr/bin:/bin"});
  }
};

}  // namespace

TEST_CASE("egress: examples/egress-local.sbx fetches 127.0.0.1:18080 through the proxy and nothing else") {
  HttpServer allowed(18080), other(18081);
  for (bool nobody : {false, true}) {
    CAPTURE(nobody);
    Sandbox s;
    writeText(s.workspace / "fetch.py", readText(sourceDir() / "examples/egress/fetch.py"));
    if (nobody)
      for (const auto& p : {s.dir.path(), s.workspace, s.workspace / "fetch.py"})
        if (chown(p.c_str(), 65534, 65534) != 0) FAIL("chown");
    std::vector<std::string> prefix;
    if (nobody) prefix = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    Run r = s.run(sourceDir() / "examples/egress-local.sbx",
                  "python3 /workspace/fetch.py http://127.0.0.1:18080/ http://127.0.0.1:18081/", prefix);
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out.find("http://127.0.0.1:18080/ -> hello from 18080") != std::string::npos);
    CHECK(r.out.find("http://127.0.0.1:18081/ -> refused 403 sbx-run: 127.0.0.1:18081 is not on the task's egress "
                     "allowlist") != std::string::npos);
    CHECK(r.out.find("direct -> connected") != std::string::npos);
    std::string audit = readText(s.audit);
    CHECK(audit.find(R"("event":"egress","destination":"127.0.0.1:18080","address":"127.0.0.1","verdict":"allowed")") !=
          std::string::npos);
    CHECK(audit.find(R"("bytesReceived":)") != std::string::npos);
    CHECK(audit.find(R"("event":"egress","destination":"127.0.0.1:18081","verdict":"refused")") != std::string::npos);
  }
  CHECK(allowed.served() == 4);  // each run: the proxied request, and the brokered direct connection
  CHECK(other.served() == 0);    // the refused requests never left the proxy
}

TEST_CASE("egress: curl plain and tunnelled, refused ranges by name, metadata, tools destinations") {
  HttpServer taskServer(28080), toolServer(28081), loopbackByName(28082);
  Sandbox s;
  fs::path policy = s.dir.path() / "egress.sbx";
  writeText(policy, R"(import std.programs
task t {
  use programs.curl
  use programs.python3
  write workspace
  timeout 30s
  connect "127.0.0.1:28080", "localhost:28082"
  @suppress(metadata-reachable, reason "the test checks that the proxy refuses it anyway")
  connect "169.254.169.254:80"
  tool fetcher {
    description "Fetches from the tool's own service"
    exec "/usr/bin/curl"
    action get effect read
    connect "127.0.0.1:28081"
  }
  syscalls { default errno EPERM }
  limits { memory 512MiB  pids 64 }
}
)");
  writeText(s.workspace / "fetch.py", readText(sourceDir() / "examples/egress/fetch.py"));
  Run r = s.run(policy,
                "curl -s http://127.0.0.1:28080/; curl -s -p http://127.0.0.1:28080/; "
                "curl -s -o /dev/null -w 'other port %{http_code}\\n' http://127.0.0.1:28083/; "
                "curl -s http://localhost:28082/; curl -s http://169.254.169.254/latest; "
                "curl -s http://127.0.0.1:28081/; "
                "python3 /workspace/fetch.py http://127.0.0.1:28081/; "
                "curl -s --noproxy '*' -o /dev/null -w 'direct %{http_code} ' http://127.0.0.1:28080/; echo $?");
  INFO(r.out << r.err);
  CHECK(r.out.find("hello from 28080\nhello from 28080\n") != std::string::npos);  // plain and CONNECT
  CHECK(r.out.find("other port 403") != std::string::npos);
  CHECK(r.out.find("sbx-run: 127.0.0.1 is a loopback or private address the policy does not name") !=
        std::string::npos);
  CHECK(r.out.find("sbx-run: 169.254.169.254 is link-local, cloud metadata or not a unicast address") !=
        std::string::npos);
  CHECK(r.out.find("hello from 28081") != std::string::npos);                        // curl is the tool
  CHECK(r.out.find("http://127.0.0.1:28081/ -> refused 403") != std::string::npos);  // python3 is not
  CHECK(r.out.find("direct 200 0") != std::string::npos);  // no proxy: the connect is brokered
  CHECK(taskServer.served() == 3);
  CHECK(toolServer.served() == 1);
  CHECK(loopbackByName.served() == 0);
  std::string audit = readText(s.audit);
  CHECK(
      audit.find(
          R"("destination":"127.0.0.1:28081","address":"127.0.0.1","verdict":"allowed","rule":"127.0.0.1:28081","tool":"fetcher")") !=
      std::string::npos);
  CHECK(audit.find(R"("destination":"localhost:28082","verdict":"refused")") != std::string::npos);
}

TEST_CASE("egress: DNS leaves only through the stub, even to a destination a rule names") {
  Sandbox s;
  fs::path policy = s.dir.path() / "dns.sbx";
  writeText(policy, R"(import std.programs
task t {
  use programs.curl
  write workspace
  timeout 30s
  connect "127.0.0.1:53"
  syscalls { default errno EPERM }
  limits { memory 512MiB  pids 64 }
}
)");
  // Through the proxy, tunnelled and plain; the proxy refuses before it resolves or connects.
  Run r = s.run(policy, "curl -s -p http://127.0.0.1:53/; echo \" tunnel $?\"; curl -s http://127.0.0.1:53/");
  INFO(r.out << r.err);
  const std::string why = "DNS leaves the sandbox only through sbx-run's stub on 127.0.0.53:53";
  CHECK(r.out.find(" tunnel 56") != std::string::npos);  // curl: the CONNECT was answered 403
  CHECK(r.out.find(why) != std::string::npos);
  std::string audit = readText(s.audit);
  CHECK(audit.find(R"("destination":"127.0.0.1:53","verdict":"refused","reason":")" + why) != std::string::npos);
  CHECK(audit.find(R"("destination":"127.0.0.1:53","address")") == std::string::npos);  // never connected
}
