#!/usr/bin/env bash
# Written by sbxc 0.1.0 for task `request_rules` (T3). Recompile rather than edit.
# Runs CMD ARGS under bubblewrap as the task allows: every namespace new, no capability, the
# mount plan, the compiled seccomp filter (seccomp.bpf beside this script, by descriptor),
# the declared environment alone, the task's rlimits and its wall-clock timeout. Runs as a
# user, or as root (the payload then runs as the workspace's owner, or nobody).
#
#   run.sh [--workspace DIR] [--audit FILE] [--] CMD [ARGS...]
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
    --) shift; break ;;
    -*) die "unknown option $1 (usage: run.sh [--workspace DIR] [--audit FILE] [--] CMD [ARGS...])" ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || die "no command (usage: run.sh [--workspace DIR] [--audit FILE] [--] CMD [ARGS...])"
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

command -v bwrap >/dev/null || die "bwrap (bubblewrap) is not installed"
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
[[ -r $here/seccomp.bpf ]] || die "seccomp.bpf is missing beside ${BASH_SOURCE[0]}"

# Inherited descriptors beyond 0-2 are closed (those marked close-on-exec go by themselves), so
# that nothing open in the caller reaches the sandbox.
for path in /proc/$$/fd/*; do
  fd=${path##*/}
  ((fd > 2)) || continue
  flags=$(awk '/^flags:/ { print $2 }' "/proc/$$/fdinfo/$fd" 2>/dev/null) || continue
  [[ -n $flags ]] || continue
  ((8#$flags & 8#2000000)) || exec {fd}>&-
done

# The task's mounts, in the plan's order (parents first), as bwrap arguments. bwrap has no
# noexec: `staged` (pairs: exec or noexec, then the source) and `scratch` collect what the stage
# below mounts first, parents first: a source without exec, and a source with exec that lies
# inside one without (exec "/w/tool" inside write "/w"), which bwrap would otherwise bind from
# the noexec mount and keep noexec.
stage=$(mktemp -d "${TMPDIR:-/tmp}/sbx-bwrap-$task.XXXXXX")
chmod 0711 "$stage"
mounts=(--proc /proc --ro-bind /proc/sys /proc/sys --ro-bind-try /proc/sysrq-trigger /proc/sysrq-trigger --dev /dev)
noexec=()
staged=()
scratch=()
mount_bind() { # mount_bind OPTION SOURCE TARGET EXEC(yes|no)
  mounts+=("$1" "$2" "$3")
  if [[ $4 == no ]]; then
    noexec+=("$2")
    staged+=(noexec "$2")
    return
  fi
  local outer
  for outer in "${noexec[@]}"; do
    if [[ $2 == "$outer"/* ]]; then
      staged+=(exec "$2")
      return
    fi
  done
}
mount_tmpfs() { # mount_tmpfs SIZE TARGET
  mkdir -- "$stage/${#scratch[@]}"
  mounts+=(--bind "$stage/${#scratch[@]}" "$2")
  scratch+=("$1" "$stage/${#scratch[@]}")
}
# mount_mask TARGET HOST RELATIVE: an empty read-only directory, or /dev/null over a file. What
# the sandbox will see at TARGET is HOST/RELATIVE on the host (HOST: the source of the mount that
# covers TARGET, e.g. the workspace; empty for a fresh tmpfs, which holds nothing to hide), looked
# at step by step below HOST without following links: a link there (the agent may have left one
# in the workspace) is refused, as bwrap would follow it inside the sandbox.
mount_mask() {
  [[ -n $2 ]] || return 0
  local path=$2 rest=$3 part
  while [[ -n $rest ]]; do
    part=${rest%%/*}
    if [[ $rest == */* ]]; then rest=${rest#*/}; else rest=; fi
    path=$path/$part
    [[ ! -L $path ]] || die "the masked path $1 is reached through the symbolic link $path; remove it"
    [[ -e $path ]] || return 0 # nothing there to hide
  done
  if [[ -d $path ]]; then mounts+=(--tmpfs "$1" --remount-ro "$1"); else mounts+=(--ro-bind /dev/null "$1"); fi
}
mount_bind --ro-bind /bin /bin yes
mount_bind --ro-bind /etc/alternatives /etc/alternatives yes
mount_bind --ro-bind /etc/group /etc/group yes
mount_bind --ro-bind /etc/ld.so.cache /etc/ld.so.cache yes
mount_bind --ro-bind /etc/ld.so.conf /etc/ld.so.conf yes
mount_bind --ro-bind /etc/ld.so.conf.d /etc/ld.so.conf.d yes
mount_bind --ro-bind /etc/passwd /etc/passwd yes
mount_bind --ro-bind /lib /lib yes
mount_bind --ro-bind /lib64 /lib64 yes
mount_bind --ro-bind /sbin /sbin yes
mount_tmpfs 268435456 /tmp
mount_bind --ro-bind /usr /usr yes
mount_bind --bind "$workspace" /workspace no

env=(--setenv LANG C.UTF-8 --setenv PATH /usr/local/bin:/usr/bin:/bin --setenv HOME /workspace --setenv PYTHONDONTWRITEBYTECODE 1 --setenv PYTHONUNBUFFERED 1)

# bwrap mounts without noexec; a private mount namespace of a user namespace that the payload's
# user owns (unshare -rm) binds those paths onto themselves with noexec, and mounts the scratch
# tmpfs noexec, before bwrap binds them into the sandbox: the flags carry over.
stage_script='
set -euo pipefail
count=$1; shift
for ((; count > 0; count--)); do
  if [[ $1 == noexec ]]; then mount --bind -o noexec,nosuid,nodev -- "$2" "$2"
  else mount --bind -- "$2" "$2" && mount -o remount,bind,exec -- "$2"; fi
  shift 2
done
count=$1; shift
for ((; count > 0; count--)); do mount -t tmpfs -o "size=$1,mode=1777,noexec,nosuid,nodev" tmpfs "$2"; shift 2; done
exec "$@"'

exec {filter}<"$here/seccomp.bpf"
become=()
[[ $(id -u) -ne 0 ]] || become=(setpriv "--reuid=$payload_uid" "--regid=$payload_gid" --clear-groups)
# The rlimits are set inside the staging user namespace: RLIMIT_NPROC then counts the sandbox's
# processes, not every process the payload's user has on the host (set before setpriv, a busy
# `nobody` elsewhere made the exec fail with EAGAIN).
limits=(--core=0 --as=536870912 --nproc=64)
command=(
  "${become[@]}"
  unshare --user --map-root-user --mount --propagation private --
  bash -c "$stage_script" stage "$((${#staged[@]} / 2))" "${staged[@]}" "$((${#scratch[@]} / 2))" "${scratch[@]}"
  prlimit "${limits[@]}" --
  bwrap --unshare-all --unshare-user --disable-userns --die-with-parent --new-session --cap-drop ALL
  --uid "$payload_uid" --gid "$payload_gid" --hostname sbx --clearenv "${env[@]}"
  "${mounts[@]}" --seccomp "$filter" --chdir /workspace -- "$@"
)
((timeout_s == 0)) || command=(timeout --signal=TERM --kill-after=2 "$timeout_s" "${command[@]}")

audit start ",\"runtime\":\"bwrap\",\"uid\":$payload_uid"
started=$SECONDS
status=0
"${command[@]}" || status=$?
exec {filter}<&-
rm -rf -- "$stage"
if ((timeout_s > 0 && (status == 124 || status == 137) && SECONDS - started >= timeout_s)); then
  audit timeout ",\"seconds\":$timeout_s"
  printf '%s: the timeout of %s s expired; the sandbox was killed\n' "${0##*/}" "$timeout_s" >&2
  exit 124
fi
audit exit ",\"status\":$status"
exit "$status"
