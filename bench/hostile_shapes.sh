#!/usr/bin/env bash
# What hostile policy shapes cost `sbxc check`: time and peak memory of each, one run each.
#
#   diamonds N   N levels of diamonds: each level includes the one below through two groups
#                (2^N paths to one syscall; nested 2N+1 deep, so N >= 32 ends in nesting-too-deep)
#   groups N     a chain of N groups, each including the previous one
#   profiles N   a chain of N profiles, each using the previous one
#   list N       one group of N syscalls, and a rule of N values in one `in { }` set
#   string N     a description of N bytes
#   imports N    a chain of N files, each importing the next
#
#   bench/hostile_shapes.sh [SBXC]     (default: build/release/compiler/sbxc)
#
# Every shape must stay linear in the size of the file: the resolver expands each group once, as
# a set union, and stops nesting at 64 levels (SBX0059). `sbxc check` exits 0 or 2 on these;
# anything else (a crash, a timeout after 60 s) is printed as such. Measures, does not gate.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sbxc=${1:-$root/build/release/compiler/sbxc}
[[ -x $sbxc ]] || { echo "hostile_shapes.sh: $sbxc not built (scripts/build.sh release)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

diamonds() {
  echo 'group level0 { read }'
  for ((i = 1; i <= $1; i++)); do
    echo "group left$i { @level$((i - 1)) }"
    echo "group right$i { @level$((i - 1)) }"
    echo "group level$i { @left$i, @right$i }"
  done
  printf 'task t {\n  syscalls {\n    allow @level%d\n  }\n}\n' "$1"
}

groups() {
  echo 'group level0 { read }'
  for ((i = 1; i < $1; i++)); do echo "group level$i { @level$((i - 1)) }"; done
  printf 'task t {\n  syscalls {\n    allow @level%d\n  }\n}\n' $(($1 - 1))
}

profiles() {
  echo 'profile level0 { timeout 10m }'
  for ((i = 1; i < $1; i++)); do echo "profile level$i { use level$((i - 1)) }"; done
  printf 'task t {\n  use level%d\n}\n' $(($1 - 1))
}

list() {
  printf 'group big {\n'
  for ((i = 0; i < $1; i++)); do printf '  read,\n'; done
  printf '}\ntask t {\n  syscalls {\n    allow @big\n    errno EPERM ioctl if arg1 in {'
  for ((i = 0; i < $1; i++)); do printf '%d, ' "$i"; done
  printf '0}\n  }\n}\n'
}

string() {
  printf 'task t {\n  description "'
  head -c "$1" /dev/zero | tr '\0' x
  printf '"\n}\n'
}

# The chain's files go beside the root file, in $work/chain/.
imports() {
  mkdir -p "$work/chain"
  for ((i = 1; i < $1; i++)); do printf 'import "m%d.sbx" as next\ngroup g { read }\n' $((i + 1)) >"$work/chain/m$i.sbx"; done
  printf 'group g { read }\n' >"$work/chain/m$1.sbx"
  printf 'import "chain/m1.sbx" as first\ntask t {\n  syscalls {\n    allow @first.g\n  }\n}\n'
}

printf '%-16s %8s %10s %12s  %s\n' shape bytes seconds "peak KiB" "sbxc check"
for shape in "diamonds 30" "diamonds 40" "groups 1000" "groups 20000" "profiles 1000" "profiles 20000" \
  "list 100000" "string 15000000" "imports 20000"; do
  read -r kind n <<<"$shape"
  file="$work/$kind$n.sbx"
  "$kind" "$n" >"$file"
  rc=0
  /usr/bin/time -f '%e %M' -o "$work/time" timeout 60 "$sbxc" check "$file" >/dev/null 2>&1 || rc=$?
  read -r seconds peak < <(tail -n 1 "$work/time") || true  # after "Command exited with ..."
  case $rc in
    0) verdict="clean" ;;
    2) verdict="errors (exit 2)" ;;
    124) verdict="TIMEOUT after 60 s" ;;
    *) verdict="FAILED (exit $rc)" ;;
  esac
  printf '%-16s %8d %10s %12s  %s\n' "$kind $n" "$(stat -c %s "$file")" "${seconds:-?}" "${peak:-?}" "$verdict"
done
