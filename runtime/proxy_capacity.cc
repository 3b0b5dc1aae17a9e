#include "runtime/proxy_capacity.h"

#include <algorithm>

namespace sbx::run {

ProxyCapacity::ProxyCapacity(std::uint64_t memoryLimitBytes, std::vector<std::string> tools) {
  for (auto& tool : tools) held_.emplace(std::move(tool), 0);
  held_.emplace("", 0);
  int reserved = kToolReserve * static_cast<int>(held_.size() - 1);
  std::uint64_t byMemory = memoryLimitBytes == 0 ? kMaxProxyConnections : memoryLimitBytes / 2 / kConnectionBytes;
  limit_ = static_cast<int>(std::min<std::uint64_t>(byMemory, kMaxProxyConnections));
  limit_ = std::max(limit_, reserved + kMinAgentConnections);
}

std::string ProxyCapacity::classOf(const std::string& tool) const {
  return held_.count(tool) ? tool : "";
}

bool ProxyCapacity::admit(const std::string& tool) {
  std::string mine = classOf(tool);
  // What the other tools have not used of their reserves is theirs, whoever asks.
  int reservedForOthers = 0;
  for (const auto& [name, held] : held_)
    if (!name.empty() && name != mine) reservedForOthers += std::max(0, kToolReserve - held);
  if (admitted_ + reservedForOthers >= limit_) return false;
  ++admitted_;
  ++held_[mine];
  return true;
}

void ProxyCapacity::release(const std::string& tool) {
  --admitted_;
  --held_[classOf(tool)];
}

}  // namespace sbx::run
