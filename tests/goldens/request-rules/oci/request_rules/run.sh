#!/usr/bin/env bash
# Written by sbxc 0.1.0 for task `request_rules` (T3). Recompile rather than edit.
# Runs the task's OCI bundle (config.json beside this script) with runc or crun, as root: a
# private copy of the bundle gets CMD ARGS as its process, the workspace at /workspace, the
# payload's ids and the declared pass-through variables; the task's wall-clock timeout, which
# config.json cannot carry, kills the container when it expires.
#
#   run.sh [--workspace DIR] [--audit FILE] [--runtime runc|crun] [--] CMD [ARGS...]
#
# Exit status: the command's own; 124 when the task's timeout expired (the whole sandbox is
# killed); 125 when this script or the runtime failed.
set -euo pipefail
task=request_rules
timeout_s=600
has_workspace=true

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
    --runtime) [[ $# -ge 2 ]] || die "--runtime needs runc or crun"; runtime=$2; shift 2 ;;
    --) shift; break ;;
    -*) die "unknown option $1 (usage: run.sh [--workspace DIR] [--audit FILE] [--runtime runc|crun] [--] CMD [ARGS...])" ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || die "no command (usage: run.sh [--workspace DIR] [--audit FILE] [--runtime runc|crun] [--] CMD [ARGS...])"
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

runtime=${runtime:-runc}
[[ $(id -u) -eq 0 ]] || die "run the bundle as root: config.json maps host ids into a user namespace"
command -v "$runtime" >/dev/null || die "$runtime is not installed"
bundle=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)

# One JSON string; control characters are refused rather than escaped.
json_string() {
  [[ $1 != *[[:cntrl:]]* ]] || die "an argument or variable holds a control character, which run.sh does not pass"
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}
args=
for arg in "$@"; do args+=${args:+,}$(json_string "$arg"); done
env='["LANG=C.UTF-8","PATH=/usr/local/bin:/usr/bin:/bin","HOME=/workspace","PYTHONDONTWRITEBYTECODE=1","PYTHONUNBUFFERED=1"]'
env=${env:1:${#env}-2}

# A private copy of the bundle: config.json with this run's values, an empty root, the workspace.
work=$(mktemp -d "${TMPDIR:-/tmp}/sbx-oci-$task.XXXXXX")
id=sbx-$task-${work##*.}
cleanup() {
  "$runtime" delete --force "$id" >/dev/null 2>&1 || true
  rm -rf -- "$work"
}
trap cleanup EXIT
mkdir -- "$work/rootfs"
[[ -z $workspace ]] || ln -s -- "$workspace" "$work/workspace"
maps='[{"containerID":0,"hostID":0,"size":1},{"containerID":%s,"hostID":%s,"size":1}]'
# shellcheck disable=SC2059 # $maps is the format
SBX_ARGS="[$args]" SBX_ENV="[$env]" SBX_USER="{\"uid\":$payload_uid,\"gid\":$payload_gid}" \
  SBX_UIDS=$(printf "$maps" "$payload_uid" "$payload_uid") SBX_GIDS=$(printf "$maps" "$payload_gid" "$payload_gid") \
  awk '
    function put(value) { print substr($0, 1, index($0, ":")) " " value (/,$/ ? "," : "") }
    /^    "args": / { put(ENVIRON["SBX_ARGS"]); next }
    /^    "env": / { put(ENVIRON["SBX_ENV"]); next }
    /^    "user": / { put(ENVIRON["SBX_USER"]); next }
    /^    "uidMappings": / { put(ENVIRON["SBX_UIDS"]); next }
    /^    "gidMappings": / { put(ENVIRON["SBX_GIDS"]); next }
    { print }' "$bundle/config.json" >"$work/config.json"

# The timer: when the timeout expires, a mark, and the container killed.
timer=
if ((timeout_s > 0)); then
  (
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$timeout_s" &
    sleeper=$!
    wait "$sleeper" || exit 0
    : >"$work/timed-out"
    "$runtime" kill "$id" KILL >/dev/null 2>&1 || true
  ) &
  timer=$!
fi
# The runtime's init chowns its standard streams to the payload's user unless it takes them for a
# terminal or /dev/null (crun before 1.24 chowns a device too; runc 1.1.3 and 1.1.4 did), and it
# succeeds, as the container's root is the host's root in this user namespace: run with stdin
# from /dev/null, crun 1.8 left the host's /dev/null owned by the workspace's owner. So the
# runtime gets pipes, never the caller's descriptors; cat copies between them.
exec {stdin_pipe}< <(exec cat)
stdin_copier=$!
audit start ",\"runtime\":\"$runtime\",\"container\":\"$id\",\"uid\":$payload_uid"
{
  set +e
  "$runtime" run --bundle "$work" "$id" <&"$stdin_pipe" {stdin_pipe}<&- 2>&1 1>&3 3>&- | cat >&2
  printf '%s' "${PIPESTATUS[0]}" >"$work/status"
} 3>&1 | cat || true
exec {stdin_pipe}<&-
kill "$stdin_copier" 2>/dev/null || true
status=125
[[ ! -s $work/status ]] || status=$(<"$work/status")
if [[ -n $timer ]]; then
  kill "$timer" 2>/dev/null || true
  wait "$timer" 2>/dev/null || true
fi
if [[ -e $work/timed-out ]]; then
  audit timeout ",\"seconds\":$timeout_s"
  printf 'run.sh: the timeout of %s s expired; the container was killed\n' "$timeout_s" >&2
  exit 124
fi
audit exit ",\"status\":$status"
exit "$status"
