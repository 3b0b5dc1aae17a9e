#!/usr/bin/env bash
# HTTPS through proxies, side by side in one run (issue 18 point 8), against a loopback HTTPS origin
# (sbx_https_origin, a test-only CA made here) with curl as the client everywhere:
#   direct          curl on the host, no proxy
#   sbx-relay       curl inside sbx-run through its egress proxy's opaque CONNECT tunnel
#   sbx-brokered    curl inside sbx-run without proxy settings: its connect is brokered
#                   (runtime/socket_broker.h), the bytes then go straight to the origin
#   squid           curl on the host through squid's CONNECT          (when installed)
#   tinyproxy       curl on the host through tinyproxy's CONNECT      (when installed)
#   sbx-inspect     curl inside sbx-run as a tool whose requests the inspector judges one by one
#                   (TLS terminated with the run's CA, each request matched against the tool's
#                   request rules, then forwarded over TLS verified against the origin's CA)
#   mitmproxy       curl on the host through mitmdump, which intercepts TLS  (when installed)
#   squid-bump      curl on the host through squid with ssl-bump           (squid-openssl)
# Per path: the time of one request on a kept-alive connection (median of REQUESTS, after the
# first), the time to a first answer on a new connection (median of CONNECTIONS curl runs), the
# requests per second of one kept-alive connection, and a BYTES download's throughput (median of
# ROUNDS, default 5, the paths interleaved); each against direct. Only answers 200 (and the whole download) count; `failed` counts the others.
# Only 127.0.0.1 is used.
#
# Targets: sbx-relay throughput >= the best of squid and tinyproxy; sbx-inspect requests per
# second >= 3x mitmproxy's and >= squid-bump's; sbx-inspect adds < 1 ms per kept-alive request.
#
#   bench/inspect_peers.sh BUILD_DIR [REQUESTS [CONNECTIONS [BYTES]]]   (defaults 500, 50, 1 GiB)
#   SBX_BENCH_PATHS="direct sbx-inspect squid-bump" bench/inspect_peers.sh ...   (those paths only)
#   SBX_BENCH_ROUNDS=N bench/inspect_peers.sh ...                                 (N downloads a path)
set -euo pipefail
build=$(cd "${1:?usage: inspect_peers.sh BUILD_DIR [REQUESTS [CONNECTIONS [BYTES]]]}" && pwd)
requests=${2:-500} connections=${3:-50} bytes=${4:-$((1 << 30))} rounds=${SBX_BENCH_ROUNDS:-5}
sbx_run=$build/runtime/sbx-run origin=$build/bench/sbx_https_origin
port=28150 squid_port=28151 tinyproxy_port=28152 mitm_port=28153 bump_port=28154
for tool in curl openssl "$sbx_run" "$origin"; do
  command -v "$tool" >/dev/null || { echo "inspect_peers.sh: $tool is missing (build: scripts/build.sh release)" >&2; exit 1; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
mkdir -p "$work/ws"
[ "$(id -u)" -ne 0 ] || chown 65534:65534 "$work/ws"

# The origin's test-only CA and its certificate for 127.0.0.1; a second CA for squid's bumping.
quiet() { "$@" >/dev/null 2>&1; }
make_ca() {
  quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=$2" \
    -keyout "$work/$1.key" -out "$work/$1.pem"
}
make_ca ca "sbx bench origin CA"
make_ca bump "sbx bench squid-bump CA"
quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
  -keyout "$work/origin.key" -out "$work/origin.csr"
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$work/ext"
quiet openssl x509 -req -in "$work/origin.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
  -extfile "$work/ext" -out "$work/origin.pem"
# Every client trusts the host's bundle plus its proxy's (or the origin's) CA, as sbx-run's bundle
# is built: curl parses the whole file on each start, which a lone CA would make look cheaper.
system_bundle=/etc/ssl/certs/ca-certificates.crt
for ca in ca bump; do cat "$system_bundle" "$work/$ca.pem" >"$work/$ca-bundle.pem"; done
cp "$work/ca-bundle.pem" "$work/ws/ca-bundle.pem"
"$origin" $port "$work/origin.pem" "$work/origin.key" & pids+=($!)

paths=(direct sbx-relay sbx-brokered)
if command -v squid >/dev/null; then
  # One squid: a plain CONNECT port and an ssl-bump port (squid-openssl). It stares at the origin's
  # certificate before bumping, so the one it mints mimics it (its IP address as the name).
  chmod 644 "$work"/*.pem "$work"/*.key
  certgen=/usr/lib/squid/security_file_certgen
  bump=
  if [ -x $certgen ] && squid -v | grep -q enable-ssl-crtd; then
    quiet $certgen -c -s "$work/ssl_db" -M 4MB
    chown -R proxy: "$work/ssl_db" 2>/dev/null || true
    cat "$work/bump.pem" "$work/bump.key" >"$work/bump-both.pem"
    chmod 644 "$work/bump-both.pem"
    bump="http_port 127.0.0.1:$bump_port ssl-bump cert=$work/bump-both.pem generate-host-certificates=on dynamic_cert_mem_cache_size=4MB
sslcrtd_program $certgen -s $work/ssl_db -M 4MB
acl step1 at_step SslBump1
ssl_bump peek step1
ssl_bump stare all
ssl_bump bump all
tls_outgoing_options cafile=$work/ca.pem"
  fi
  cat >"$work/squid.conf" <<CONF
http_port 127.0.0.1:$squid_port
$bump
http_access allow all
cache deny all
pid_filename $work/squid.pid
access_log none
cache_log $work/squid.log
coredump_dir $work
CONF
  squid -N -f "$work/squid.conf" & pids+=($!)
  paths+=(squid)
fi
if command -v tinyproxy >/dev/null; then
  printf 'Port %s\nListen 127.0.0.1\nTimeout 600\nMaxClients 100\nUser nobody\nGroup nogroup\nLogLevel Critical\n' \
    $tinyproxy_port >"$work/tinyproxy.conf"
  tinyproxy -d -c "$work/tinyproxy.conf" >/dev/null 2>&1 & pids+=($!)
  paths+=(tinyproxy)
fi
paths+=(sbx-inspect)
if command -v mitmdump >/dev/null; then
  # --set stream_large_bodies: mitmproxy relays a large body as it arrives instead of holding it.
  mitmdump -q --listen-host 127.0.0.1 -p $mitm_port --set confdir="$work/mitm" --set stream_large_bodies=1m \
    --set ssl_verify_upstream_trusted_ca="$work/ca.pem" >"$work/mitm.log" 2>&1 & pids+=($!)
  paths+=(mitmproxy)
fi
[ -n "${bump:-}" ] && paths+=(squid-bump)
# SBX_BENCH_PATHS="direct sbx-inspect ...": only these paths (the others are not measured).
if [ -n "${SBX_BENCH_PATHS:-}" ]; then
  chosen=()
  for path in "${paths[@]}"; do [[ " $SBX_BENCH_PATHS " == *" $path "* ]] && chosen+=("$path"); done
  paths=("${chosen[@]}")
fi
# Each proxy is ready once it answers on its port (squid starts its helpers first).
for p in $squid_port $tinyproxy_port $mitm_port $bump_port; do
  for ((i = 0; i < 100; ++i)); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/" && break
    [ $? -ne 7 ] && break  # answered, with an error page or a closed connection: listening
    sleep 0.2
  done
done

[ ! -s "$work/mitm/mitmproxy-ca-cert.pem" ] || cat "$system_bundle" "$work/mitm/mitmproxy-ca-cert.pem" >"$work/mitm-bundle.pem"

# The tasks: curl through the relay (the task's own process), and curl as the tool `client`
# whose two actions are the origin's two requests.
cat >"$work/relay.sbx" <<POLICY
import std.programs
import std.syscalls
task bench_relay {
  use programs.shell
  use programs.curl
  write workspace
  timeout 900s
  connect "127.0.0.1:$port"
  syscalls {
    default errno EPERM
    allow @syscalls.network-io
  }
  limits { memory 1GiB  pids 64 }
}
POLICY
cat >"$work/inspect.sbx" <<POLICY
import std.programs
import std.syscalls
task bench_inspect {
  use programs.shell
  write workspace
  timeout 900s
  tool client {
    description "curl, for the bench origin"
    exec "/usr/bin/curl"
    system "127.0.0.1:$port" test
    action small effect read reversible {
      request GET "https://127.0.0.1:$port/small"
    }
    action download effect read reversible {
      request GET "https://127.0.0.1:$port/bytes/{n}"
    }
    connect "127.0.0.1:$port"
  }
  syscalls {
    default errno EPERM
    allow @syscalls.network-io
  }
  limits { memory 1GiB  pids 64 }
}
POLICY
export SBX_RUN_CACHE=$work/cache

url=https://127.0.0.1:$port
# curl's options for PATH: its proxy and the CA it trusts ($ws: the CA's path as the client sees it).
curl_options() {
  case $1 in
    direct) echo "--noproxy '*' --cacert $work/ca-bundle.pem" ;;
    sbx-relay) echo "--cacert /workspace/ca-bundle.pem" ;;            # HTTPS_PROXY is sbx-run's proxy
    sbx-brokered) echo "--noproxy '*' --cacert /workspace/ca-bundle.pem" ;;
    sbx-inspect) echo "" ;;                                      # the run's bundle (CURL_CA_BUNDLE)
    squid) echo "-x http://127.0.0.1:$squid_port --cacert $work/ca-bundle.pem" ;;
    tinyproxy) echo "-x http://127.0.0.1:$tinyproxy_port --cacert $work/ca-bundle.pem" ;;
    mitmproxy) echo "-x http://127.0.0.1:$mitm_port --cacert $work/mitm-bundle.pem" ;;
    squid-bump) echo "-x http://127.0.0.1:$bump_port --cacert $work/bump-bundle.pem" ;;
  esac
}
# Runs the shell SCRIPT where PATH's client runs: inside sbx-run for the sbx paths.
run_script() {
  case $1 in
    sbx-relay | sbx-brokered) "$sbx_run" --workspace "$work/ws" "$work/relay.sbx" -- /bin/sh -c "$2" ;;
    sbx-inspect) "$sbx_run" --workspace "$work/ws" --upstream-ca "$work/ca.pem" "$work/inspect.sbx" -- /bin/sh -c "$2" ;;
    *) /bin/sh -c "$2" ;;
  esac
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A kept fresh rate failed
for path in "${paths[@]}"; do
  options=$(curl_options "$path")
  # Kept alive: one curl, REQUESTS transfers of /small on one connection (curl reuses it).
  config=$work/$path.curlrc
  : >"$config"
  for ((i = 0; i < requests; ++i)); do printf 'url = "%s/small"\noutput = "/dev/null"\n' "$url" >>"$config"; done
  [[ $path != sbx-* ]] || cp "$config" "$work/ws/kept.curlrc"
  [[ $path != sbx-* ]] || config=/workspace/kept.curlrc
  run_script "$path" "curl -sS $options -K $config -w '%{http_code} %{time_total}\n'" >"$work/$path.kept" || true
  kept[$path]=$(tail -n +2 "$work/$path.kept" | awk '$1 == 200 { print $2 * 1e6 }' | median)
  # New connections: CONNECTIONS curl runs of one request each.
  run_script "$path" "i=0; while [ \$i -lt $connections ]; do curl -sS $options -o /dev/null -w '%{http_code} %{time_total}\n' $url/small; i=\$((i + 1)); done" \
    >"$work/$path.fresh" || true
  fresh[$path]=$(awk '$1 == 200 { print $2 * 1e6 }' "$work/$path.fresh" | median)
  failed[$path]=$(awk '$1 != 200' "$work/$path.kept" "$work/$path.fresh" | wc -l)
  : >"$work/$path.rate"
done
# Throughput: BYTES in one response, the median of ROUNDS. The rounds interleave the paths: a
# neighbour's load on the VM then weighs on every path alike (three processes share two cores:
# client, proxy and origin, each busy for the whole download).
for ((round = 0; round < rounds; ++round)); do
  for path in "${paths[@]}"; do
    run_script "$path" "curl -sS $(curl_options "$path") -o /dev/null -w '%{http_code} %{size_download} %{speed_download}\n' $url/bytes/$bytes" |
      awk -v b=$bytes '$1 == 200 && $2 == b { printf "%.1f\n", $3 / 1048576 }' >>"$work/$path.rate" || true
  done
done
for path in "${paths[@]}"; do
  rate[$path]=$(median <"$work/$path.rate")
  [ -n "${rate[$path]}" ] || failed[$path]=$((failed[$path] + 1))
done

echo "HTTPS through proxies: $requests kept-alive requests, $connections new connections, $((bytes >> 20)) MiB download"
printf '%-12s %10s %9s %11s %9s %8s %8s %6s %6s\n' path kept-us added-us new-conn-us added-us req/s MiB/s ratio failed
for path in "${paths[@]}"; do
  awk -v p="$path" -v k="${kept[$path]:-0}" -v kd="${kept[direct]}" -v f="${fresh[$path]:-0}" -v fd="${fresh[direct]}" \
    -v r="${rate[$path]:-0}" -v rd="${rate[direct]:-0}" -v x="${failed[$path]}" 'BEGIN {
      printf "%-12s %10.0f %9.0f %11.0f %9.0f %8.0f %8.1f %6.2f %6d\n", p, k, k - kd, f, f - fd, (k > 0 ? 1e6 / k : 0), r, (rd > 0 ? r / rd : 0), x }'
done
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a; else printf "n/a" }'; }
echo "sbx-inspect requests/s vs mitmproxy: $(ratio "${kept[sbx-inspect]:-0}" "${kept[mitmproxy]:-0}")x (target >= 3)"
echo "sbx-inspect requests/s vs squid-bump: $(ratio "${kept[sbx-inspect]:-0}" "${kept[squid-bump]:-0}")x (target >= 1)"
best=$(printf '%s\n' "${rate[squid]:-0}" "${rate[tinyproxy]:-0}" | sort -g | tail -1)
echo "sbx-relay throughput vs the best of squid and tinyproxy: $(awk -v a="${rate[sbx-relay]:-0}" -v b="$best" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }') (target >= 1)"
echo "sbx-inspect added per kept-alive request: $(awk -v a="${kept[sbx-inspect]:-0}" -v d="${kept[direct]}" 'BEGIN { printf "%.0f", a - d }') us (target < 1000)"
