// How much of the host the egress proxy may hold for one task, and who gets it.
//
// Every connection the proxy serves pins host memory outside the sandbox's limits: two socket
// buffers on each side, two pipes, a thread per direction and the request head. Each of those is
// bounded (kProxySocketBuffer, kProxyPipeBytes, the threads' stacks), so a connection costs at
// most about kConnectionBytes, and the number of connections is what scales with the task: half
// its memory limit's worth, at least enough for the tools' reserves, at most kMaxProxyConnections.
//
// The task's own processes (the agent) may not take the tools' share: each tool that has
// destinations of its own keeps kToolReserve connections that no one else can use.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sbx::run {

// Asked for with SO_RCVBUF / SO_SNDBUF on every socket of the proxy (the kernel doubles it).
constexpr int kProxySocketBuffer = 128 * 1024;
constexpr int kProxyPipeBytes = 128 * 1024;
constexpr std::uint64_t kConnectionBytes = 3 * 1024 * 1024 / 2;  // 4 socket buffers x 2, 2 pipes, stacks, head
constexpr int kMaxProxyConnections = 256;
constexpr int kToolReserve = 4;
constexpr int kMinAgentConnections = 4;

class ProxyCapacity {
 public:
  // `memoryLimitBytes`: the task's memory limit, 0 when it has none. `tools`: the tools whose
  // destinations are theirs alone.
  ProxyCapacity(std::uint64_t memoryLimitBytes, std::vector<std::string> tools);
  int limit() const { return limit_; }
  // Takes a connection for `tool` ("" or a tool without a reserve: the task's own clients);
  // false when what is left is reserved for others.
  bool admit(const std::string& tool);
  void release(const std::string& tool);

 private:
  std::string classOf(const std::string& tool) const;
  int limit_, admitted_ = 0;
  std::map<std::string, int> held_;  // by class: "" for the task, else the tool
};

}  // namespace sbx::run
