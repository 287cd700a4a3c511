#!/usr/bin/env bash
# scripts/fuzz-bench.sh: the fuzzing throughput benchmarks (docs/fuzzing.md,
# docs/benchmarks.md). Prints figures; it is not a test.
#
# 1. libFuzzer: exec/s of fuzz_batch beside fuzz_empty (a target that does
#    nothing, built the same way: same compiler, flags, core objects,
#    mutator), in one run, each for S seconds from the same seeds with the
#    same flags. Target: fuzz_batch at 40 % or more of fuzz_empty.
# 2. AFL++: fuzz_batch in persistent mode with shared-memory test cases
#    beside the same binary in fork-server mode (run with -1: one input per
#    forked process), each for S seconds with the dictionary and -G 65536
#    (the target's max_len), as scripts/fuzz-afl.sh runs it, with the
#    structure-aware mutator (kevrr_mutator.so); 3 runs of each mode, the
#    medians compared. Target: persistent at 10x or more. The same two modes
#    of fuzz_empty, in the same run, give the machine's ceiling: what AFL++
#    itself costs per input in each mode, whatever the target does.
#
# Usage: scripts/fuzz-bench.sh [SECONDS] [BUILD_DIR]
#   SECONDS: per run (default 20); BUILD_DIR: where the builds go
#   (default build/fuzz-bench; reused when present)
# Exit: 0 done (the figures are printed, never judged); 2 usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/fuzz-lib.sh
. "$root/scripts/fuzz-lib.sh"
case "${1:-}" in
-h | --help)
    sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
'' | *[!0-9]*)
    [ -z "${1:-}" ] || { echo "fuzz-bench.sh: SECONDS '$1' is not a number (--help)" >&2; exit 2; }
    ;;
esac
secs=${1:-20}
bdir=${2:-$root/build/fuzz-bench}
mkdir -p "$bdir"
bdir=$(cd "$bdir" && pwd)
lf=$bdir/libfuzzer
afl=$bdir/afl
if kev_fuzz_stale "$lf/fuzz_empty"; then
    KEV_FUZZ_EXTRA="fuzz_empty single 65536" bash "$root/scripts/fuzz-build.sh" libfuzzer none "$lf" >/dev/null
fi
if kev_fuzz_stale "$afl/fuzz_empty" && command -v afl-fuzz >/dev/null 2>&1; then
    KEV_FUZZ_EXTRA="fuzz_empty single 65536" bash "$root/scripts/fuzz-build.sh" afl none "$afl" >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/seeds"
(cd "$tmp/seeds" && python3 -m zipfile -e "$lf/fuzz_batch_seed_corpus.zip" .)
echo "fuzz-bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

# lf_rate TARGET: exec/s of one libFuzzer run.
lf_rate() {
    rm -rf "$tmp/c" && mkdir "$tmp/c"
    "$lf/$1" -seed=1 -max_total_time="$secs" -max_len=65536 -dict="$lf/$1.dict" \
        -print_final_stats=1 "$tmp/c" "$tmp/seeds" 2>&1 |
        awk '/stat::average_exec_per_sec/ { print $2 }'
}
empty=$(lf_rate fuzz_empty)
batch=$(lf_rate fuzz_batch)
echo "libfuzzer fuzz_empty: $empty exec/s"
echo "libfuzzer fuzz_batch: $batch exec/s"
awk -v b="$batch" -v e="$empty" 'BEGIN {
    r = 100 * b / e
    printf "libfuzzer fuzz_batch / fuzz_empty: %.1f %% (target >= 40 %%: %s)\n", r, ((r >= 40) ? "met" : "NOT met")
}'

if [ ! -x "$afl/fuzz_batch" ]; then
    echo "afl: skipped, afl-fuzz is not installed"
    exit 0
fi
# afl_rate TARGET MUTATOR ARGS...: exec/s of one afl-fuzz run of TARGET,
# with the custom mutator library MUTATOR ("" for none).
afl_rate() {
    local t=$1 lib=$2
    shift 2
    rm -rf "$tmp/o"
    AFL_CUSTOM_MUTATOR_LIBRARY=$lib KEV_MUTATOR_FORM=single AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
        AFL_NO_AFFINITY=1 afl-fuzz -i "$tmp/seeds" -o "$tmp/o" -V "$secs" -G 65536 \
        -x "$afl/$t.dict" -- \
        "$afl/$t" "$@" >"$tmp/afl.log" 2>&1
    awk -F' *: *' '$1 == "execs_per_sec" { print $2 }' "$tmp/o/default/fuzzer_stats"
}
# AFL++'s rate swings with the inputs its schedule picks (the same command
# gave 13,000 and 57,000 exec/s here minutes apart), so each mode runs 3
# times, alternating, and the medians are compared.
pers=()
fork=()
for i in 1 2 3; do
    pers+=("$(afl_rate fuzz_batch "$afl/kevrr_mutator.so")")
    fork+=("$(afl_rate fuzz_batch "$afl/kevrr_mutator.so" -1)")
done
empty_pers=$(afl_rate fuzz_empty "$afl/kevrr_mutator.so")
empty_fork=$(afl_rate fuzz_empty "$afl/kevrr_mutator.so" -1)
echo "afl fuzz_batch persistent, shared memory: ${pers[*]} exec/s"
echo "afl fuzz_batch fork server (-1): ${fork[*]} exec/s"
printf '%s\n' "${pers[@]}" | sort -g | sed -n 2p >"$tmp/p"
printf '%s\n' "${fork[@]}" | sort -g | sed -n 2p >"$tmp/f"
awk -v p="$(cat "$tmp/p")" -v f="$(cat "$tmp/f")" 'BEGIN {
    r = p / f
    printf "afl median persistent / median fork server: %.0f / %.0f = %.1fx (target >= 10x: %s)\n", p, f, r, ((r >= 10) ? "met" : "NOT met")
}'
awk -v p="$empty_pers" -v f="$empty_fork" 'BEGIN {
    printf "afl fuzz_empty (the machine'"'"'s ceiling): persistent %.0f, fork server %.0f exec/s = %.1fx\n", p, f, p / f
}'
echo "fuzz-bench: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
