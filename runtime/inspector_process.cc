#include "runtime/inspector_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "runtime/json_packets.h"
#include "util/private_directory.h"

namespace sbx::run {

namespace fs = std::filesystem;

namespace {

std::string base64(std::string_view bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

bool planNeedsInspector(const plan::Plan& plan) {
  for (const auto& s : plan.task.secrets)
    if (s.injection) return true;
  for (const auto& t : plan.task.tools)
    for (const auto& a : t.actions)
      if (!a.requests.empty()) return true;
  return false;
}

bool InspectorProcess::start(const plan::Plan& plan, const std::string& planPath, const std::string& stateDir,
                             const std::string& upstreamCa, const std::map<std::string, std::string>& secrets,
                             const std::string& runId, std::string& error) {
  for (const auto& t : plan.task.tools)
    for (const auto& a : t.actions)
      for (const auto& r : a.requests) inspected_.emplace(r.host, r.port);
  // The CA's directory: private to this user (0700), beneath the state directory when there is one.
  std::string parent = stateDir.empty() ? fs::temp_directory_path().string() : stateDir;
  if (!stateDir.empty()) {
    int fd = openPrivateDirectory(stateDir, true, error);
    if (fd < 0) return false;
    ::close(fd);
  }
  std::string pattern = parent + "/inspect-XXXXXX";
  if (!mkdtemp(pattern.data())) {
    error = fmt::format("inspector: cannot make a directory in {}: {}", parent, std::strerror(errno));
    return false;
  }
  dir_ = pattern;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    error = fmt::format("inspector: socketpair: {}", std::strerror(errno));
    return false;
  }
  channel_ = pair[0];
  // The child's end at a number above the standard ones, made inheritable by the dup.
  int childEnd = fcntl(pair[1], F_DUPFD_CLOEXEC, 10);
  ::close(pair[1]);
  std::error_code ec;
  std::string self = fs::read_symlink("/proc/self/exe", ec).parent_path() / "sbx-inspect";
  std::string fdText = std::to_string(childEnd + 1);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, childEnd, childEnd + 1);
  char* argv[] = {self.data(), const_cast<char*>("--channel"), fdText.data(), nullptr};
  char* envp[] = {nullptr};  // the host's trust store as the system has it: no SSL_CERT_FILE from the caller
  int spawned = posix_spawn(&pid_, self.c_str(), &actions, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  ::close(childEnd);
  if (spawned != 0) {
    pid_ = -1;
    error = fmt::format("inspector: cannot start {}: {}", self, std::strerror(spawned));
    return false;
  }
  nlohmann::json secretValues = nlohmann::json::object();
  for (const auto& [name, value] : secrets) secretValues[name] = value;
  send(
      {{"type", "config"}, {"plan", planPath}, {"caDir", dir_}, {"upstreamCa", upstreamCa}, {"secrets", secretValues}});
  auto ready = receiveMessage(channel_);
  if (!ready || ready->json.value("type", "") != "ready") {
    error = "inspector: sbx-inspect did not start (its error is above)";
    return false;
  }
  std::string caCert = ready->json.value("caCert", "");
  if (caCert != dir_ + "/ca.pem") {
    error = "inspector: sbx-inspect named a CA certificate outside its directory";
    return false;
  }
  // The bundle: the system's trust store, then the run's CA.
  bundle_ = dir_ + "/bundle.pem";
  std::string bundle = readWhole(kHostCaBundle) + "\n" + readWhole(caCert);
  int fd = ::open(bundle_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  bool written = fd >= 0 && ::write(fd, bundle.data(), bundle.size()) == static_cast<ssize_t>(bundle.size());
  if (fd >= 0) ::close(fd);
  if (!written) {
    error = fmt::format("inspector: cannot write {}: {}", bundle_, std::strerror(errno));
    return false;
  }
  // The directory is 0700: the sandbox's user reads the bundle through the bind, not the path.
  if (!onApprovalRequest && planHasApprovalGates(plan)) {
    if (!approvals_.emplace().start(
            runId, audit_, [this](const nlohmann::json& m) { send(m); }, error))
      return false;
    onApprovalRequest = [this](const nlohmann::json& request, const auto&) {
      std::string why;  // a malformed request is recorded, and denied when it names one, by the gate
      approvals_->gate().handle(request, why);
    };
  }
  if (!onApprovalRequest)
    onApprovalRequest = [this](const nlohmann::json& request, const auto& reply) {
      audit_.event("approval-denied",
                   {{"request", request.value("request", "")}, {"reason", "this sbx-run has no approval gate"}});
      reply({{"type", "approval"}, {"request", request.value("request", "")}, {"verdict", "denied"}, {"by", ""}});
    };
  reader_ = std::thread([this] { readDecisions(); });
  audit_.event("inspector", {{"pid", pid_}, {"caCert", caCert}});
  return true;
}

PlannedMount InspectorProcess::bundleMount() const {
  PlannedMount m;
  m.type = "bind";
  m.source = bundle_;
  m.target = kSandboxCaBundle;
  m.readOnly = true;
  m.noexec = true;
  return m;
}

std::vector<std::string> InspectorProcess::environment() const {
  std::vector<std::string> env;
  for (const char* name :
       {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO"})
    env.push_back(fmt::format("{}={}", name, kSandboxCaBundle));
  return env;
}

bool InspectorProcess::inspects(const std::string& host, std::uint16_t port) const {
  return inspected_.count({host, port}) > 0;
}

void InspectorProcess::send(const nlohmann::json& message, const std::vector<int>& fds) {
  std::lock_guard lock(sendMutex_);
  sendMessage(channel_, message, fds);
}

bool InspectorProcess::handOver(const std::string& tool, const std::string& host, std::uint16_t port, bool tls,
                                std::string_view prefix, int client, int upstream) {
  return sendConnection({{"scheme", tls ? "https" : "http"}, {"prefix", base64(prefix)}}, tool, host, port, client,
                        upstream);
}

bool InspectorProcess::handOverTransparent(const std::string& tool, const std::string& host, std::uint16_t port,
                                           int client, int upstream) {
  return sendConnection({{"transparent", true}}, tool, host, port, client, upstream);
}

bool InspectorProcess::sendConnection(nlohmann::json message, const std::string& tool, const std::string& host,
                                      std::uint16_t port, int client, int upstream) {
  std::lock_guard lock(sendMutex_);
  if (channel_ < 0) return false;
  message["type"] = "connection";
  message["id"] = ++nextConnection_;
  message["tool"] = tool;
  message["host"] = host;
  message["port"] = port;
  return sendMessage(channel_, message, {client, upstream});
}

void InspectorProcess::readDecisions() {
  while (auto message = receiveMessage(channel_)) {
    for (int fd : message->fds) ::close(fd);  // the inspector sends none
    std::string type = message->json.value("type", "");
    if (type == "request") {
      nlohmann::ordered_json line;
      for (const char* key : {"connection", "tool", "action", "method", "url", "verdict", "rule"})
        if (message->json.contains(key)) line[key] = message->json[key];
      audit_.event("request", line);
    } else if (type == "approval-request") {
      onApprovalRequest(message->json, [this](const nlohmann::json& reply) { send(reply); });
    }
  }
}

void InspectorProcess::stop() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  if (channel_ >= 0) shutdown(channel_, SHUT_RDWR);  // ends the reader
  if (reader_.joinable()) reader_.join();
  if (approvals_) approvals_->stop();  // held requests denied (to a closed channel), the socket removed
  approvals_.reset();
  if (channel_ >= 0) ::close(channel_);
  channel_ = -1;
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace sbx::run
