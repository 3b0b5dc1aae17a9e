#!/usr/bin/env bash
# Launcher start-up, measured with hyperfine in one run on this machine:
#
#   sbx-run examples/contained.sbx -- /bin/true        (compiled once, then served from the cache)
#   bwrap --unshare-all --die-with-parent --new-session --cap-drop ALL with the same read-only
#        binds, a writable workspace, /proc, /dev and a tmpfs /tmp -- /bin/true
#
# Target: sbx-run at most 0.7 times bwrap's median. Prints the table and the ratio; exits 0
# whether or not the target is met (it measures, it does not gate).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/install-deps.sh
scripts/build.sh release >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sbx-launch-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ws" "$tmp/cache"
sbxrun="$root/build/release/runtime/sbx-run"
export SBX_RUN_CACHE="$tmp/cache"
"$sbxrun" --workspace "$tmp/ws" examples/contained.sbx -- /bin/true  # fills the cache

binds=()
for p in /usr /lib /lib64 /bin /sbin /etc/ld.so.cache /etc/ld.so.conf /etc/ld.so.conf.d /etc/alternatives \
  /etc/ssl /etc/passwd /etc/group; do
  [[ -e $p ]] && binds+=(--ro-bind "$p" "$p")
done
bwrap_cmd="bwrap --unshare-all --die-with-parent --new-session --cap-drop ALL ${binds[*]} \
--bind $tmp/ws /workspace --proc /proc --dev /dev --tmpfs /tmp -- /bin/true"
"${bwrap_cmd%% *}" --version >/dev/null

hyperfine -N --style basic --warmup 20 --min-runs 200 --export-json "$tmp/r.json" \
  -n sbx-run "$sbxrun --workspace $tmp/ws examples/contained.sbx -- /bin/true" \
  -n bwrap "$bwrap_cmd"
/usr/bin/python3 - "$tmp/r.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
s, b = r["sbx-run"]["median"] * 1000, r["bwrap"]["median"] * 1000
print(f"\nsbx-run median {s:.2f} ms, bwrap median {b:.2f} ms: ratio {s / b:.2f} (target <= 0.70)")
PY
