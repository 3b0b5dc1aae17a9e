#!/usr/bin/env bash
# The include check (scripts/check_layers.py): the checkout keeps LAYERS, and a back-include in a
# small tree of its own is caught, so this test can fail.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
check="$root/scripts/check_layers.py"

python3 "$check" "$root"

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/common/util" "$tree/runtime" "$tree/compiler/model"
printf 'common common/ -\nmodel compiler/model/ common\nruntime runtime/ common\n' >"$tree/LAYERS"
printf '#pragma once\n' >"$tree/common/util/x.h"
printf '#pragma once\n#include "util/x.h"\n' >"$tree/compiler/model/model.h"
printf '#include "util/x.h"\n#include "model/model.h"\n' >"$tree/runtime/a.cc"
if out=$(python3 "$check" "$tree"); then
  echo "FAIL: a back-include from runtime/ to compiler/model/ was not reported" >&2
  exit 1
fi
grep -qF 'runtime/a.cc:2: includes compiler/model/model.h: part `runtime` may not include part `model`' <<<"$out" || {
  echo "FAIL: unexpected report: $out" >&2
  exit 1
}
grep -qF 'layers: 3 files, 3 includes checked, 1 against LAYERS' <<<"$out" || {
  echo "FAIL: unexpected count: $out" >&2
  exit 1
}
echo "ok: the checkout keeps LAYERS; a back-include is reported"
