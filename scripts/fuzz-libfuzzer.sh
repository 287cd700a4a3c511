#!/usr/bin/env bash
# scripts/fuzz-libfuzzer.sh: a libFuzzer campaign on one target
# (docs/fuzzing.md): builds the target with libFuzzer and ASan when OUT has
# no build yet (scripts/fuzz-build.sh), seeds the corpus folder from
# TARGET_seed_corpus.zip the first time, then runs N workers for a time
# budget with the target's dictionary and .options. Crashes land in
# WORKDIR/artifacts/ as crash-SHA1 (turn them into regressions with
# scripts/fuzz-regress.sh).
#
# Usage: scripts/fuzz-libfuzzer.sh [--time S] [--jobs N] [--fork] [--out OUT]
#                                  [--dir WORKDIR] TARGET [-- LIBFUZZER-FLAGS...]
#   --time S   total time budget in seconds (default 600)
#   --jobs N   parallel workers (default 1); with --fork, -fork=N (one
#              process restarted per crash, timeout or OOM, so a long
#              campaign goes on past its findings) instead of -jobs=N
#              -workers=N (N independent runs of S seconds each)
#   --out OUT  the libFuzzer build (default build/fuzz-libfuzzer)
#   --dir DIR  corpus and artifacts (default build/fuzz-campaign/TARGET)
# Exit: libFuzzer's (0: no finding within the budget).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
time_s=600
jobs=1
fork=0
out=$root/build/fuzz-libfuzzer
dir=""
while [ $# -gt 0 ]; do
    case "$1" in
    --time) time_s=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --fork) fork=1; shift ;;
    --out) out=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    -*) echo "fuzz-libfuzzer.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 1 ]; then
    echo "usage: scripts/fuzz-libfuzzer.sh [--time S] [--jobs N] [--fork] [--out OUT] [--dir DIR] TARGET [-- FLAGS...]" >&2
    exit 2
fi
target=$1
shift
[ "${1:-}" = "--" ] && shift
dir=${dir:-$root/build/fuzz-campaign/$target}
if [ ! -x "$out/$target" ]; then
    bash "$root/scripts/fuzz-build.sh" libfuzzer address "$out"
fi
out=$(cd "$out" && pwd)
mkdir -p "$dir/corpus" "$dir/artifacts"
if [ -z "$(ls -A "$dir/corpus")" ] && [ -f "$out/${target}_seed_corpus.zip" ]; then
    (cd "$dir/corpus" && python3 -m zipfile -e "$out/${target}_seed_corpus.zip" .)
fi
# The [libfuzzer] keys of TARGET.options, as -key=value flags.
flags=()
if [ -f "$out/$target.options" ]; then
    while IFS='=' read -r k v; do
        k=$(echo "$k" | tr -d ' ')
        v=$(echo "$v" | tr -d ' ')
        case "$k" in '' | '['*) continue ;; esac
        flags+=("-$k=$v")
    done <"$out/$target.options"
fi
if [ "$fork" -eq 1 ]; then
    par=(-fork="$jobs" -ignore_crashes=1)
else
    par=(-jobs="$jobs" -workers="$jobs")
fi
cd "$dir"
exec "$out/$target" -max_total_time="$time_s" -dict="$out/$target.dict" \
    -artifact_prefix="$dir/artifacts/" ${flags[@]+"${flags[@]}"} "${par[@]}" "$@" "$dir/corpus"
