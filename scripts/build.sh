#!/usr/bin/env bash
# Configures and builds sbxc with CMake + Ninja.
#
#   scripts/build.sh [release|asan|fuzz|all]     (default: release)
#
#   release  build/release  CMAKE_BUILD_TYPE=Release; what users, demo.sh and the benchmarks run
#   asan     build/asan     RelWithDebInfo + AddressSanitizer/UBSan (SBXC_SANITIZE=ON); tests run here too
#   fuzz     build/fuzz     clang-14, libFuzzer targets (SBXC_FUZZ=ON), ASan + UBSan, no tests;
#            and build/fuzz-fast, the same with UBSan only (the fuzzer explores with it)
#   all      the three above
#
# The binary ends up at build/<config>/compiler/sbxc. Parallelism defaults to the number of
# cores (the project's machines have 2); set SBXC_JOBS to override.
set -euo pipefail

usage() {
  sed -n '4,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${SBXC_JOBS:-$(nproc 2>/dev/null || echo 2)}

config=release
case $# in
  0) ;;
  1) config=$1 ;;
  *) usage >&2; exit 2 ;;
esac

# Configuring every time is cheap (the cache makes it about a second) and means a changed option
# in this script reaches an existing build directory; Ninja then rebuilds only what changed.
# build_one NAME [CMAKE ARGS...]; $targets, when set, limits the build to those targets.
targets=
build_one() {
  local name=$1
  shift
  local dir="$root/build/$name"
  printf '==> build %s (%s)\n' "$name" "${dir#"$root"/}"
  # --log-level=NOTICE hides CMake's STATUS chatter but keeps warnings and errors.
  cmake -S "$root" -B "$dir" -G Ninja --log-level=NOTICE "$@"
  # shellcheck disable=SC2086 # $targets is a list of target names
  cmake --build "$dir" --parallel "$jobs" ${targets:+--target $targets}
}

line_tables="-O2 -g1 -DNDEBUG"

build_release() {
  build_one release -DCMAKE_BUILD_TYPE=Release
}

build_asan() {
  # RelWithDebInfo: optimised enough that the suite runs in reasonable time under ASan,
  # with line numbers in the sanitizer reports (-g1: line tables only, which is all a report needs,
  # and a third quicker to compile and link than full debug information).
  build_one asan -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$line_tables" -DSBXC_SANITIZE=ON
}

build_fuzz() {
  command -v clang++-14 >/dev/null 2>&1 || {
    echo "build.sh: clang++-14 not found; run scripts/install-deps.sh" >&2
    exit 1
  }
  # libFuzzer needs clang. -fsanitize=fuzzer-no-link goes into the global flags so that every
  # library the harness calls (front end, generated parser) carries coverage instrumentation;
  # tests/fuzz/CMakeLists.txt adds -fsanitize=fuzzer when linking the harness itself.
  # The compilers are given as cache variables rather than only CC/CXX, which CMake reads on
  # the first configure only. Only the harnesses are built: the rest of the tree is the release and
  # asan builds' to test, and building it a third time would cost CI a quarter of its time.
  # Two builds (docs/fuzzing.md): build/fuzz-fast, UBSan only, explores at several times the
  # speed; build/fuzz, ASan + UBSan, replays everything it found with every check.
  # Comparison tracing (trace-cmp) is left out here and turned back on, in compiler/ and common/,
  # for the files that compare input bytes and numbers (lexer, values, addresses): elsewhere the
  # front end compares sizes, pointers and token types that never appear in the input, which
  # libFuzzer cannot turn into mutations, and tracing them took a third of its time. The PC
  # table only feeds coverage reports (`cov:`, -print_coverage), and libFuzzer 14 walks every
  # counter into a hash set of PCs each time an input joins the corpus: a tenth of a CI run.
  # Indirect calls (ANTLR's virtual dispatch) are not traced either: 3% of the time, for pairs of
  # caller and callee that edge coverage of the callee already tells apart.
  local name sanitize fuzz_coverage="-fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp,pc-table,indirect-calls"
  for name in fuzz-fast fuzz; do
    sanitize="-DSBXC_SANITIZE=ON -DSBXC_SANITIZE_UNDEFINED=OFF"
    if [[ $name == fuzz-fast ]]; then sanitize="-DSBXC_SANITIZE=OFF -DSBXC_SANITIZE_UNDEFINED=ON"; fi
    # shellcheck disable=SC2086 # $sanitize is two options
    targets=fuzz_frontend CC=clang-14 CXX=clang++-14 build_one "$name" \
      -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$line_tables" \
      "-DCMAKE_C_FLAGS=$fuzz_coverage" "-DCMAKE_CXX_FLAGS=$fuzz_coverage" \
      -DSBXC_FUZZ=ON -DSBXC_TESTS=OFF $sanitize
  done
}

case $config in
  release) build_release ;;
  asan) build_asan ;;
  fuzz) build_fuzz ;;
  all) build_release; build_asan; build_fuzz ;;
  -h | --help) usage; exit 0 ;;
  *)
    printf 'build.sh: unknown configuration "%s"\n' "$config" >&2
    usage >&2
    exit 2
    ;;
esac
