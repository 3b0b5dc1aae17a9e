// sbx-tool-gate: what runs when the agent calls a tool that holds a token (docs/tokens.md).
//
// sbx-run binds a copy of this program, execute-only, over the executable of each tool that holds
// a token. Executing a file the process cannot read makes it non-dumpable, so the agent (the same
// user) can neither trace it nor read its memory, environment or descriptors. The gate asks the
// launcher's broker for the tool's tokens with the key that only its copy holds, then executes
// the tool's own execute-only copy with the agent's arguments, the agent's environment minus the
// variables that make the loader or the C library load code or files the agent chooses
// (unsafe_environment.def), and the tokens: a variable, or a sealed memfd at the descriptor that
// the secret's link on the secrets tmpfs names. It never prints a token.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/tool_gate/protocol.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U  // Linux 6.3
#endif

extern char** environ;

// The key slot (protocol.h): the marker, then zeros that sbx-run overwrites in each copy with the
// tool's key. Volatile: the gate must read what its file holds, not the zeros it was built with.
__attribute__((used)) volatile unsigned char sbxGateKeySlot[sbx::gate::kMarkerBytes + sbx::gate::kKeyBytes] =
    SBX_GATE_KEY_MARKER;

namespace {

using namespace sbx::gate;

std::string_view tool = "tool";

[[noreturn]] void refuse(const std::string& why) {
  std::string line = "sbx-tool-gate: " + std::string(tool) + ": " + why + "\n";
  [[maybe_unused]] ssize_t n = ::write(2, line.data(), line.size());
  _exit(126);
}

std::string failed(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

bool unsafe(std::string_view name) {
#define SBX_UNSAFE_PREFIX(text) \
  if (name.starts_with(text)) return true;
#define SBX_UNSAFE_NAME(text) \
  if (name == text) return true;
#include "runtime/tool_gate/unsafe_environment.def"
  return false;
}

std::string request() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(kRequestPrefix);
  bool blank = true;
  for (std::size_t i = 0; i < kKeyBytes; ++i) {
    unsigned char b = sbxGateKeySlot[kMarkerBytes + i];
    blank = blank && b == 0;
    text += kHex[b >> 4];
    text += kHex[b & 15];
  }
  if (blank) refuse("this is not a gate copy made by sbx-run (it holds no key)");
  return text + "\n";
}

// The request, with credentials naming this process: the kernel refuses a pid that is not ours.
void send(int fd, const std::string& text) {
  ucred creds{getpid(), getuid(), getgid()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof creds)] = {};
  iovec data{const_cast<char*>(text.data()), text.size()};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_CREDENTIALS;
  header->cmsg_len = CMSG_LEN(sizeof creds);
  std::memcpy(CMSG_DATA(header), &creds, sizeof creds);
  ssize_t n;
  do n = sendmsg(fd, &message, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(text.size())) refuse(failed("send the request to the token broker"));
}

std::string receive(int fd) {
  std::string reply;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) refuse(failed("read the token broker's reply"));
    reply.append(buffer, static_cast<std::size_t>(n));
    if (reply.size() > kMaxReply) refuse("the token broker's reply is too long");
  }
  return reply;
}

struct Grant {
  bool file = false;
  std::string name;  // env: the variable
  int fd = -1;       // file: the descriptor the secret's link names
  std::string token;
};

struct Reply {
  std::string exec;
  std::vector<Grant> grants;
};

Reply parse(std::string_view text) {
  Reply r;
  bool complete = false;
  while (!text.empty() && !complete) {
    auto end = text.find('\n');
    if (end == std::string_view::npos) break;
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    auto space = line.find(' ');
    std::string_view word = line.substr(0, space), rest = space == std::string_view::npos ? "" : line.substr(space + 1);
    auto second = rest.find(' ');
    std::string_view field = rest.substr(0, second),
                     token = second == std::string_view::npos ? "" : rest.substr(second + 1);
    if (word == "refused") refuse("the token broker refused: " + std::string(rest));
    if (word == "end") {
      complete = true;
    } else if (word == "exec" && rest.starts_with(std::string(kGateRoot) + "/")) {
      r.exec = rest;
    } else if (word == "env" && !field.empty() && !token.empty()) {
      r.grants.push_back({false, std::string(field), -1, std::string(token)});
    } else if (word == "fd" && !token.empty()) {
      int n = -1;
      auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), n);
      if (ec != std::errc{} || p != field.data() + field.size() || n < kFirstSecretFd) break;
      r.grants.push_back({true, "", n, std::string(token)});
    } else {
      break;
    }
  }
  if (!complete || r.exec.empty()) refuse("the token broker's reply is malformed");
  return r;
}

// The token in a sealed memfd at descriptor `fd`, inherited by the tool (no close-on-exec).
void placeFile(const Grant& g) {
  int memfd = memfd_create("sbx-secret", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
  if (memfd < 0 && errno == EINVAL) memfd = memfd_create("sbx-secret", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (memfd < 0) refuse(failed("memfd_create"));
  if (::write(memfd, g.token.data(), g.token.size()) != static_cast<ssize_t>(g.token.size()) ||
      fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0)
    refuse(failed("seal the token's memfd"));
  if (dup2(memfd, g.fd) != g.fd) refuse(failed("place the token at descriptor " + std::to_string(g.fd)));
  ::close(memfd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 0 && argv[0]) tool = argv[0];
  // Dumpable means someone could read this file: then the agent could read this process too.
  if (prctl(PR_GET_DUMPABLE) == 1)
    refuse("this gate is readable (it must be execute-only): it will not fetch the tool's token");
  std::string text = request();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) refuse(failed("socket(AF_UNIX)"));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, kBrokerSocket.data(), kBrokerSocket.size());
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    refuse(failed("connect to the token broker"));
  send(fd, text);
  Reply reply = parse(receive(fd));
  ::close(fd);

  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) {
    std::string_view entry = *e;
    auto equals = entry.find('=');
    if (equals == std::string_view::npos || unsafe(entry.substr(0, equals))) continue;
    bool granted = false;
    for (const auto& g : reply.grants) granted = granted || (!g.file && g.name == entry.substr(0, equals));
    if (!granted) environment.emplace_back(entry);
  }
  for (const auto& g : reply.grants)
    if (g.file)
      placeFile(g);
    else
      environment.push_back(g.name + "=" + g.token);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  execve(reply.exec.c_str(), argv, envp.data());
  refuse(failed("execute " + reply.exec));
}
