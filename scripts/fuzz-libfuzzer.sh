#!/usr/bin/env bash
# scripts/fuzz-libfuzzer.sh: a libFuzzer campaign on one target
# (docs/fuzzing.md): builds the target with libFuzzer and ASan when OUT has
# no build or one older than the sources (scripts/fuzz-build.sh), seeds the corpus folder from
# TARGET_seed_corpus.zip the first time, then runs N workers for a time
# budget with the target's dictionary and .options. Crashes land in
# WORKDIR/artifacts/ as crash-SHA1: group them with scripts/fuzz-triage.sh,
# turn one into a regression with scripts/fuzz-regress.sh.
#
# Usage: scripts/fuzz-libfuzzer.sh [--time S] [--jobs N] [--fork] [--defects LIST]
#                                  [--out OUT] [--dir WORKDIR] TARGET [-- LIBFUZZER-FLAGS...]
#   --time S        total time budget in seconds (default 600)
#   --jobs N        parallel workers (default 1); with --fork, -fork=N (one
#                   process restarted per crash, timeout or OOM, so a long
#                   campaign goes on past its findings) instead of -jobs=N
#                   -workers=N (N independent runs of S seconds each)
#   --fork          see --jobs
#   --defects LIST  the defects a legacy target aborts on (KEV_FUZZ_DEFECTS:
#                   "9", "7,12", "all", "none"); default $KEV_FUZZ_DEFECTS,
#                   else all: a local campaign hunts them (an engine's
#                   default environment selects none). Written to
#                   WORKDIR/campaign.env, which fuzz-triage.sh and
#                   fuzz-regress.sh read for the crashes of WORKDIR
#   --out OUT       the libFuzzer build (default build/fuzz-libfuzzer)
#   --dir WORKDIR   corpus and artifacts (default build/fuzz-campaign/TARGET)
# Progress shows as it comes: one worker prints to the terminal; with
# --jobs N (no --fork) the workers' logs, WORKDIR/fuzz-J.log, are followed.
# Exit: libFuzzer's (0: no finding within the budget); 2 usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/fuzz-lib.sh
. "$root/scripts/fuzz-lib.sh"
usage() {
    sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//'
}
time_s=600
jobs=1
fork=0
defects=${KEV_FUZZ_DEFECTS:-all}
out=$root/build/fuzz-libfuzzer
dir=""
while [ $# -gt 0 ]; do
    case "$1" in
    --time) time_s=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --fork) fork=1; shift ;;
    --defects) defects=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --dir) dir=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "fuzz-libfuzzer.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 1 ]; then
    usage >&2
    exit 2
fi
target=$1
shift
[ "${1:-}" = "--" ] && shift
if ! awk -v t="$target" '$1 == t { f = 1 } END { exit !f }' "$root/fuzz/targets.list"; then
    echo "fuzz-libfuzzer.sh: $target is not in fuzz/targets.list" >&2
    exit 2
fi
dir=${dir:-$root/build/fuzz-campaign/$target}
if kev_fuzz_stale "$out/$target"; then
    bash "$root/scripts/fuzz-build.sh" libfuzzer address "$out"
fi
out=$(cd "$out" && pwd)
mkdir -p "$dir/corpus" "$dir/artifacts"
dir=$(cd "$dir" && pwd)
if [ -z "$(ls -A "$dir/corpus")" ] && [ -f "$out/${target}_seed_corpus.zip" ]; then
    (cd "$dir/corpus" && python3 -m zipfile -e "$out/${target}_seed_corpus.zip" .)
fi
# What the crashes of this campaign were found with (fuzz-triage.sh and
# fuzz-regress.sh reproduce them the same way).
printf 'target=%s\nKEV_FUZZ_DEFECTS=%s\nbuild=%s\n' "$target" "$defects" "$out" \
    >"$dir/campaign.env"
export KEV_FUZZ_DEFECTS=$defects
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
par=()
if [ "$fork" -eq 1 ]; then
    par=(-fork="$jobs" -ignore_crashes=1)
elif [ "$jobs" -gt 1 ]; then
    par=(-jobs="$jobs" -workers="$jobs")
fi
cd "$dir"
cmd=("$out/$target" -max_total_time="$time_s" -dict="$out/$target.dict"
    -artifact_prefix="$dir/artifacts/" ${flags[@]+"${flags[@]}"} ${par[@]+"${par[@]}"} "$@"
    "$dir/corpus")
echo "fuzz-libfuzzer.sh: $target, ${time_s}s, KEV_FUZZ_DEFECTS=$defects, artifacts in $dir/artifacts/" >&2
if [ "$fork" -eq 1 ] || [ "$jobs" -le 1 ]; then
    exec "${cmd[@]}"
fi
# -jobs sends each worker's output to fuzz-J.log: follow them live.
logs=()
for j in $(seq 0 $((jobs - 1))); do
    rm -f "fuzz-$j.log"
    logs+=("fuzz-$j.log")
done
tail -n +1 -F "${logs[@]}" 2>/dev/null &
tailer=$!
rc=0
"${cmd[@]}" || rc=$?
sleep 1
kill "$tailer" 2>/dev/null || true
wait "$tailer" 2>/dev/null || true
exit "$rc"
