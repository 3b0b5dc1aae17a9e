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
env=@declared_env@
env=${env:1:${#env}-2}
@pass_through@
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
