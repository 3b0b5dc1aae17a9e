#!/usr/bin/env bash
# The seccomp code generators on real profiles, in one run on this machine:
#
#   Docker's default profile (examples/import/docker-default-seccomp.json, imported with
#   `sbxc import docker-seccomp`) and every std.programs profile, each compiled by sbxc's own
#   generator, libseccomp's default and libseccomp's binary tree (SCMP_FLTATR_CTL_OPTIMIZE=2);
#   Docker's profile also by libseccomp straight from the JSON, as runc loads it.
#
# Columns: BPF instructions; the longest path (instructions executed, the return included) of
# each argument-checked syscall, as the range over them; the mean and longest path to an allowed
# and to a denied syscall; the share of unconditional allows the kernel's action cache proves
# constant; the median compile time (specification to BPF). Ratio rows: sbxc / the peer.
#
# Targets on Docker's profile: at most 100 instructions, argument-checked syscalls decided in at
# most 8 instructions (9 is the floor for this profile: docs/seccomp.md), 100% cacheable, compile
# (task to specification plus generation) under 0.5 ms. Prints; exits 0 whether or not the
# targets are met (it measures, it does not gate).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
case ${1:-} in
  -h | --help) sed -n '2,17s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
esac
profile=${SBX_DOCKER_PROFILE:-$root/examples/import/docker-default-seccomp.json}
scripts/install-deps.sh
scripts/build.sh release >/dev/null
build/release/bench/sbx_seccomp_bench "$profile"
