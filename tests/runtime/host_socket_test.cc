// Host UNIX sockets under the sandbox's binds (runtime/host_sockets.h): neither the network
// namespace nor Landlock stops connect() to a socket file, so a policy reading a directory that
// holds a daemon's socket (`read "/run"`) would hand the agent that daemon. sbx-run masks every
// host socket inside a bind or the workspace; a socket path the policy declares itself stays.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "runtime/host_sockets.h"
#include "support/escape_suite.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

// A listening UNIX socket bound at `path` in the host's network namespace, connectable by anyone:
// connect() succeeds against the backlog without an accept.
struct UnixListener {
  fs::path path;
  int fd = -1;
  explicit UnixListener(fs::path at) : path(std::move(at)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.string().size() < sizeof address.sun_path);
    path.string().copy(address.sun_path, sizeof address.sun_path - 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(fd, 16) == 0);
    REQUIRE(chmod(path.c_str(), 0666) == 0);
  }
  ~UnixListener() {
    close(fd);
    unlink(path.c_str());
  }
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
};

// Prints "CONNECTED PATH" or "REFUSED PATH ERRNO" for each argument.
constexpr const char* kConnect = R"(
import socket, sys
for path in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        print("CONNECTED", path)
    except OSError as e:
        print("REFUSED", path, e.errno)
)";

}  // namespace

TEST_CASE("sbx-run: host UNIX sockets inside a read bind or the workspace are masked, a declared one is not") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    EscapeScratch s(mode.name == "nobody");
    fs::path shared = s.dir.path() / "shared";  // what the policy reads, as `read "/run"` would
    fs::create_directories(shared / "daemon");
    fs::permissions(shared, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(shared / "daemon", fs::status(shared).permissions());
    UnixListener daemon(shared / "daemon" / "control.sock"), declared(shared / "declared.sock"),
        inWorkspace(s.workspace / "ide.sock");
    // Bound through a link to the read directory (as daemons bind /var/run/x.sock, /run/x.sock):
    // /proc/net/unix lists the link's path.
    fs::create_directory_symlink(shared, s.dir.path() / "alias");
    UnixListener viaLink(s.dir.path() / "alias" / "daemon" / "linked.sock");
    fs::path linked = shared / "daemon" / "linked.sock";
    fs::path policy = s.dir.path() / "sockets.sbx", audit = s.dir.path() / "audit.jsonl";
    writeText(policy, fmt::format(R"(task t {{
  read "/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache"
  read "{shared}"
  read "{shared}/declared.sock"
  read "{workspace}"
  write workspace
  timeout 20s
  limits {{
    memory 256MiB
    pids 32
  }}
}}
)",
                                  fmt::arg("shared", shared.string()), fmt::arg("workspace", s.workspace.string())));
    auto tryConnect = [&](bool inside) {
      std::string ws = inside ? "/workspace" : s.workspace.string();
      std::vector<std::string> argv = mode.prefix;
      if (inside)
        argv.insert(argv.end(), {SBX_RUN_BINARY, "--workspace", s.workspace.string(), "--audit", audit.string(),
                                 policy.string(), "--"});
      argv.insert(argv.end(), {"/usr/bin/python3", "-c", kConnect, daemon.path.string(), declared.path.string(),
                               ws + "/ide.sock", inWorkspace.path.string(), linked.string()});
      return run(argv, "", s.dir.path().string(), {"PATH=/usr/bin:/bin", "SBX_RUN_CACHE=" + s.cache.string()});
    };
    Run control = tryConnect(false);
    INFO("control: " << control.out << control.err);
    REQUIRE(control.exitCode == 0);
    CHECK(control.out.find("CONNECTED " + daemon.path.string()) != std::string::npos);
    CHECK(control.out.find("CONNECTED " + declared.path.string()) != std::string::npos);
    CHECK(control.out.find("CONNECTED " + inWorkspace.path.string()) != std::string::npos);
    CHECK(control.out.find("CONNECTED " + linked.string()) != std::string::npos);

    Run inside = tryConnect(true);
    INFO("inside: " << inside.exitCode << ": " << inside.out << inside.err);
    REQUIRE(inside.exitCode == 0);
    CHECK(inside.out.find("REFUSED " + daemon.path.string()) != std::string::npos);
    CHECK(inside.out.find("REFUSED /workspace/ide.sock") != std::string::npos);
    // The workspace's directory read by its host path too: the socket is masked there as well.
    CHECK(inside.out.find("REFUSED " + inWorkspace.path.string()) != std::string::npos);
    // Listed under the link's name, masked where the sandbox sees it.
    CHECK(inside.out.find("REFUSED " + linked.string()) != std::string::npos);
    CHECK(inside.out.find("CONNECTED " + declared.path.string()) != std::string::npos);
    // The audit's mount lines name each mask.
    std::string log = readText(audit);
    CHECK(log.find(fmt::format(R"("type":"mask","source":"","target":"{}")", daemon.path.string())) !=
          std::string::npos);
    CHECK(log.find(R"("type":"mask","source":"","target":"/workspace/ide.sock")") != std::string::npos);
    CHECK(log.find(fmt::format(R"("type":"mask","source":"","target":"{}")", inWorkspace.path.string())) !=
          std::string::npos);
    CHECK(log.find(fmt::format(R"("target":"{}")", declared.path.string())) != std::string::npos);
  }
}

TEST_CASE("host sockets: the socket table's paths, and where the sandbox sees a host path") {
  using sbx::run::boundSocketPath;
  CHECK_FALSE(boundSocketPath("Num       RefCount Protocol Flags    Type St Inode Path"));
  CHECK_FALSE(boundSocketPath("0000000002f672d2: 00000003 00000000 00000000 0001 03  1176"));
  CHECK_FALSE(boundSocketPath("0000000002f672d2: 00000002 00000000 00010000 0001 01 20885 @/tmp/.X11-unix/X0"));
  CHECK_FALSE(boundSocketPath("0000000002f672d2: 00000002 00000000 00010000 0001 01 20885 relative.sock"));
  CHECK(boundSocketPath("0000000002f672d2: 00000002 00000000 00010000 0001 01 20885 /run/dbus/system_bus_socket") ==
        "/run/dbus/system_bus_socket");
  CHECK(boundSocketPath("000000001f4ad079: 00000002 00000000 00010000 0001 01   985 /tmp/a b.sock") == "/tmp/a b.sock");

  std::vector<sbx::run::PlannedMount> mounts(5);
  mounts[0].type = "bind", mounts[0].source = mounts[0].target = "/run";
  mounts[1].type = "bind", mounts[1].source = mounts[1].target = "/run/dbus/system_bus_socket";
  mounts[2].type = "workspace", mounts[2].source = "/home/dev/project/", mounts[2].target = "/workspace";
  mounts[3].type = "mask", mounts[3].target = "/run/secrets";
  mounts[4].type = "bind", mounts[4].source = mounts[4].target = "/home/dev";
  using sbx::run::sandboxPathsOf;
  using Paths = std::vector<std::string>;
  CHECK(sandboxPathsOf(mounts, "/run/docker.sock") == Paths{"/run/docker.sock"});
  CHECK(sandboxPathsOf(mounts, "/run/user/1000/bus") == Paths{"/run/user/1000/bus"});
  CHECK(sandboxPathsOf(mounts, "/run/dbus/system_bus_socket").empty());  // declared itself
  // Seen twice: through the workspace and through the read of its parent.
  CHECK(sandboxPathsOf(mounts, "/home/dev/project/.ide/sock") ==
        Paths{"/workspace/.ide/sock", "/home/dev/project/.ide/sock"});
  CHECK(sandboxPathsOf(mounts, "/home/dev/projects.sock") == Paths{"/home/dev/projects.sock"});
  CHECK(sandboxPathsOf(mounts, "/running.sock").empty());
  CHECK(sandboxPathsOf(mounts, "/var/run/docker.sock").empty());  // by name; maskHostSockets resolves links
}
