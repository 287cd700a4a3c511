#!/usr/bin/env bash
# scripts/fuzz-build.sh: runs .clusterfuzzlite/build.sh without Docker, with
# the environment OSS-Fuzz's builder gives it (docs/fuzzing.md;
# prior-art.md s4), for one engine and sanitizer.
#
# Usage: scripts/fuzz-build.sh ENGINE SANITIZER OUT
#   ENGINE: libfuzzer (clang -fsanitize=fuzzer), afl (afl-clang-fast and
#     libAFLDriver.a: persistent mode, shared-memory test cases), or
#     regression (clang, fuzz/regression_driver.c, no fuzzer runtime);
#   SANITIZER: address (ASan), undefined (UBSan), address-undefined (both)
#     or none;
#   OUT: where the targets go (created).
# Exit: 0 built; 2 usage; else the build's failure.
set -euo pipefail
if [ $# -ne 3 ]; then
    echo "usage: scripts/fuzz-build.sh libfuzzer|afl|regression address|undefined|address-undefined|none OUT" >&2
    exit 2
fi
engine=$1
sanitizer=$2
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$3"
OUT=$(cd "$3" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SRC=$root
export SRC WORK OUT
export FUZZING_ENGINE=$engine SANITIZER=$sanitizer ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c

case "$sanitizer" in
address) san="-fsanitize=address -fsanitize-address-use-after-scope" ;;
undefined) san="-fsanitize=undefined -fno-sanitize-recover=all" ;;
address-undefined)
    san="-fsanitize=address,undefined -fsanitize-address-use-after-scope -fno-sanitize-recover=all"
    ;;
none) san="" ;;
*)
    echo "fuzz-build.sh: unknown sanitizer '$sanitizer'" >&2
    exit 2
    ;;
esac
base="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
case "$engine" in
libfuzzer)
    export CC=clang CXX=clang++
    export CFLAGS="$base $san -fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer
    ;;
afl)
    export CC=afl-clang-fast CXX=afl-clang-fast++
    export CFLAGS="$base $san" LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a
    export AFL_QUIET=1
    ;;
regression)
    export CC=clang CXX=clang++
    export CFLAGS="$base $san" LIB_FUZZING_ENGINE=
    ;;
*)
    echo "fuzz-build.sh: unknown engine '$engine'" >&2
    exit 2
    ;;
esac
export CXXFLAGS="$CFLAGS"
cd "$root"
bash -eu .clusterfuzzlite/build.sh
