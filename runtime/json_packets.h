// One JSON object per AF_UNIX SOCK_SEQPACKET packet, descriptors attached by SCM_RIGHTS: the
// framing of the channel between sbx-run and sbx-inspect (inspector_process.h), shared by both.
#pragma once
#include <cstddef>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace sbx::run {

constexpr std::size_t kMaxMessage = 64 * 1024;

struct Message {
  nlohmann::json json;
  std::vector<int> fds;  // owned by the receiver
};

// One packet from `fd`: nullopt when the channel closed; a packet that is not one whole JSON
// object comes as {"type":"malformed"}, its descriptors closed.
std::optional<Message> receiveMessage(int fd);
// One packet to `fd`, with `fds` attached; false when the channel is gone.
bool sendMessage(int fd, const nlohmann::json& json, const std::vector<int>& fds = {});

}  // namespace sbx::run
