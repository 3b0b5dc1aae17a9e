#!/usr/bin/env bash
# Installs everything sbxc needs to build, test, fuzz and benchmark on Debian 12 (bookworm).
#
# Idempotent and quiet: when every package is already installed this is a fast no-op
# (one dpkg-query, no network), so scripts/test.sh and scripts/demo.sh can call it every time.
# `apt-get update` runs only when something is missing, because a fresh machine (or container)
# has empty package lists and an up-to-date one does not need the network at all.
set -euo pipefail

# One package a line, grouped by what needs it. --no-install-recommends keeps the install small,
# so every package whose absence would break a step is named here explicitly.
packages=(
  # build
  cmake ninja-build g++ pkg-config ccache make git
  # parser generator (the antlr4 tool, Java) and its C++ runtime; the static runtime needs uuid
  antlr4 libantlr4-runtime-dev uuid-dev
  # libraries the compiler links
  libseccomp-dev nlohmann-json3-dev libfmt-dev libboost-graph-dev libssl-dev
  # sbx-run: the egress proxy resolves names with c-ares (linked statically, no NSS)
  libc-ares-dev
  # sbx-inspect (request rules): Boost.Beast's HTTP/1 parser (headers) and OpenSSL (above)
  libboost1.74-dev
  # its tests: a test-only CA made with openssl, python3-requests as a client inside the sandbox
  openssl python3-requests
  # tests (systemd: only for systemd-analyze, which checks the exported units; it is not started)
  doctest-dev python3 python3-jsonschema python3-yaml systemd
  # fuzzing: clang with libFuzzer and the sanitizer runtimes
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
  # benchmarks and `sbxc graph` output; squid and tinyproxy: bench/egress_peers.sh's peers
  hyperfine graphviz squid-openssl tinyproxy
  # the SARIF validator's runtime needs ICU; npm fetches the validator itself (below)
  libicu72
  # real consumers of exported configs, and what the launcher tests use
  bubblewrap runc crun iproute2 curl
  # the programs the `sbxc init` templates' tools run (templates/ticket-assistant.sbx: curl, wget)
  wget
  # strace: a test slows the sandbox's set-up down to check that the task's timeout bounds it
  strace
  # real clients through socket brokering (tests/runtime/real_clients_test.cc): their servers
  # (PostgreSQL, redis, sshd serving git) run on loopback; busybox-static: a static wget and nc
  postgresql postgresql-client redis-server redis-tools openssh-server openssh-client busybox-static
  # sbxc completion zsh and sbxc man, used as zsh and man(1) use them (tests/cli/shell_support_test.sh)
  zsh groff-base man-db
)

die() {
  printf 'install-deps: error: %s\n' "$*" >&2
  exit 1
}

# Prints the packages among "$@" that are not fully installed. A package counts as present only
# in state "ii" (installed, no error); "rc" (removed, config left) or half-installed states need
# apt-get. dpkg-query exits non-zero when it has never heard of a package, which is simply
# "missing" here, hence the `|| true`.
not_installed() {
  local installed pkg
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null |
    awk '$2 == "ii" { print $1 }' || true)
  for pkg in "$@"; do
    grep -qxF -- "$pkg" <<<"$installed" || printf '%s\n' "$pkg"
  done
}

# Microsoft's SARIF validator (tests of `sbxc check --format sarif`), from the npm registry.
# npm 11 does not run the package's postinstall (chmod) unless allowed, so it is done here.
sarif_validator() {
  local root tool
  command -v npm >/dev/null 2>&1 || return 0  # npm comes with the machine or with Debian's npm
  root=$(npm root -g 2>/dev/null)
  tool=$root/@microsoft/sarif-multitool-linux/Sarif.Multitool
  if [[ ! -f $tool ]]; then
    printf 'install-deps: installing @microsoft/sarif-multitool-linux from npm\n'
    "${sudo_cmd[@]}" npm install -g --silent @microsoft/sarif-multitool-linux@5.7.0 >/dev/null 2>&1 ||
      die "npm could not install @microsoft/sarif-multitool-linux"
  fi
  [[ -x $tool ]] || "${sudo_cmd[@]}" chmod u+x,go+rx "$tool"
}

sudo_cmd=()
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
fi

command -v npm >/dev/null 2>&1 || packages+=(npm)
mapfile -t missing < <(not_installed "${packages[@]}")

if [[ ${#missing[@]} -eq 0 ]]; then
  sarif_validator
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found; this script supports Debian 12 only (missing: ${missing[*]})"

# CI runs as root; a developer may not. Use sudo when we are not root and it is available.
if [[ $(id -u) -ne 0 && ${#sudo_cmd[@]} -eq 0 ]]; then
  die "not root and sudo is not installed; run as root to install: ${missing[*]}"
fi

printf 'install-deps: installing %d package(s): %s\n' "${#missing[@]}" "${missing[*]}"

# apt output goes to a log and is shown only on failure, so a good run stays quiet.
log=$(mktemp "${TMPDIR:-/tmp}/sbxc-install-deps.XXXXXX")
trap 'rm -f "$log"' EXIT

run_apt() {
  if ! "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@" >>"$log" 2>&1; then
    printf 'install-deps: error: "apt-get %s" failed; its output follows.\n' "$*" >&2
    tail -n 40 "$log" >&2
    die "could not install: ${missing[*]}"
  fi
}

run_apt -q update
run_apt -q -y --no-install-recommends install "${missing[@]}"

# Verify, so that a package apt silently skipped is reported here rather than as a
# confusing configure error later.
mapfile -t still_missing < <(not_installed "${missing[@]}")
[[ ${#still_missing[@]} -eq 0 ]] || die "still not installed after apt-get install: ${still_missing[*]}"
sarif_validator
printf 'install-deps: done\n'
