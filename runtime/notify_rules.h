// The socket calls the launcher's supervisor performs itself for a task with egress
// (socket_broker.h): the payload's filter, as sbx-run loads it, composed so that where the task's
// own filter ALLOWS connect(2), bind(2), or sendto(2) with a destination address, the call is held
// for the supervisor (SECCOMP_RET_USER_NOTIF) instead of running. Every other verdict of the
// task's filter is untouched: a call it denies is still denied (and held as a denial,
// denial_filter.h), a call it allows that is none of these still runs without a round trip.
#pragma once
#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace sbx::run {

// Whether the supervisor brokers system call `nr` of the native architecture.
bool isBrokeredCall(std::uint32_t nr);

// `filter` with each `return ALLOW` turned into a jump to a shared tail that holds the brokered
// calls and allows the rest. nullopt when the composition cannot be made (a `return A`, whose
// verdict is computed, or a program that would outgrow BPF_MAXINSNS): the task then runs without
// brokering, and its sockets reach only the sandbox's loopback.
std::optional<std::vector<sock_filter>> withBrokeredCalls(const std::vector<sock_filter>& filter);

}  // namespace sbx::run
