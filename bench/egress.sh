#!/usr/bin/env bash
# sbx-run's egress proxy against a direct loopback connection, in one run on this machine
# (bench/egress_bench.cc): a 1 GiB transfer to a sink through the proxy's CONNECT tunnel (relayed
# with splice) and directly, and the time until a connection is usable (direct: connect; proxied:
# connect, CONNECT, the proxy's own connect, its 200 reply). Also the CPU time per GiB of each
# path and the throughput ratio that cost allows at most on this machine's CPUs (docs/egress.md).
#
# Targets: at least 0.90 of direct throughput, at most 1 ms added per connection. Prints; exits 0
# whether or not the targets are met (it measures, it does not gate). Only 127.0.0.1 is used.
#
# Then bench/egress_peers.sh: the same against the real sbx-run, side by side: direct, brokered
# (socket_broker.h: no proxy at all), sbx-run's relay, squid and tinyproxy.
#
#   bench/egress.sh [ROUNDS [CONNECTIONS]]     (defaults 5 and 300; egress_peers.sh: 5 and 1000)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
case ${1:-} in
  -h | --help) sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
esac
scripts/install-deps.sh
scripts/build.sh release >/dev/null
build/release/bench/sbx_egress_bench "${1:-5}" "${2:-300}"
bench/egress_peers.sh build/release "${1:-5}" "${2:-1000}"
