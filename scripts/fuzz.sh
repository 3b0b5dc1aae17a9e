#!/usr/bin/env bash
# Fuzzes the front end with libFuzzer (docs/fuzzing.md), in two stages.
#
#   scripts/fuzz.sh [SECONDS] [LIBFUZZER_FLAGS...]     (default: 60 seconds)
#
# Builds build/fuzz-fast (UBSan) and build/fuzz (ASan + UBSan), makes a fresh seed corpus from
# every .sbx file in the repository (examples/, stdlib-policies/, tests/; never committed), and
# explores for SECONDS with the fast build, parse and resolve only, and the language dictionary;
# then replays every corpus input and seed under ASan with all of the harness's checks. New
# inputs collect in build/fuzz/corpus, which persists between runs; a crashing input is written
# to build/fuzz/artifacts/. Logs: build/fuzz/fuzz.log, build/fuzz/replay.log. Exits non-zero on
# any crash, leak, timeout (5 s per input) or OOM (2 GiB) in either stage. LIBFUZZER_FLAGS go
# to the exploring stage.
set -euo pipefail

usage() { sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=60
case ${1:-} in
  -h | --help) usage; exit 0 ;;
  '' | -*) ;;
  *[!0-9]*) usage >&2; exit 2 ;;
  *) seconds=$1; shift ;;
esac

# quarantine_size_mb=10 (OSS-Fuzz's setting): ASan keeps freed memory from reuse for a while to
# catch use after free; the default 256 MB made every allocation touch fresh pages (a fifth of
# the run in page faults, 500 MB of RSS) for little more finding power in a harness whose inputs
# live a few milliseconds. Put first, so that ASAN_OPTIONS from outside (scripts/test.sh sets
# detect_leaks=1 for the whole suite) keeps it unless it sets a quarantine of its own.
export ASAN_OPTIONS=quarantine_size_mb=10:${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

scripts/build.sh fuzz

dir="$root/build/fuzz"
harness="$dir/tests/fuzz/fuzz_frontend" fast="$root/build/fuzz-fast/tests/fuzz/fuzz_frontend"
seeds="$dir/seeds" corpus="$dir/corpus" artifacts="$dir/artifacts" work="$dir/run"
log="$dir/fuzz.log" replay_log="$dir/replay.log"
for binary in "$fast" "$harness"; do
  [[ -x $binary ]] || { echo "fuzz.sh: $binary was not built" >&2; exit 1; }
done

# Valid policies (examples, stdlib) and malformed ones (tests) both make good seeds. Paths are
# flattened into names so that equal base names in different directories do not clash.
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$artifacts" "$work"
n=0
while IFS= read -r -d '' file; do
  cp "$file" "$seeds/${file//\//_}"
  n=$((n + 1))
done < <(find examples stdlib-policies tests -type f -name '*.sbx' -print0 2>/dev/null)

printf '==> fuzz fuzz_frontend for %ss (%d seed files)\n' "$seconds" "$n"
# Run from an empty directory: relative imports in generated inputs resolve against the
# current directory and must not read the repository's files. The first corpus directory
# receives new inputs; the seeds are only read. libFuzzer is chatty, so its output goes to
# the log and is shown only on failure.
# Inputs written to artifacts/ after this marker are this run's findings. The fork mode with
# -ignore_crashes=1 records crashes there and still exits 0, so the exit code alone is not enough.
# -entropic=0: libFuzzer 14's entropic scheduler spent over 80% of the time updating feature
# frequencies on this harness (perf), for a quarter of the executions per second.
marker="$dir/run-started"
touch "$marker"

# fail LOG RC WHAT: prints the end of LOG and what was found, and exits 1.
fail() {
  local log=$1 rc=$2 what=$3 status
  status=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | tr -s ' \t' ' ' || true)
  tail -n 80 "$log"
  [[ ${#found[@]} -eq 0 ]] || printf 'fuzz.sh: found %s\n' "${found[@]#"$root"/}" >&2
  printf 'fuzz.sh: %s failed (exit %d, %d new input(s) in artifacts); last status: %s\n' \
    "$what" "$rc" "${#found[@]}" "${status:-none}" >&2
  printf 'fuzz.sh: log %s, reproducers in %s\n' "${log#"$root"/}" "${artifacts#"$root"/}/" >&2
  exit 1
}

# Stage 1: explore with the UBSan build, parse and resolve only (SBX_FUZZ_RESOLVE_ONLY=1): the
# rate that makes a minute worth something.
rc=0
(cd "$work" && SBX_FUZZ_RESOLVE_ONLY=1 "$fast" -dict="$root/tests/fuzz/sbx.dict" \
  -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=4096 -entropic=0 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" "$corpus" "$seeds") >"$log" 2>&1 || rc=$?
mapfile -t found < <(find "$artifacts" -type f -newer "$marker" | sort)
[[ $rc -eq 0 && ${#found[@]} -eq 0 ]] || fail "$log" "$rc" "fuzz_frontend (UBSan, exploring)"

# -print_final_stats=1 ends the log with "stat::number_of_executed_units: N" and the like: the
# run's total executions, executions per second and peak memory, for the summary line. The
# fork mode prints no such stats; its last status line ("#N DONE .. exec/s: ..") has them.
status=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | tr -s ' \t' ' ' || true)
final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
execs=$(final_stat number_of_executed_units) rate=$(final_stat average_exec_per_sec)
peak=$(final_stat peak_rss_mb)
[[ -n $execs ]] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$status")
[[ -n $rate ]] || rate=$(sed -n 's/.*exec\/s: *\([0-9]*\).*/\1/p' <<<"$status")

# Stage 2: every input of the corpus and the seeds once more under ASan + UBSan, with every
# check of the harness (diagnostics rendered, fmt round trip, model equality) and leak detection.
started=$SECONDS
rc=0
(cd "$work" && env -u SBX_FUZZ_RESOLVE_ONLY "$harness" -runs=0 -timeout=5 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" "$corpus" "$seeds") >"$replay_log" 2>&1 || rc=$?
mapfile -t found < <(find "$artifacts" -type f -newer "$marker" | sort)
[[ $rc -eq 0 && ${#found[@]} -eq 0 ]] || fail "$replay_log" "$rc" "fuzz_frontend (ASan, replaying the corpus)"
replayed=$(sed -n 's/^#\([0-9]*\)[[:space:]]*INITED.*/\1/p' "$replay_log" | tail -n 1)
replay_peak=$(sed -n 's/.*INITED.* rss: *\([0-9]*\)Mb.*/\1/p' "$replay_log" | tail -n 1)

printf 'fuzz_frontend: %ss, no crash, %s executions, %s exec/s, peak %s MB (UBSan, parse and resolve); ' \
  "$seconds" "${execs:-?}" "${rate:-?}" "${peak:-?}"
printf 'corpus %d files, %s inputs replayed under ASan with every check in %ss, peak %s MB\n' \
  "$(find "$corpus" -type f | wc -l)" "${replayed:-?}" "$((SECONDS - started))" "${replay_peak:-?}"
