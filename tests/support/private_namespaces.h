// This process in a network and a mount namespace of its own until the object dies, for runtime
// tests that give sbx-run a network (addresses on a loopback of the test's own) or files (stand-ins
// mounted over host paths) that the host never sees. ctest runs each case in a process of its
// own; the way back is kept for a run of the whole binary.
#pragma once
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace sbx::test {

class PrivateNamespaces {
 public:
  PrivateNamespaces() {
    if (net_ < 0 || mnt_ < 0 || unshare(CLONE_NEWNET | CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      throw std::runtime_error("cannot make private namespaces");
    entered_ = true;
  }
  ~PrivateNamespaces() {
    if (entered_ && (setns(mnt_, CLONE_NEWNS) != 0 || setns(net_, CLONE_NEWNET) != 0)) std::abort();
    close(net_);
    close(mnt_);
  }
  PrivateNamespaces(const PrivateNamespaces&) = delete;
  PrivateNamespaces& operator=(const PrivateNamespaces&) = delete;

 private:
  int net_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), mnt_ = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  bool entered_ = false;
};

}  // namespace sbx::test
