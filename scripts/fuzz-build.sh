#!/usr/bin/env bash
# scripts/fuzz-build.sh: runs .clusterfuzzlite/build.sh without Docker, with
# the environment OSS-Fuzz's base-builder gives it (docs/fuzzing.md, "The
# contract, locally"): the same CFLAGS, CXXFLAGS, SANITIZER_FLAGS_*,
# COVERAGE_FLAGS, LIB_FUZZING_ENGINE and the variables its `compile` script
# sets, for one engine and sanitizer, from base-builder's Dockerfile and
# compile, compile_libfuzzer and compile_afl scripts.
#
# Usage: scripts/fuzz-build.sh [--zlib DIR] ENGINE SANITIZER OUT
#   ENGINE: libfuzzer (clang -fsanitize=fuzzer), afl (afl-clang-fast and
#     libAFLDriver.a: persistent mode, shared-memory test cases), or
#     regression (clang, fuzz/regression_driver.c, no fuzzer runtime);
#   SANITIZER: address, undefined, memory, coverage (libfuzzer only: the
#     -fprofile-instr-generate build OSS-Fuzz's coverage reports use) and
#     none, as base-builder has them; address-undefined (both at once) for
#     local runs;
#   OUT: where the targets go (created);
#   --zlib DIR: zlib's source at the pinned version (scripts/fuzz-zlib.sh),
#     compiled with the targets; memory needs it (default: $ZLIB_SRC, else
#     build/zlib-src when it is there).
# One difference from base-builder, on purpose: CXXFLAGS lacks
# -stdlib=libc++ (CXXFLAGS_EXTRA), because Debian's libFuzzer runtime is
# built against libstdc++; the targets are C, so only the link step sees it.
# Exit: 0 built; 2 usage; else the build's failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
    sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//'
}
zlib_src=${ZLIB_SRC:-}
while [ $# -gt 0 ]; do
    case "$1" in
    --zlib) zlib_src=${2:?--zlib needs a folder}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "fuzz-build.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -ne 3 ]; then
    usage >&2
    exit 2
fi
engine=$1
sanitizer=$2
if [ -z "$zlib_src" ] && [ -f "$root/build/zlib-src/zlib.h" ]; then
    zlib_src=$root/build/zlib-src
fi
if [ -n "$zlib_src" ]; then
    zlib_src=$(cd "$zlib_src" && pwd)
    export ZLIB_SRC=$zlib_src
else
    unset ZLIB_SRC
fi

# base-clang's CFLAGS, and base-builder's per-sanitizer flags.
base="-O1 -fno-omit-frame-pointer -gline-tables-only"
base+=" -Wno-error=incompatible-function-pointer-types -Wno-error=int-conversion"
base+=" -Wno-error=deprecated-declarations -Wno-error=implicit-function-declaration"
base+=" -Wno-error=implicit-int -Wno-error=unknown-warning-option"
base+=" -Wno-error=vla-cxx-extension -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
ub_checks=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size
ub_checks+=,return,returns-nonnull-attribute,shift,signed-integer-overflow
case "$sanitizer" in
address) san="-fsanitize=address -fsanitize-address-use-after-scope" ;;
undefined)
    san="-fsanitize=$ub_checks,unsigned-integer-overflow,unreachable,vla-bound,vptr"
    san+=" -fno-sanitize-recover=$ub_checks,unreachable,vla-bound,vptr"
    ;;
memory) san="-fsanitize=memory -fsanitize-memory-track-origins" ;;
coverage | none) san="" ;;
address-undefined)
    san="-fsanitize=address,undefined -fsanitize-address-use-after-scope -fno-sanitize-recover=all"
    ;;
*)
    echo "fuzz-build.sh: unknown sanitizer '$sanitizer' (--help)" >&2
    exit 2
    ;;
esac
case "$engine" in
libfuzzer)
    export CC=clang CXX=clang++ CCC=clang++ LIB_FUZZING_ENGINE=-fsanitize=fuzzer
    cov="-fsanitize=fuzzer-no-link"
    if [ "$sanitizer" = coverage ]; then
        cov="-fprofile-instr-generate -fcoverage-mapping -pthread -Wl,--no-as-needed"
        cov+=" -Wl,-ldl -Wl,-lm -Wno-unused-command-line-argument"
    fi
    ;;
afl)
    case "$sanitizer" in memory | coverage)
        echo "fuzz-build.sh: OSS-Fuzz builds AFL++ with address, undefined or none, not $sanitizer" >&2
        exit 2
        ;;
    esac
    export CC=afl-clang-fast CXX=afl-clang-fast++ CCC=afl-clang-fast++
    export LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a
    # compile_afl's defaults.
    export AFL_QUIET=1 AFL_IGNORE_PROBLEMS=1 AFL_IGNORE_UNKNOWN_ENVS=1
    export ASAN_OPTIONS="detect_leaks=0:symbolize=0:detect_odr_violation=0:abort_on_error=1"
    cov=""
    ;;
regression)
    [ "$sanitizer" != coverage ] || { echo "fuzz-build.sh: coverage is a libfuzzer build" >&2; exit 2; }
    export CC=clang CXX=clang++ CCC=clang++ LIB_FUZZING_ENGINE=
    cov=""
    ;;
*)
    echo "fuzz-build.sh: unknown engine '$engine' (--help)" >&2
    exit 2
    ;;
esac
# compile: CFLAGS = CFLAGS SANITIZER_FLAGS COVERAGE_FLAGS, CXXFLAGS the
# same (plus CXXFLAGS_EXTRA, left out: above); for undefined, C code gets
# -fno-sanitize=function after CXXFLAGS is set.
export SANITIZER_FLAGS="$san" COVERAGE_FLAGS="$cov"
export CFLAGS="$base $san $cov"
export CXXFLAGS="$CFLAGS"
if [ "$sanitizer" = undefined ]; then
    CFLAGS="$CFLAGS -fno-sanitize=function"
fi
export UBSAN_OPTIONS=silence_unsigned_overflow=1 DFSAN_OPTIONS=warn_unimplemented=0

mkdir -p "$3"
OUT=$(cd "$3" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SRC=$root
export SRC WORK OUT
export FUZZING_ENGINE=$engine SANITIZER=$sanitizer ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c
# The uninstrumented host tools (kevrr for the seeds, the dictionary
# generator), shared by every local build; the builder image makes them
# afresh in $WORK.
export KEV_FUZZ_HOST_BUILD=${KEV_FUZZ_HOST_BUILD:-$root/build/fuzz-host}
# Two local builds at once (a coverage measurement beside a time-to-defect
# campaign) would write the shared host build and its seed folders together:
# the second waits for the first.
mkdir -p "$(dirname "$KEV_FUZZ_HOST_BUILD")"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$KEV_FUZZ_HOST_BUILD.lock"
    flock 9 || { echo "fuzz-build.sh: cannot lock $KEV_FUZZ_HOST_BUILD.lock" >&2; exit 3; }
fi
# compile copies llvm-symbolizer into $OUT for stack symbolization.
if command -v llvm-symbolizer >/dev/null 2>&1; then
    cp "$(command -v llvm-symbolizer)" "$OUT/"
fi
cd "$root"
# clang before 18 does not know -Wno-error=vla-cxx-extension and says so on
# every compile; that note alone is left out of the output.
bash -eu .clusterfuzzlite/build.sh 2> >(grep -vE "unknown warning option '-Werror=vla-cxx-extension'|^[0-9]+ warnings? generated\.$" >&2)
