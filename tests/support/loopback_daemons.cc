#include "support/loopback_daemons.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "support/process.h"

namespace fs = std::filesystem;

namespace sbx::test {

namespace {

// Whether something accepts TCP connections on 127.0.0.1:port within `seconds`.
bool waitForPort(int port, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool up = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// argv run as `account` (setpriv), in `cwd`, with a minimal environment.
Run runAs(const Account& account, std::vector<std::string> argv, const fs::path& cwd) {
  std::vector<std::string> full = {"/usr/bin/setpriv", fmt::format("--reuid={}", account.uid),
                                   fmt::format("--regid={}", account.gid), "--clear-groups"};
  full.insert(full.end(), argv.begin(), argv.end());
  return run(full, "", cwd.string(), {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + cwd.string()});
}

// A directory the account owns, under `dir` (made traversable for it).
fs::path ownedDirectory(const TempDir& dir, const std::string& name, const Account& account) {
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::path path = dir.path() / name;
  fs::create_directories(path);
  if (chown(path.c_str(), account.uid, account.gid) != 0) throw std::runtime_error("chown " + path.string());
  return path;
}

std::string missingPrograms(const std::vector<std::string>& programs) {
  for (const auto& program : programs)
    if (access(program.c_str(), X_OK) != 0) return program + " is not installed";
  if (geteuid() != 0) return "needs root (the daemons run as other accounts)";
  return "";
}

}  // namespace

fs::path postgresBin() {
  fs::path best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(entry.path() / "bin" / "initdb") && (best.empty() || entry.path() > best)) best = entry.path();
  return best.empty() ? best : best / "bin";
}

std::optional<Account> hostAccount(const std::string& name) {
  const passwd* entry = getpwnam(name.c_str());
  if (entry == nullptr) return std::nullopt;
  return Account{entry->pw_uid, entry->pw_gid, name};
}

void PidFileDaemon::started(const fs::path& pidFile) {
  if (!waitForFile(pidFile, 60)) throw std::runtime_error("no pid file " + pidFile.string());
  // The file can exist before its line is written: read until the pid ends with its newline.
  for (int i = 0; i < 1200; ++i) {
    std::string text = readText(pidFile);
    auto end = text.find('\n');
    if (end != std::string::npos && end > 0 && text.find_first_not_of("0123456789") == end) {
      pid_ = static_cast<pid_t>(std::stol(text.substr(0, end)));
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("no pid in " + pidFile.string());
}

PidFileDaemon::~PidFileDaemon() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100 && kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (kill(pid_, 0) == 0) kill(pid_, SIGKILL);
}

PostgresServer::PostgresServer(int port, const std::string& address) {
  fs::path bin = postgresBin();
  auto account = hostAccount("postgres");
  missing_ =
      bin.empty() ? "no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb)" : missingPrograms({"/usr/bin/psql"});
  if (missing_.empty() && !account) missing_ = "no postgres account to run the cluster as";
  if (!missing_.empty()) return;
  fs::path home = ownedDirectory(dir_, "pg", *account), data = home / "data";
  Run init =
      runAs(*account, {(bin / "initdb").string(), "-D", data.string(), "-A", "trust", "-U", "sbx", "--no-sync"}, home);
  if (init.exitCode != 0) throw std::runtime_error("initdb: " + init.err);
  writeText(data / "pg_hba.conf", fmt::format("host all sbx {}/32 trust\n", address));
  Run start =
      runAs(*account,
            {(bin / "pg_ctl").string(), "-D", data.string(), "-l", (home / "log").string(), "-w", "-t", "60", "-o",
             fmt::format("-c listen_addresses={} -p {} -c unix_socket_directories={} -c fsync=off", address, port,
                         home.string()),
             "start"},
            home);
  if (start.exitCode != 0) throw std::runtime_error("pg_ctl start: " + start.err + readText(home / "log"));
  daemon_.started(data / "postmaster.pid");
}

RedisServer::RedisServer(int port) {
  missing_ = missingPrograms({"/usr/bin/redis-server", "/usr/bin/redis-cli"});
  auto account = hostAccount("nobody");
  if (missing_.empty() && !account) missing_ = "no nobody account to run redis-server as";
  if (!missing_.empty()) return;
  fs::path home = ownedDirectory(dir_, "redis", *account);
  Run start = runAs(*account,
                    {"/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port), "--dir",
                     home.string(), "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile",
                     (home / "pid").string(), "--logfile", (home / "log").string()},
                    home);
  if (start.exitCode != 0) throw std::runtime_error("redis-server: " + start.err);
  daemon_.started(home / "pid");
  if (!waitForPort(port, 60)) throw std::runtime_error("redis-server does not listen: " + readText(home / "log"));
}

GitSshServer::GitSshServer(int port) {
  missing_ = missingPrograms({"/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen", "/usr/bin/git"});
  auto account = hostAccount("postgres");  // any unprivileged account with a shell serves git
  if (missing_.empty() && !account) missing_ = "no unprivileged account with a shell (postgres) to log in as";
  if (!missing_.empty()) return;
  fs::path home = ownedDirectory(dir_, "ssh", *account);
  deployKey_ = dir_.path() / "deploy_key";
  for (const fs::path& key : {home / "host_key", deployKey_}) {
    Run keygen = run({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sbx-test", "-f", key.string()});
    if (keygen.exitCode != 0) throw std::runtime_error("ssh-keygen: " + keygen.err);
  }
  knownHosts_ = fmt::format("[127.0.0.1]:{} {}", port, readText(home / "host_key.pub"));
  // The deploy key may run git's commands and nothing else the session offers.
  writeText(home / "authorized_keys", "restrict " + readText(fs::path(deployKey_.string() + ".pub")));
  Run bare = runAs(*account, {"/usr/bin/git", "init", "-q", "--bare", "-b", "main", repo().string()}, home);
  if (bare.exitCode != 0) throw std::runtime_error("git init --bare: " + bare.err);
  writeText(home / "sshd_config", fmt::format(R"(ListenAddress 127.0.0.1
Port {}
HostKey {}/host_key
PidFile {}/pid
AuthorizedKeysFile {}/authorized_keys
AllowUsers {}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
# PAM's account check, not sshd's own: the account has no password (locked), as service accounts do.
UsePAM yes
StrictModes no
PermitRootLogin no
PermitTTY no
AllowTcpForwarding no
X11Forwarding no
)",
                                              port, home.string(), home.string(), home.string(), account->name));
  // sshd's privilege separation needs its empty directory (systemd's unit creates it at boot).
  if (mkdir("/run/sshd", 0755) != 0 && errno != EEXIST) throw std::runtime_error("mkdir /run/sshd");
  Run start = run({"/usr/sbin/sshd", "-f", (home / "sshd_config").string(), "-E", (home / "log").string()});
  if (start.exitCode != 0) throw std::runtime_error("sshd: " + start.err);
  daemon_.started(home / "pid");
  if (!waitForPort(port, 60)) throw std::runtime_error("sshd does not listen: " + readText(home / "log"));
}

}  // namespace sbx::test
