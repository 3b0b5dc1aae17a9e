#include "runtime/tool_broker.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "util/read_file.h"

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76  // Linux 6.5
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

namespace sbx::run {

namespace {

constexpr int kRequestTimeoutMs = 2000;
// The payload loads one filter (init.cc); a process under more runs a filter the agent added,
// which could rewrite the gate's calls (SECCOMP_RET_ERRNO 0) or hand its descriptors to the agent
// (user notification and SECCOMP_IOCTL_NOTIF_ADDFD).
constexpr const char* kSandboxFilters = "1";

// One request as received: its text, and who sent it.
struct Request {
  std::string text;
  pid_t pid = 0;   // SCM_CREDENTIALS; 0 when there were none
  int pidfd = -1;  // SCM_PIDFD, else opened from the pid on receipt
  Request() = default;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request() {
    if (pidfd >= 0) ::close(pidfd);
  }
};

bool receive(int client, int wake, Request& r) {
  pollfd ready[2] = {{client, POLLIN, 0}, {wake, POLLIN, 0}};
  if (poll(ready, 2, kRequestTimeoutMs) <= 0 || !(ready[0].revents & POLLIN)) return false;
  char buffer[256];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(16 * sizeof(int))];
  iovec data{buffer, sizeof buffer};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t n = recvmsg(client, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n <= 0) return false;
  r.text.assign(buffer, static_cast<std::size_t>(n));
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    std::size_t bytes = c->cmsg_len - CMSG_LEN(0);
    if (c->cmsg_type == SCM_CREDENTIALS && bytes >= sizeof(ucred)) {
      ucred creds{};
      std::memcpy(&creds, CMSG_DATA(c), sizeof creds);
      r.pid = creds.pid;
    } else if (c->cmsg_type == SCM_PIDFD && bytes >= sizeof(int) && r.pidfd < 0) {
      std::memcpy(&r.pidfd, CMSG_DATA(c), sizeof(int));
    } else if (c->cmsg_type == SCM_RIGHTS) {  // descriptors nobody asked for: closed
      for (std::size_t i = 0; i + sizeof(int) <= bytes; i += sizeof(int)) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i, sizeof fd);
        ::close(fd);
      }
    }
  }
  if (r.pid > 0 && r.pidfd < 0) r.pidfd = static_cast<int>(syscall(SYS_pidfd_open, r.pid, 0));
  return true;
}

// The key of a well-formed request, else nothing.
std::optional<std::array<unsigned char, gate::kKeyBytes>> keyOf(std::string_view text) {
  if (!text.starts_with(gate::kRequestPrefix) || !text.ends_with('\n')) return std::nullopt;
  text = text.substr(gate::kRequestPrefix.size(), text.size() - gate::kRequestPrefix.size() - 1);
  if (text.size() != 2 * gate::kKeyBytes) return std::nullopt;
  std::array<unsigned char, gate::kKeyBytes> key{};
  auto digit = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  for (std::size_t i = 0; i < key.size(); ++i) {
    int high = digit(text[2 * i]), low = digit(text[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    key[i] = static_cast<unsigned char>(high << 4 | low);
  }
  return key;
}

// Compared in constant time: how long a refusal takes says nothing about the key.
bool sameKey(const std::array<unsigned char, gate::kKeyBytes>& a, const std::array<unsigned char, gate::kKeyBytes>& b) {
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= a[i] ^ b[i];
  return difference == 0;
}

// A field of /proc/PID/status ("TracerPid"), without its tab.
std::string statusField(const std::string& status, std::string_view name) {
  std::string key = "\n" + std::string(name) + ":";
  auto at = status.find(key);
  if (at == std::string::npos) return "";
  auto begin = status.find_first_not_of(" \t", at + key.size());
  auto end = status.find('\n', begin);
  return begin == std::string::npos ? "" : status.substr(begin, end - begin);
}

// Why the sender of `r` may not have `tool`'s tokens; empty when it may.
std::string refusalFor(const Request& r, const ToolGates& gates, const GatedTool& tool) {
  std::string proc = fmt::format("/proc/{}", r.pid);
  struct stat exe {};
  if (stat((proc + "/exe").c_str(), &exe) != 0 || exe.st_dev != tool.gateDevice || exe.st_ino != tool.gateInode)
    return fmt::format("its executable is not tool `{}`'s gate", tool.name);
  // Its user namespace is the sandbox's: the kernel lets the owner of the namespace a process
  // exec'd in trace it even when it is not dumpable, and the payload owns any namespace it makes
  // (where /proc's files of a non-dumpable process are root's as well, when uid 0 is not mapped).
  struct stat userNs {};
  if (stat((proc + "/ns/user").c_str(), &userNs) != 0 || userNs.st_dev != gates.userNsDevice ||
      userNs.st_ino != gates.userNsInode)
    return "it runs in a user namespace other than the sandbox's, whose owner could trace it";
  // Not dumpable, in the sandbox's namespace: the kernel gives the files of its /proc directory
  // to root, not to the payload's user (never root). The directory itself keeps the process's user.
  struct stat owner {};
  if (stat((proc + "/status").c_str(), &owner) != 0 || owner.st_uid != 0)
    return "it is dumpable: the agent could read its memory";
  std::string status = readWholeFile(proc + "/status").value_or("");
  if (std::string tracer = statusField(status, "TracerPid"); tracer != "0")
    return fmt::format("it is traced (by pid {})", tracer);
  if (std::string filters = statusField(status, "Seccomp_filters"); filters != kSandboxFilters)
    return fmt::format("it runs under {} seccomp filters, the sandbox installed {}", filters, kSandboxFilters);
  // Alive after the checks: the pid they read was the sender's, not a reused one.
  if (r.pidfd < 0 || syscall(SYS_pidfd_send_signal, r.pidfd, 0, nullptr, 0) != 0)
    return "it exited while it was checked";
  return "";
}

std::string executableOf(pid_t pid) {
  std::error_code ec;
  return std::filesystem::read_symlink(fmt::format("/proc/{}/exe", pid), ec).string();
}

void sendAll(int fd, const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

ToolBroker::ToolBroker(int listener, const ToolGates& gates, AuditLog& audit)
    : listener_(listener), gates_(gates), audit_(audit) {
  if (pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
}

ToolBroker::~ToolBroker() {
  stop();
  ::close(listener_);
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void ToolBroker::start() {
  thread_ = std::thread([this] { serve(); });
}

void ToolBroker::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  [[maybe_unused]] ssize_t n = ::write(wake_[1], "x", 1);
  thread_.join();
}

void ToolBroker::serve() {
  while (!stopping_) {
    pollfd ready[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(ready, 2, -1) < 0 && errno != EINTR) return;
    if (stopping_) return;
    if (!(ready[0].revents & POLLIN)) continue;
    int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    answer(client);
    ::close(client);
  }
}

void ToolBroker::answer(int client) {
  int on = 1;
  setsockopt(client, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  setsockopt(client, SOL_SOCKET, SO_PASSPIDFD, &on, sizeof on);  // Linux 6.5; else pidfd_open on receipt
  Request r;
  if (!receive(client, wake_[0], r)) return;
  const GatedTool* tool = nullptr;
  std::string reason;
  if (r.pid <= 0) {
    reason = "the request carries no credentials";
  } else if (auto key = keyOf(r.text); !key) {
    reason = "the request is malformed";
  } else {
    for (const auto& t : gates_.tools)
      if (sameKey(*key, t.key)) tool = &t;
    reason = tool ? refusalFor(r, gates_, *tool) : "the key is no tool's";
  }
  if (!reason.empty()) {
    nlohmann::ordered_json line{{"pid", r.pid}, {"exe", executableOf(r.pid)}};
    if (tool) line["tool"] = tool->name;
    line["reason"] = reason;
    audit_.event("tool-token-refused", std::move(line));
    sendAll(client, "refused " + reason + "\n");
    return;
  }
  std::string reply = "exec " + tool->copyPath() + "\n";
  std::vector<std::string> secrets;
  for (const auto* t : tool->tokens) {
    reply += t->exposureKind == "env" ? fmt::format("env {} {}\n", t->target, t->token)
                                      : fmt::format("fd {} {}\n", t->fd, t->token);
    secrets.push_back(t->secret);
  }
  sendAll(client, reply + "end\n");
  audit_.event("tool-token-delivered", {{"tool", tool->name}, {"secrets", secrets}, {"pid", r.pid}});
}

}  // namespace sbx::run
