#!/usr/bin/env bash
# scripts/fuzz-ci.sh: CI's fuzzing stage (docs/fuzzing.md), run by
# scripts/test.sh after the CTest runs (which already replay every seed and
# regression input through every target in regression mode, under ASan and
# UBSan in the asan-ubsan preset). Here:
#
# 1. .clusterfuzzlite/build.sh without Docker for libFuzzer + ASan, then a
#    check like OSS-Fuzz's check_build for every target in $OUT: it runs
#    (-seed=1337 -runs=4), it is instrumented (ASan calls in objdump), and
#    every seed passes (-runs=0 over the unzipped TARGET_seed_corpus.zip);
# 2. a short libFuzzer run per target (SECONDS each, default 8) with its
#    dictionary, options and the structure-aware mutator; any finding fails
#    (the legacy targets run with KEV_FUZZ_DEFECTS=none: the emulation must
#    stay clean; their defects are what the time-to-defect runs measure);
# 3. build.sh for AFL++ (persistent mode, shared-memory test cases) and a
#    smoke run of fuzz_sequence with the custom mutator library: it must
#    execute and find nothing.
#
# Usage: scripts/fuzz-ci.sh [SECONDS]   (skips with a note when clang's
# libFuzzer or afl-fuzz is missing: scripts/deps.sh --test installs them)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-8}
out=$root/build/fuzz-ci
rm -rf "$out"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
targets=$(awk '!/^#/ && NF { print $1 }' "$root/fuzz/targets.list")
fail() {
    echo "fuzz-ci: FAIL: $*" >&2
    exit 1
}
# Runs of the short libFuzzer run: ~SECONDS at this machine's ASan rates
# (fuzz_trace inflates whole traces: ten times slower).
runs_for() {
    case "$1" in fuzz_trace) echo $((secs * 1000)) ;; *) echo $((secs * 8000)) ;; esac
}
defects_for() {
    case "$1" in fuzz_legacy_*) echo none ;; *) echo all ;; esac
}

echo "== fuzz: libFuzzer + ASan build (.clusterfuzzlite/build.sh)" >&2
bash "$root/scripts/fuzz-build.sh" libfuzzer address "$out/libfuzzer" >/dev/null
lf=$out/libfuzzer
for t in $targets; do
    [ -x "$lf/$t" ] || fail "$t was not built"
    for f in "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
        [ -s "$lf/$f" ] || fail "$lf/$f missing"
    done
    KEV_FUZZ_DEFECTS=$(defects_for "$t") "$lf/$t" -seed=1337 -runs=4 >"$tmp/log" 2>&1 ||
        fail "$t -runs=4: $(tail -n 5 "$tmp/log")"
    grep -q "Done 4 runs" "$tmp/log" || fail "$t did not run 4 inputs"
    calls=$(objdump -d "$lf/$t" | grep -c 'call.*<__asan' || true)
    [ "$calls" -gt 1000 ] || fail "$t has $calls ASan calls: not instrumented"
    mkdir "$tmp/seeds_$t"
    (cd "$tmp/seeds_$t" && python3 -m zipfile -e "$lf/${t}_seed_corpus.zip" .)
    n=$(find "$tmp/seeds_$t" -type f | wc -l)
    KEV_FUZZ_DEFECTS=$(defects_for "$t") "$lf/$t" -runs=0 "$tmp/seeds_$t" >"$tmp/log" 2>&1 ||
        fail "$t over its $n seeds: $(tail -n 5 "$tmp/log")"
    echo "fuzz-ci: $t: builds, runs, $calls ASan calls, $n seeds pass" >&2
done

echo "== fuzz: libFuzzer, ${secs}s per target" >&2
for t in $targets; do
    rm -rf "$tmp/c" && mkdir "$tmp/c"
    max_len=$(awk -v t="$t" '$1 == t { print $3 }' "$root/fuzz/targets.list")
    # A fixed seed and a fixed number of runs: the same inputs in the same
    # order on every machine; the time cap only ends a slow machine's run
    # early, on a prefix of that sequence.
    KEV_FUZZ_DEFECTS=$(defects_for "$t") "$lf/$t" -seed=1 -runs="$(runs_for "$t")" \
        -max_total_time="$((secs * 3))" \
        -max_len="$max_len" -dict="$lf/$t.dict" -artifact_prefix="$tmp/" \
        -print_final_stats=1 "$tmp/c" "$tmp/seeds_$t" >"$tmp/log" 2>&1 ||
        fail "$t found something: $(grep -m3 -E '^kevrr|ERROR' "$tmp/log")"
    rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$tmp/log")
    runs=$(awk '/^Done [0-9]+ runs/ { print $2 }' "$tmp/log")
    echo "fuzz-ci: $t: ${runs:-?} runs, $rate exec/s, corpus $(find "$tmp/c" -type f | wc -l), no finding" >&2
done

if ! command -v afl-fuzz >/dev/null 2>&1; then
    echo "== fuzz: AFL++ skipped, afl-fuzz is not installed" >&2
    exit 0
fi
echo "== fuzz: AFL++ build and smoke run" >&2
bash "$root/scripts/fuzz-build.sh" afl none "$out/afl" >/dev/null
afl=$out/afl
for t in $targets; do
    [ -x "$afl/$t" ] || fail "AFL++ $t was not built"
done
[ -f "$afl/kevrr_mutator.so" ] || fail "kevrr_mutator.so was not built"
mkdir -p "$tmp/afl-in"
(cd "$tmp/afl-in" && python3 -m zipfile -e "$afl/fuzz_sequence_seed_corpus.zip" .)
AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
    AFL_CUSTOM_MUTATOR_LIBRARY=$afl/kevrr_mutator.so KEV_MUTATOR_FORM=multi \
    afl-fuzz -i "$tmp/afl-in" -o "$tmp/afl-out" -V "$secs" -- "$afl/fuzz_sequence" \
    >"$tmp/afl.log" 2>&1 || fail "afl-fuzz: $(tail -n 5 "$tmp/afl.log")"
stats=$tmp/afl-out/default/fuzzer_stats
execs=$(awk -F' *: *' '$1 == "execs_done" { print $2 }' "$stats")
crashes=$(awk -F' *: *' '$1 == "saved_crashes" { print $2 }' "$stats")
rate=$(awk -F' *: *' '$1 == "execs_per_sec" { print $2 }' "$stats")
[ "${execs:-0}" -gt 1000 ] || fail "afl-fuzz executed only ${execs:-0} inputs"
[ "${crashes:-0}" -eq 0 ] || fail "afl-fuzz saved $crashes crash(es) in fuzz_sequence"
echo "fuzz-ci: afl fuzz_sequence: ${secs}s, $execs execs ($rate exec/s), no crash" >&2
