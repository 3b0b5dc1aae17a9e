// The sandbox's /etc/resolv.conf when the DNS stub runs (dns_stub.h): `nameserver 127.0.0.53`,
// a file of the launcher's own (in a private 0700 directory beneath the state directory, removed
// when the run ends) bound read-only over the sandbox's.
//
// It is placed where set-up may place it (mount_tree.h): on sbx-run's own tmpfs (the usual case:
// std.programs grants a few files of /etc, not /etc/resolv.conf, which set-up then creates) or
// over a regular file that a bind of the policy shows there. Where a host bind shows no such file
// (the host's /etc/resolv.conf missing, or a symbolic link, as under systemd-resolved) it is not
// placed: the sandbox keeps what the policy granted, and a resolver there reaches the stub only
// if that names 127.0.0.53 (systemd-resolved's stub file does). Queries to any other address on
// port 53 are refused by the socket broker, so names never leave another way.
#pragma once
#include <string>
#include <vector>

#include "runtime/mounts.h"

namespace sbx::run {

class StubResolvConf {
 public:
  StubResolvConf() = default;
  ~StubResolvConf();
  StubResolvConf(const StubResolvConf&) = delete;
  StubResolvConf& operator=(const StubResolvConf&) = delete;

  // Writes the file and adds its mount to `mounts` when it can be placed (else `skipped` says
  // why). False with `error` when the file cannot be written.
  bool prepare(const std::string& stateDir, std::vector<PlannedMount>& mounts, std::string& skipped,
               std::string& error);

 private:
  std::string dir_;
};

}  // namespace sbx::run
