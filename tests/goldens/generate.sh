#!/usr/bin/env bash
# Writes every artifact of every example policy into OUT_DIR, in the layout of tests/goldens/:
#
#   tests/goldens/generate.sh SBXC OUT_DIR
#
#   OUT_DIR/<example>/<target>/<task>/...   what `sbxc compile` wrote (target `sbx`: no --target)
#   OUT_DIR/<example>/<target>/compile.txt  the command, its exit code, stdout and stderr (the
#                                           diagnostics and the loss report)
#   OUT_DIR/MANIFEST                        modes other than 644, and binary outputs (seccomp.bpf)
#                                           by SHA-256; the binary files themselves are not kept
#
# Used by check.sh (the ctest) and scripts/update-goldens.sh. Run from anywhere; it compiles
# examples/*.sbx relative to the repository root, so diagnostics name `examples/<file>.sbx`.
# No artifact embeds a path of this machine; compile.txt's "wrote" lines name OUT_DIR as @OUT@.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 SBXC OUT_DIR" >&2
  exit 2
fi
sbxc=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
if [[ -n $(ls -A "$out") ]]; then
  echo "$0: $out is not empty" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

# Every target the binary offers (`sbx`, the native one, and each exporter), read from its
# answer to an unknown target, so that a new exporter gets goldens without editing this script.
choices=$("$sbxc" compile --target '?' -o /nonexistent /nonexistent 2>&1 || true)
choices=${choices#*choose one of: }
choices=${choices%%$'\n'*}
IFS=', ' read -r -a targets <<<"$choices"
if [[ ${#targets[@]} -lt 2 || ${targets[0]} != sbx ]]; then
  echo "$0: could not read the targets from \`sbxc compile --target ?\`: $choices" >&2
  exit 1
fi

# The same output whatever the day and the terminal: suppression expiry reads the date
# (classifier::todayUtc), so it is pinned to 2026-12-01 00:00 UTC; NO_COLOR keeps diagnostics plain.
export SOURCE_DATE_EPOCH=1796083200
export NO_COLOR=1 LC_ALL=C
unset TERM
umask 022

# The top-level examples, each of which declares tasks; examples/lib/ holds imported modules.
examples=(examples/*.sbx)

for file in "${examples[@]}"; do
  example=${file##*/}
  example=${example%.sbx}
  for target in "${targets[@]}"; do
    dir="$out/$example/$target"
    cmd=(compile "$file")
    # Lossy exports are kept: the loss report is an output to review like the others.
    [[ $target == sbx ]] || cmd+=(--target "$target" --allow-lossy)
    status=0
    "$sbxc" "${cmd[@]}" -o "$dir" >"$out/.stdout" 2>"$out/.stderr" || status=$?
    [[ -d $dir ]] || mkdir -p "$dir"
    # Builtins only (no cat): this loop runs 100-odd times and forks are slow on a loaded machine.
    {
      printf '$ sbxc %s -o @OUT@/%s/%s\nexit %d\n--- stdout\n' "${cmd[*]}" "$example" "$target" "$status"
      while IFS= read -r line || [[ -n $line ]]; do printf '%s\n' "${line//"$out"/@OUT@}"; done <"$out/.stdout"
      printf -- '--- stderr\n'
      while IFS= read -r line || [[ -n $line ]]; do printf '%s\n' "${line//"$out"/@OUT@}"; done <"$out/.stderr"
    } >"$dir/compile.txt"
  done
done
rm -f "$out/.stdout" "$out/.stderr"

# One manifest for what a text diff cannot show: files whose mode is not 644 (run.sh and other
# scripts), and binary outputs (any file with a NUL byte: seccomp.bpf) by digest. The binary
# files themselves are removed, so the golden tree stays reviewable text.
cd "$out"
mapfile -d '' binaries < <(find . -type f -print0 | xargs -0 -r grep -lZaP '\x00' | sort -z)
{
  echo "# Written by tests/goldens/generate.sh: not a compiler output."
  echo "# Files whose mode is not 644 (mode path):"
  find . -type f ! -perm 644 -printf '%m %P\n' | sort
  echo "# Binary outputs, not kept (sha256 path):"
  if [[ ${#binaries[@]} -gt 0 ]]; then
    sha256sum "${binaries[@]}" | sed 's|  \./|  |'
    rm -f "${binaries[@]}"
  fi
} >MANIFEST
