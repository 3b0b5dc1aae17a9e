#!/usr/bin/env bash
# HTTPS through sbx-run's relay and its inspector, side by side with the proxies people run
# (bench/inspect_peers.sh: squid and tinyproxy for the relay, mitmproxy and squid with ssl-bump for
# the interception), in one run on this machine. mitmproxy is the one peer scripts/install-deps.sh
# does not install (CI never needs it): it is installed here when missing.
#
#   bench/inspect.sh [REQUESTS [CONNECTIONS [BYTES]]]     (defaults 500, 50, 1 GiB)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
case ${1:-} in
  -h | --help) sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
esac
scripts/install-deps.sh
if ! command -v mitmdump >/dev/null && [ "$(id -u)" -eq 0 ]; then
  apt-get install -y --no-install-recommends mitmproxy >/dev/null || echo "inspect.sh: mitmproxy not installed; its row is left out" >&2
fi
scripts/build.sh release >/dev/null
bench/inspect_peers.sh build/release "$@"
