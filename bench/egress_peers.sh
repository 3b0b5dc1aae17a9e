#!/usr/bin/env bash
# Egress side by side, in one run, against the real sbx-run (issue 21 point 6): a 1 GiB transfer
# from a loopback source and the time to a usable connection to a loopback server that accepts and
# closes (netprobe sink: no work of its own per connection), for
#   direct     the client on the host, no sandbox
#   brokered   the client inside sbx-run, no proxy settings: its connect is made by the supervisor
#              and the host socket installed in its place (runtime/socket_broker.h)
#   relay      the client inside sbx-run through sbx-run's egress proxy (CONNECT, splice relay)
#   squid      the client on the host through squid (CONNECT), when squid is installed
#   tinyproxy  the same through tinyproxy, when installed
# Medians over ROUNDS; ratios and added times against direct in the same round. Also the
# supervisor's CPU per brokered connection: sbx-run's own CPU time (/proc/PID/stat) after N and after 10 N
# connects, the difference divided by 9 N. Only 127.0.0.1 is used.
#
# Targets: brokered throughput >= 0.95 of direct; connect added <= 100 us over direct.
#
#   bench/egress_peers.sh BUILD_DIR [ROUNDS [CONNECTIONS]]     (defaults 3 and 300)
set -euo pipefail
build=$(cd "${1:?usage: egress_peers.sh BUILD_DIR [ROUNDS [CONNECTIONS]]}" && pwd)
rounds=${2:-3} connections=${3:-300}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sbx_run=$build/runtime/sbx-run probe=$build/tests/sbx-netprobe
bytes=$((1 << 30)) port=28140 squid_port=28141 tinyproxy_port=28142 sink_port=28143
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/ws"
chmod 1777 "$work"
[ "$(id -u)" -ne 0 ] || chown 65534:65534 "$work/ws"
cat >"$work/bench.sbx" <<POLICY
import std.programs
import std.syscalls
task bench {
  use programs.shell
  write workspace
  read "$(dirname "$probe")"
  timeout 600s
  connect "127.0.0.1:$port"
  connect "127.0.0.1:$sink_port"
  syscalls {
    default errno EPERM
    allow @syscalls.network-io
  }
  limits { memory 1GiB  pids 64 }
}
POLICY
export SBX_RUN_CACHE=$work/cache

"$probe" source $port >/dev/null & pids+=($!)
"$probe" sink $sink_port >/dev/null & pids+=($!)
if command -v squid >/dev/null; then
  cat >"$work/squid.conf" <<CONF
http_port 127.0.0.1:$squid_port
http_access allow all
cache deny all
pid_filename $work/squid.pid
access_log none
cache_log $work/squid.log
coredump_dir $work
CONF
  squid -N -f "$work/squid.conf" & pids+=($!)
fi
if command -v tinyproxy >/dev/null; then
  printf 'Port %s\nListen 127.0.0.1\nTimeout 600\nMaxClients 100\nUser nobody\nGroup nogroup\nLogLevel Critical\n' \
    $tinyproxy_port >"$work/tinyproxy.conf"
  tinyproxy -d -c "$work/tinyproxy.conf" >/dev/null 2>&1 & pids+=($!)
fi
sleep 1

inside() { "$sbx_run" --workspace "$work/ws" "$work/bench.sbx" -- "$@"; }
# One measurement of PATH: the probe's line.
measure() {
  local path=$1; shift
  case $path in
    direct) "$probe" "$@" ;;
    brokered) inside "$probe" "$@" ;;
    relay) inside "$probe" "$@" 127.0.0.1 3128 ;;
    squid) "$probe" "$@" 127.0.0.1 $squid_port ;;
    tinyproxy) "$probe" "$@" 127.0.0.1 $tinyproxy_port ;;
  esac
}
paths=(direct brokered relay)
command -v squid >/dev/null && paths+=(squid)
command -v tinyproxy >/dev/null && paths+=(tinyproxy)

# Rounds interleave the paths: a neighbour's load on the VM then weighs on every path alike. Each
# path's ratio and added time are the medians of its per-round ones against direct in the same
# round (paired: a drift in the VM's speed between rounds cancels out); MiB/s and connect-us are
# the medians of the rounds.
for path in "${paths[@]}"; do : >"$work/$path.rate" && : >"$work/$path.connect"; done
for ((r = 0; r < rounds; ++r)); do
  for path in "${paths[@]}"; do
    measure "$path" receive 127.0.0.1 $port $bytes |
      awk -v b=$bytes -v r=$r '/^received/ && $2 >= b { printf "%d %.1f\n", r, $2 / $4 / 1048576 }' >>"$work/$path.rate"
    measure "$path" connects 127.0.0.1 $sink_port "$connections" |
      awk -v r=$r '/^connect median/ { print r, $3 }' >>"$work/$path.connect"
  done
done
# The median of the numbers on standard input; of each round's value in FILE (lines "ROUND VALUE").
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
values() { awk '{ print $2 }' "$1"; }
# Each round's value in FILE divided by (OP "/") or less (OP "-") BASE's value in the same round.
paired() {
  awk -v op="$1" 'NR == FNR { base[$1] = $2; next }
    ($1 in base) { if (op == "-") print $2 - base[$1]; else if (base[$1] > 0) print $2 / base[$1] }' "$3" "$2"
}

echo "egress side by side: 1 GiB from 127.0.0.1:$port, median of $rounds rounds; connect: median of $rounds medians of $connections"
printf '%-10s %12s %8s %14s %12s\n' path MiB/s ratio connect-us added-us
for path in "${paths[@]}"; do
  rate=$(values "$work/$path.rate" | median) ratio=$(paired / "$work/$path.rate" "$work/direct.rate" | median)
  connect=$(values "$work/$path.connect" | median)
  added=$(paired - "$work/$path.connect" "$work/direct.connect" | median)
  printf '%-10s %12s %8s %14s %12s\n' "$path" "${rate:-?}" "$(printf '%.2f' "${ratio:-nan}")" "${connect:-?}" \
    "$(printf '%.1f' "${added:-nan}")"
done

# The supervisor's CPU per brokered connection: sbx-run's own threads, read while the payload
# sleeps after its connects (the payload's and init's CPU are theirs, not in sbx-run's stat).
tick=$(getconf CLK_TCK)
supervisor_cpu() {
  local out=$work/cpu.out
  : >"$out"
  "$sbx_run" --workspace "$work/ws" "$work/bench.sbx" -- /bin/sh -c "$probe connects 127.0.0.1 $sink_port $1 && sleep 2" \
    >"$out" &
  local launcher=$!
  until grep -q 'connect median' "$out"; do sleep 0.05; done
  awk '{ print $14 + $15 }' "/proc/$launcher/stat"
  wait "$launcher"
}
few=$((connections)) many=$((connections * 10))
low=$(supervisor_cpu $few) high=$(supervisor_cpu $many)
awk -v l="$low" -v h="$high" -v t="$tick" -v n=$((many - few)) \
  'BEGIN { printf "supervisor CPU per brokered connection: %.1f us (%d more connections, %d ticks of 1/%d s)\n", (h - l) / t / n * 1e6, n, h - l, t }'
echo "targets: brokered >= 0.95 of direct; connect added <= 100 us"
