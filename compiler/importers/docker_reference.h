// A Docker / OCI seccomp profile compiled straight through libseccomp, as runc loads it (for
// x86_64 and a capability set): the reference the import tests and bench/seccomp.sh hold
// `sbxc import docker-seccomp` + `sbxc compile` against. Handles the actions and operators of
// Docker's profiles (allow, errno); anything else is reported as an error.
#pragma once
#include <string>
#include <vector>

#include "bpf/bpf_program.h"

namespace sbx::importers {

// optimize: SCMP_FLTATR_CTL_OPTIMIZE, 1 (libseccomp's default) or 2 (binary tree).
bool libseccompOfDockerProfile(const std::string& json, const std::vector<std::string>& capabilities, int optimize,
                               seccomp::Program& program, std::string& error);

}  // namespace sbx::importers
