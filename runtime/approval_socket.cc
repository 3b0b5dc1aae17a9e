#include "runtime/approval_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "runtime/host_accounts.h"

namespace sbx::run {

namespace {

constexpr std::size_t kMaxListedUrl = 512;  // a listing stays within kMaxReplyBytes (64 held)
constexpr int kClientTimeoutMs = 2000;

bool fillAddress(const std::string& path, sockaddr_un& address, std::string& error) {
  address = {};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    error = "socket path too long: " + path;
    return false;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return true;
}

void setTimeouts(int fd) {
  timeval t{kClientTimeoutMs / 1000, (kClientTimeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &t, sizeof t);
}

// One packet of at most `max` bytes, parsed; nullopt when longer, absent or not JSON.
std::optional<nlohmann::json> receiveMessage(int fd, std::size_t max) {
  std::string buffer(max + 1, '\0');
  ssize_t n;
  do n = recv(fd, buffer.data(), buffer.size(), MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n <= 0 || static_cast<std::size_t>(n) > max) return std::nullopt;
  buffer.resize(static_cast<std::size_t>(n));
  auto parsed = nlohmann::json::parse(buffer, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

bool sendMessage(int fd, const nlohmann::json& message) {
  std::string text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

std::optional<Approver> peerOf(int fd) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return std::nullopt;
  Approver who{cred.uid, cred.gid, {}, cred.pid};
  std::vector<gid_t> groups(64);
  socklen_t bytes = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) != 0) {
    if (errno != ERANGE || bytes > 65536 * sizeof(gid_t)) return std::nullopt;
    groups.resize(bytes / sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) != 0) return std::nullopt;
  }
  groups.resize(bytes / sizeof(gid_t));
  who.groups = std::move(groups);
  return who;
}

}  // namespace

ApprovalSocket::ApprovalSocket(ApprovalGate& gate, uid_t owner) : gate_(gate), owner_(owner) {}

ApprovalSocket::~ApprovalSocket() {
  stop();
  if (listener_ >= 0) ::close(listener_);
  for (int fd : stopPipe_)
    if (fd >= 0) ::close(fd);
}

bool ApprovalSocket::listen(RunDirectory& dir, std::string& error) {
  sockaddr_un address;
  if (!fillAddress(dir.pathOf(kApprovalSocketName), address, error)) return false;
  listener_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (listener_ < 0 || pipe2(stopPipe_, O_CLOEXEC) != 0) {
    error = std::string("approval socket: ") + std::strerror(errno);
    return false;
  }
  // The directory is 0700 already; 0600 on the file too, whatever the umask. By name: the name
  // was just bound in the run's own directory, which no one else can write.
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      fchmodat(dir.fd(), kApprovalSocketName, 0600, 0) != 0 || ::listen(listener_, 16) != 0) {
    error = std::string("approval socket: ") + std::strerror(errno);
    return false;
  }
  dir.removeWhenDone(kApprovalSocketName);
  return true;
}

void ApprovalSocket::start() {
  thread_ = std::thread([this] { acceptLoop(); });
}

void ApprovalSocket::stop() {
  if (!thread_.joinable()) return;
  [[maybe_unused]] ssize_t n = ::write(stopPipe_[1], "x", 1);
  thread_.join();
}

void ApprovalSocket::acceptLoop() {
  for (;;) {
    pollfd p[2] = {{listener_, POLLIN, 0}, {stopPipe_[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    serveClient(client);
    ::close(client);
  }
}

void ApprovalSocket::serveClient(int client) {
  setTimeouts(client);  // one slow client holds the others for at most this long
  // Read before any answer: a socket closed with its client's message unread resets the
  // connection, and the client would see that instead of the reason.
  auto request = receiveMessage(client, kMaxRequestBytes);
  auto who = peerOf(client);
  if (!who) {
    sendMessage(client, {{"ok", false}, {"error", "sbx-run cannot read the client's credentials"}});
    return;
  }
  if (who->uid != owner_) {
    sendMessage(client, {{"ok", false},
                         {"error", "only the user who started the run (" + userNameOf(owner_) +
                                       ") may use its approval socket, not " + userNameOf(who->uid)}});
    return;
  }
  if (!request || !request->is_object()) {
    sendMessage(client, {{"ok", false}, {"error", "a request is one JSON object of at most 1 KiB"}});
    return;
  }
  sendMessage(client, serve(*request, *who));
}

nlohmann::json ApprovalSocket::serve(const nlohmann::json& request, const Approver& who) {
  auto op = request.find("op");
  if (op != request.end() && *op == "pending") {
    auto now = std::chrono::steady_clock::now();
    nlohmann::json list = nlohmann::json::array();
    for (const auto& held : gate_.pending()) {
      std::string url = held.url.size() > kMaxListedUrl ? held.url.substr(0, kMaxListedUrl) + "..." : held.url;
      list.push_back({{"request", held.id},
                      {"tool", held.tool},
                      {"action", held.action},
                      {"method", held.method},
                      {"url", url},
                      {"approver", held.approverGroup},
                      {"ageMs", std::chrono::duration_cast<std::chrono::milliseconds>(now - held.since).count()}});
    }
    return {{"ok", true}, {"pending", list}};
  }
  auto id = request.find("request");
  if (op == request.end() || (*op != "approve" && *op != "deny") || id == request.end() || !id->is_string())
    return {{"ok", false}, {"error", "unknown request: give op pending, or op approve|deny with a request id"}};
  std::string why;
  if (gate_.decide(id->get<std::string>(), *op == "approve", who, why) != ApprovalGate::Decision::Done)
    return {{"ok", false}, {"error", why}};
  return {{"ok", true}};
}

std::optional<nlohmann::json> askRun(const std::string& runId, const nlohmann::json& request, std::string& error) {
  RunDirectory dir;
  if (!dir.open(runId, error)) return std::nullopt;
  sockaddr_un address;
  if (!fillAddress(dir.pathOf(kApprovalSocketName), address, error)) return std::nullopt;
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0 || (setTimeouts(fd), connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address)) != 0) {
    error = "cannot reach run " + runId + "'s approval socket: " + std::strerror(errno) +
            (errno == ENOENT ? " (the run has no approval gate, or it ended)" : "");
    if (fd >= 0) ::close(fd);
    return std::nullopt;
  }
  std::optional<nlohmann::json> reply;
  if (!sendMessage(fd, request) || !(reply = receiveMessage(fd, kMaxReplyBytes)) || !reply->is_object()) {
    error = "run " + runId + " gave no answer (" + std::strerror(errno) + ")";
    reply.reset();
  }
  ::close(fd);
  return reply;
}

}  // namespace sbx::run
