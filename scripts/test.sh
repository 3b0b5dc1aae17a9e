#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run):
#
#   1. install the Debian packages (a no-op when they are present),
#   2. build release and asan, and run ctest in both,
#   3. build the libFuzzer harnesses, fuzz the front end for a minute seeded with every .sbx file
#      in the repository, and replay what it found under ASan (scripts/fuzz.sh); any crash, leak,
#      timeout or OOM fails the suite.
#
# Every stage runs even when an earlier one failed, so one run shows everything that is broken.
# The last line is "N passed, N failed": the ctest results of both configurations added up,
# with the fuzz run counted as one test and a build that failed (so ran no test) as one failure.
#
# Environment: SBXC_FUZZ_SECONDS (default 60), SBXC_JOBS (default: number of cores).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

jobs=${SBXC_JOBS:-$(nproc 2>/dev/null || echo 2)}
fuzz_seconds=${SBXC_FUZZ_SECONDS:-60}
export SBXC_JOBS=$jobs

# Sanitizer settings for every instrumented binary the tests start (a caller's own settings win).
# Leaks are failures. UBSan would otherwise print a warning and carry on, and a test that does
# not read stderr would pass straight through it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
skipped=0
stages=()   # one line per stage for the closing summary

note_failure() {
  failed=$((failed + 1))
  stages+=("FAIL  $1")
}

# Builds one configuration and runs its tests, adding ctest's counts to the totals.
run_ctest() {
  local config=$1
  local log="build/$config/ctest.log"
  if ! scripts/build.sh "$config"; then
    note_failure "$config: build failed, no tests ran"
    return
  fi
  printf '==> ctest %s\n' "$config"
  # --no-tests=error: a configuration that registers no test is broken, not green.
  # --timeout: a hung test fails on its own instead of eating CI's time budget.
  local rc=0
  ctest --test-dir "build/$config" --output-on-failure --no-tests=error --timeout 600 \
    --parallel "$jobs" 2>&1 | tee "$log" || rc=$?

  # ctest closes with "NN% tests passed, F tests failed out of T", then lists the tests that
  # did not run. T includes skipped tests (counted as passed in that line) but not disabled ones.
  local summary total fail skip pass
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [[ -z $summary ]]; then
    note_failure "$config: ctest produced no summary (exit $rc)"
    return
  fi
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
  fail=$(sed -E 's/.*, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
  skip=$(grep -cE '^[[:space:]]*[0-9]+ - .*\(Skipped\)[[:space:]]*$' "$log" || true)
  pass=$((total - fail - skip))
  skip=$((skip + $(grep -cE '^[[:space:]]*[0-9]+ - .*\(Disabled\)[[:space:]]*$' "$log" || true)))
  passed=$((passed + pass))
  failed=$((failed + fail))
  skipped=$((skipped + skip))
  if [[ $fail -gt 0 || $rc -ne 0 ]]; then
    stages+=("FAIL  $config: $pass passed, $fail failed, $skip skipped (ctest exit $rc)")
    # ctest exited non-zero with no failed test (e.g. a test it could not start): still a failure.
    [[ $fail -gt 0 ]] || failed=$((failed + 1))
  else
    stages+=("ok    $config: $pass passed, $skip skipped")
  fi
}

# Builds the fuzz configuration and fuzzes the front end for $fuzz_seconds seconds.
run_fuzz() {
  if ! scripts/build.sh fuzz; then
    note_failure "fuzz: build failed"
    return
  fi
  local out=build/fuzz/summary.txt
  if ! scripts/fuzz.sh "$fuzz_seconds" 2>&1 | tee "$out"; then
    note_failure "fuzz: crash, leak, timeout or OOM (see build/fuzz/fuzz.log, build/fuzz/replay.log and build/fuzz/artifacts/)"
    return
  fi
  passed=$((passed + 1))
  stages+=("ok    $(tail -n 1 "$out")")
}

if ! scripts/install-deps.sh; then
  echo "test.sh: installing dependencies failed; nothing else can run" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

run_ctest release
run_ctest asan
run_fuzz

echo
echo "==> summary"
printf '  %s\n' "${stages[@]}"
if [[ $skipped -gt 0 ]]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[[ $failed -eq 0 ]]
