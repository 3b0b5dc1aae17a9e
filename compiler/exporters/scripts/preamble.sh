#!/usr/bin/env bash
# Written by sbxc @version@ for task `@task@` (T@tier@). Recompile rather than edit.
@purpose@#
#   @usage@
#
# Exit status: the command's own; 124 when the task's timeout expired (the whole sandbox is
# killed); 125 when this script or the runtime failed.
set -euo pipefail
task=@task@
timeout_s=@timeout@
has_workspace=@has_workspace@

die() {
  printf '%s: %s\n' "${0##*/}" "$*" >&2
  exit 125
}

# One JSON line per event in the --audit file: audit EVENT [',"field":value...']
audit() {
  [[ -z $audit ]] ||
    printf '{"time":"%s","task":"%s","event":"%s"%s}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$task" "$1" "${2:-}" >>"$audit"
}

workspace=
audit=
while [[ $# -gt 0 ]]; do
  case $1 in
    --workspace) [[ $# -ge 2 ]] || die "--workspace needs a directory"; workspace=$2; shift 2 ;;
    --audit) [[ $# -ge 2 ]] || die "--audit needs a file"; audit=$2; shift 2 ;;
@extra_options@    --) shift; break ;;
    -*) die "unknown option $1 (usage: @usage@)" ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || die "no command (usage: @usage@)"
if $has_workspace; then
  [[ -n $workspace ]] || die "the task has a workspace: give the host directory with --workspace DIR"
  [[ -d $workspace ]] || die "the workspace $workspace is not a directory"
  workspace=$(cd -- "$workspace" && pwd -P)
else
  [[ -z $workspace ]] || die "the task has no workspace: drop --workspace"
fi

# The payload's user, as sbx-run chooses it: run by a user, that user; run by root, the
# workspace's owner unless that is root, else nobody. Never root.
if [[ $(id -u) -ne 0 ]]; then
  payload_uid=$(id -u) payload_gid=$(id -g)
elif [[ -n $workspace && $(stat -c %u -- "$workspace") -ne 0 ]]; then
  payload_uid=$(stat -c %u -- "$workspace") payload_gid=$(stat -c %g -- "$workspace")
else
  payload_uid=65534 payload_gid=65534
fi
