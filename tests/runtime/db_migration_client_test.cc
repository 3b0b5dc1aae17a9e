// examples/db-migration.sbx as written: its staging tool (migrator_staging, /usr/local/bin/alembic)
// may connect to "10.42.16.0/24:5432", and a PostgreSQL client in that tool's place reaches a
// PostgreSQL there under sbx-run through socket brokering (issue 21), while the agent itself, and
// the tool towards the production range, are refused. The staging network is this case's own: a
// network namespace whose loopback also holds 10.42.16.5, and a mount namespace in which a copy of
// the client stands in for alembic (as tests/examples/launch_test.py provides the example's
// programs). The host's network and files are never touched.
//
// The client is pg_isready (libpq's connect, as psql's), not psql: the tool holds a token, so
// sbx-run runs it from an execute-only copy (docs/tokens.md), and psql refuses to start when it
// cannot read its own executable ("could not find own program executable").
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "support/loopback_daemons.h"
#include "support/paths.h"
#include "support/private_namespaces.h"
#include "support/process.h"
#include "support/skip.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

// The example's staging database address, on this namespace's loopback; and its alembic, psql.
void provideStagingNetwork(const fs::path& client) {
  for (const auto& args : {std::vector<std::string>{"link", "set", "lo", "up"},
                           std::vector<std::string>{"addr", "add", "10.42.16.5/32", "dev", "lo"}}) {
    std::vector<std::string> argv = {"/usr/sbin/ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    Run ip = run(argv);
    if (ip.exitCode != 0) throw std::runtime_error("ip: " + ip.err);
  }
  if (mount("standins", "/usr/local/bin", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
    throw std::runtime_error("mount the stand-ins");
  fs::copy_file(client, "/usr/local/bin/alembic");  // an ELF: the tool gate refuses scripts
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("real clients: libpq as examples/db-migration.sbx's staging tool reaches its Postgres port, and only it") {
  if (geteuid() != 0) return skipTest("needs root (namespaces, and the server runs as another account)");
  fs::path bin = postgresBin();
  if (bin.empty() || !fs::exists(bin / "pg_isready")) return skipTest("no PostgreSQL (/usr/lib/postgresql/*/bin)");
  if (access("/usr/sbin/ip", X_OK) != 0) return skipTest("no /usr/sbin/ip (iproute2)");
  // Mounted over in the private namespace only; never made on the host.
  if (!fs::is_directory("/usr/local/bin")) return skipTest("no /usr/local/bin to mount the stand-in over");
  PrivateNamespaces namespaces;
  provideStagingNetwork(bin / "pg_isready");
  PostgresServer postgres(5432, "10.42.16.5");
  if (!postgres.missing().empty()) return skipTest(postgres.missing());
  TempDir dir;
  fs::path workspace = dir.path() / "ws", audit = dir.path() / "audit.jsonl";
  fs::create_directories(workspace);
  // The example's workspace is noexec and its exec list names python3 and alembic: python3 drives.
  Run r =
      run({SBX_RUN_BINARY, "--workspace", workspace.string(), "--audit", audit.string(), "--task", "rehearse_migration",
           (sourceDir() / "examples/db-migration.sbx").string(), "--", "/usr/bin/python3", "-c", R"(
import socket, subprocess
def ready(host):
    r = subprocess.run(["/usr/local/bin/alembic", "-h", host, "-p", "5432", "-U", "sbx", "-d", "postgres",
                        "-t", "10"], capture_output=True, text=True)
    return f"{r.returncode} {r.stdout.strip()}"
print("staging ->", ready("10.42.16.5"))
print("production ->", ready("10.42.8.5"))
try:
    socket.create_connection(("10.42.16.5", 5432), timeout=10)
    print("agent -> connected")
except OSError as e:
    print("agent ->", e.strerror)
)"},
          "", dir.path().string(),
          {"PATH=/usr/bin:/bin", "SBX_RUN_CACHE=" + (dir.path() / "cache").string(),
           "SBX_STATE_DIR=" + (dir.path() / "state").string()});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(has(r.out, "staging -> 0 10.42.16.5:5432 - accepting connections\n"));
  CHECK(has(r.out, "production -> 2 10.42.8.5:5432 - no response\n"));  // pg_isready's word for refused
  CHECK(has(r.out, "agent -> Connection refused\n"));                   // the rule is the tool's
  CHECK(has(r.err, "sbx-run: connect to 10.42.8.5:5432 refused in task rehearse_migration: "));
  CHECK(has(r.err, "sbx-run: connect to 10.42.16.5:5432 refused in task rehearse_migration: "));
  std::string log = readText(audit);
  CHECK(has(log, R"("destination":"10.42.16.5:5432","verdict":"allowed","connected":true)"));
  CHECK(has(log, R"("destination":"10.42.8.5:5432","verdict":"refused","syscall":"connect")"));
}
