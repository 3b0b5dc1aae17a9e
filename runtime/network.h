// The sandbox's network: a namespace of its own whose only interface, loopback, starts down.
#pragma once
#include <string>

namespace sbx::run {

// In the sandbox's init: brings loopback up. False, with `error`, on failure.
bool loopbackUp(std::string& error);

// Passes descriptor `fd` over the Unix socket `channel` (SCM_RIGHTS): how the egress proxy's
// listening socket, made in the sandbox's namespace, reaches the launcher.
bool sendDescriptor(int channel, int fd);
// The descriptor sent, or -1 when the other side closed instead. Allocates nothing (the launcher
// calls it while the sandbox's init shares its memory).
int receiveDescriptor(int channel);

}  // namespace sbx::run
