// Throwaway servers of real daemons on loopback, for the real-client tests of socket brokering
// (tests/runtime/real_clients_test.cc): a PostgreSQL cluster (initdb/pg_ctl), a redis-server and
// an sshd serving a bare git repository, each in a temp directory of its own, run as an
// unprivileged account (never root, except sshd's privilege-separated listener), and stopped when
// the object dies. A daemon that cannot run here (program or account missing) is reported by
// missing(), which the test turns into a SKIP.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "support/paths.h"

namespace sbx::test {

struct Account {
  uid_t uid;
  gid_t gid;
  std::string name;
};
// A host account by name; nullopt when it does not exist.
std::optional<Account> hostAccount(const std::string& name);

// A daemon that wrote its pid to a file: SIGTERM when the object dies, then SIGKILL after 5 s.
class PidFileDaemon {
 public:
  PidFileDaemon() = default;
  ~PidFileDaemon();
  PidFileDaemon(const PidFileDaemon&) = delete;
  PidFileDaemon& operator=(const PidFileDaemon&) = delete;
  void started(const std::filesystem::path& pidFile);  // reads the pid (first line)

 private:
  pid_t pid_ = -1;
};

// The newest PostgreSQL's programs (Debian: /usr/lib/postgresql/VERSION/bin); empty when none.
std::filesystem::path postgresBin();

// A PostgreSQL cluster on address:port with trust authentication for the role "sbx" connecting
// from that address, run as the "postgres" account (created by Debian's postgresql package).
class PostgresServer {
 public:
  explicit PostgresServer(int port, const std::string& address = "127.0.0.1");
  std::string missing() const { return missing_; }  // why it cannot run here; empty when it runs

 private:
  TempDir dir_;
  std::string missing_;
  PidFileDaemon daemon_;
};

// redis-server on 127.0.0.1:port, nothing saved, run as nobody.
class RedisServer {
 public:
  explicit RedisServer(int port);
  std::string missing() const { return missing_; }

 private:
  TempDir dir_;
  std::string missing_;
  PidFileDaemon daemon_;
};

// sshd on 127.0.0.1:port with a host key and one authorized deploy key of its own, which logs in
// as "postgres" (an unprivileged account with a shell) and serves the bare repository repo().
class GitSshServer {
 public:
  explicit GitSshServer(int port);
  std::string missing() const { return missing_; }
  const std::filesystem::path& deployKey() const { return deployKey_; }  // the private key, 0600
  std::filesystem::path repo() const { return dir_.path() / "ssh" / "repo.git"; }
  std::string knownHostsLine() const { return knownHosts_; }  // "[127.0.0.1]:PORT KEY"
  std::string user() const { return "postgres"; }

 private:
  TempDir dir_;
  std::string missing_, knownHosts_;
  std::filesystem::path deployKey_;
  PidFileDaemon daemon_;
};

}  // namespace sbx::test
