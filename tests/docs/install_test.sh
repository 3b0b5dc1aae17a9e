#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then an example run from the installed prefix alone:
# sbx-run finds the installed sbxc (to compile the policy) and sbx-tool-gate beside itself, and
# the docs and examples are where cmake/Install.cmake puts them.
#
#   tests/docs/install_test.sh BUILD_DIR
set -euo pipefail
build_dir=${1:?usage: install_test.sh BUILD_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 1777 "$tmp"  # like /tmp: as root the command inside runs as nobody, below it
prefix=$tmp/prefix

cmake --install "$build_dir" --prefix "$prefix" >"$tmp/install.log" || {
  cat "$tmp/install.log"
  exit 1
}
for f in bin/sbxc bin/sbx-run bin/sbx-tool-gate bin/sbx-inspect share/doc/sbxc/README.md share/doc/sbxc/docs/language.md \
  share/doc/sbxc/runtime/README.md share/sbxc/examples/contained.sbx share/sbxc/examples/lib/common.sbx \
  share/sbxc/schemas/plan.schema.json share/sbxc/schemas/check.schema.json; do
  [[ -e $prefix/$f ]] || { echo "install_test: $f was not installed" >&2; exit 1; }
done

"$prefix/bin/sbxc" --version
"$prefix/bin/sbxc" check "$prefix/share/sbxc/examples/contained.sbx"

# No build tree on PATH or in SBXC: what runs is what was installed.
mkdir "$tmp/ws"
[[ $(id -u) -ne 0 ]] || chown 65534:65534 "$tmp/ws"
out=$(env -u SBXC PATH=/usr/bin:/bin SBX_RUN_CACHE="$tmp/cache" "$prefix/bin/sbx-run" --workspace "$tmp/ws" \
  "$prefix/share/sbxc/examples/contained.sbx" -- /bin/sh -c 'echo installed-ok > /workspace/proof; cat /workspace/proof')
[[ $out == installed-ok ]] || { echo "install_test: unexpected output: $out" >&2; exit 1; }
grep -qx installed-ok "$tmp/ws/proof"
echo "ok: installed under a prefix and ran examples/contained.sbx from it"
