#!/usr/bin/env bash
# scripts/fuzz-afl.sh: an AFL++ campaign on one target (docs/fuzzing.md):
# one main instance with CMPLOG (-M main -c the CMPLOG build) and N-1
# secondaries (-S), all on one output folder, with the target's dictionary
# and the structure-aware mutator (AFL_CUSTOM_MUTATOR_LIBRARY, its input
# form from fuzz/targets.list). The AFL++ builds (persistent mode,
# shared-memory test cases) are made when missing or older than the sources. Prints each instance's
# exec/s, corpus and crashes at the end.
#
# Usage: scripts/fuzz-afl.sh [--time S] [--instances N] [--defects LIST] [--out OUT]
#                            [--dir DIR] [--no-mutator] TARGET
#   --time S        each instance's budget in seconds (afl-fuzz -V; default 600)
#   --instances N   1 main + N-1 secondaries (default 2)
#   --defects LIST  the defects a legacy target aborts on (KEV_FUZZ_DEFECTS;
#                   default $KEV_FUZZ_DEFECTS, else all), kept in
#                   DIR/campaign.env for fuzz-triage.sh and fuzz-regress.sh
#   --out OUT       the AFL++ build (default build/fuzz-afl; CMPLOG in OUT-cmplog)
#   --dir DIR       the -o folder's parent (default build/fuzz-campaign/TARGET-afl);
#                   crashes land in DIR/out/INSTANCE/crashes/, logs in DIR/INSTANCE.log
#   --no-mutator    AFL++'s own mutations only
# Exit: 0 done (crashes are reported, not failures); 2 usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/fuzz-lib.sh
. "$root/scripts/fuzz-lib.sh"
usage() {
    sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//'
}
time_s=600
n=2
defects=${KEV_FUZZ_DEFECTS:-all}
out=$root/build/fuzz-afl
dir=""
mutator=1
while [ $# -gt 0 ]; do
    case "$1" in
    --time) time_s=${2:?}; shift 2 ;;
    --instances) n=${2:?}; shift 2 ;;
    --defects) defects=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --dir) dir=${2:?}; shift 2 ;;
    --no-mutator) mutator=0; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "fuzz-afl.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -ne 1 ]; then
    usage >&2
    exit 2
fi
target=$1
form=$(awk -v t="$target" '$1 == t { print $2 }' "$root/fuzz/targets.list")
[ -n "$form" ] || { echo "fuzz-afl.sh: $target is not in fuzz/targets.list" >&2; exit 2; }
dir=${dir:-$root/build/fuzz-campaign/$target-afl}
if kev_fuzz_stale "$out/$target"; then bash "$root/scripts/fuzz-build.sh" afl none "$out"; fi
if kev_fuzz_stale "$out-cmplog/$target"; then AFL_LLVM_CMPLOG=1 bash "$root/scripts/fuzz-build.sh" afl none "$out-cmplog"; fi
out=$(cd "$out" && pwd)
mkdir -p "$dir/in"
if [ -z "$(ls -A "$dir/in")" ]; then
    (cd "$dir/in" && python3 -m zipfile -e "$out/${target}_seed_corpus.zip" .)
fi
max_len=$(awk -v t="$target" '$1 == t { print $3 }' "$root/fuzz/targets.list")

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_NO_AFFINITY=${AFL_NO_AFFINITY:-1} AFL_CMPLOG_ONLY_NEW=1 AFL_FAST_CAL=1
export KEV_MUTATOR_FORM=$form
if [ "$mutator" -eq 1 ]; then
    export AFL_CUSTOM_MUTATOR_LIBRARY=$out/kevrr_mutator.so
fi
# A local campaign hunts defects (all unless told otherwise); the setting
# stays with the crashes.
export KEV_FUZZ_DEFECTS=$defects
printf 'target=%s\nKEV_FUZZ_DEFECTS=%s\nbuild=%s\n' "$target" "$defects" "$out" \
    >"$dir/campaign.env"
common=(-i "$dir/in" -o "$dir/out" -V "$time_s" -G "$max_len" -x "$out/$target.dict" -t 5000)
pids=()
afl-fuzz "${common[@]}" -M main -c "$out-cmplog/$target" -- "$out/$target" \
    >"$dir/main.log" 2>&1 &
pids+=($!)
for i in $(seq 2 "$n"); do
    afl-fuzz "${common[@]}" -S "s$i" -- "$out/$target" >"$dir/s$i.log" 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do
    wait "$p" || true
done
for s in "$dir"/out/*/fuzzer_stats; do
    inst=$(basename "$(dirname "$s")")
    awk -v i="$inst" -F' *: *' '
        $1 == "execs_per_sec" { e = $2 } $1 == "corpus_count" { c = $2 }
        $1 == "saved_crashes" { k = $2 } $1 == "execs_done" { d = $2 }
        END { printf "afl %s: %s exec/s, %s execs, corpus %s, crashes %s\n", i, e, d, c, k }' "$s"
done
