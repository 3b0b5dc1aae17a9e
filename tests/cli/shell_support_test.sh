#!/usr/bin/env bash
# `sbxc completion bash|zsh` and `sbxc man`, used as a shell and man(1) use them: completions of
# commands, options and option values in a real bash; the zsh script parsed by zsh (SKIP without
# zsh); every man page rendered by groff without a warning.
#   shell_support_test.sh SBXC
set -uo pipefail
sbxc=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0 skips=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "PASS $1"; else echo "FAIL $1: expected [$2], got [$3]"; failures=$((failures + 1)); fi
}

"$sbxc" completion bash >"$work/sbxc.bash" || { echo "FAIL sbxc completion bash"; exit 1; }
complete_bash() {  # the completions bash offers for the words given (the last one being completed)
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); cd "$0"; _sbxc; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
    "$work" "$work/sbxc.bash" "$@"
}
mkdir -p "$work/policies" && touch "$work/policy.sbx"
check "bash: a command" "check " "$(complete_bash sbxc ch)"
check "bash: every command" "$("$sbxc" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }' | sort | tr '\n' ' ')" \
  "$(complete_bash sbxc '' | tr ' ' '\n' | grep -v '^--' | grep . | sort | tr '\n' ' ')"
check "bash: an option" "--fail-level --format " "$(complete_bash sbxc check --f)"
check "bash: an option's values" "json sarif text " "$(complete_bash sbxc check --format '')"
check "bash: a directory option" "policies " "$(complete_bash sbxc check --stdlib po)"
check "bash: a file argument" "policy.sbx " "$(complete_bash sbxc check policy.)"
# Every option every command's --help lists is offered for it.
missing=""
for command in $("$sbxc" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }'); do
  offered=" $(complete_bash sbxc "$command" --) "
  for option in $("$sbxc" "$command" --help | awk '/^Options:/ { on = 1; next } on && $1 ~ /^--/ { print $1 }'); do
    [[ $offered == *" $option "* ]] || missing+=" $command$option"
  done
done
check "bash: every option of every command" "" "$missing"

"$sbxc" completion zsh >"$work/_sbxc" || { echo "FAIL sbxc completion zsh"; exit 1; }
if command -v zsh >/dev/null; then
  if zsh -n "$work/_sbxc"; then echo "PASS zsh: the script parses"; else echo "FAIL zsh: the script does not parse"; failures=$((failures + 1)); fi
  # Loaded as zsh loads completion functions (from $fpath, after compinit): `_sbxc` is defined
  # and bound to sbxc.
  bound=$(zsh -f -c "fpath=($work \$fpath); autoload -U compinit; compinit -u -d $work/zcompdump; print -r -- \${_comps[sbxc]}")
  check "zsh: the completion is bound to sbxc" "_sbxc" "$bound"
else
  echo "SKIP zsh: zsh is not installed"
  skips=$((skips + 1))
fi

"$sbxc" man --dir "$work/man" || { echo "FAIL sbxc man --dir"; exit 1; }
pages=$(ls "$work/man" | sort | tr '\n' ' ')
expected="sbxc.1 $("$sbxc" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print "sbxc-" $1 ".1" }' | sort | tr '\n' ' ')"
check "man: a page for sbxc and for each command" "$(echo "$expected" | tr ' ' '\n' | grep . | sort | tr '\n' ' ')" "$pages"
warnings=$(for page in "$work"/man/*.1; do groff -man -Tutf8 -ww -z "$page" 2>&1 | sed "s|^|$(basename "$page"): |"; done)
check "man: every page renders without a warning" "" "$warnings"
check "man: sbxc-check's options" "4" "$(groff -man -Tutf8 -P-cbou "$work/man/sbxc-check.1" 2>/dev/null | grep -cE '^ +--(format|fail-level|stdlib|import-root)')"
"$sbxc" man nonesuch >/dev/null 2>&1
check "man: an unknown command is a usage error" "3" "$?"
"$sbxc" completion fish >/dev/null 2>&1
check "completion: an unknown shell is a usage error" "3" "$?"

echo "$failures failed, $skips skipped"
[ "$failures" -eq 0 ] || exit 1
[ "$skips" -eq 0 ] || exit 77  # counted as a skip: part of the subject could not run here
