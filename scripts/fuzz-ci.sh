#!/usr/bin/env bash
# scripts/fuzz-ci.sh: CI's fuzzing stage (docs/fuzzing.md, "CI"), run by
# scripts/test.sh after the CTest runs (which already replay every seed and
# regression input through every target in regression mode, under ASan and
# UBSan in the asan-ubsan preset). It emulates what ClusterFuzzLite and
# OSS-Fuzz do with the project, without Docker:
#
# 1. zlib's source at the pinned version (scripts/fuzz-zlib.sh: Debian's
#    source package, else the upstream release); without it, memory is
#    skipped with a message;
# 2. for libFuzzer with address, undefined and memory (when zlib's source is
#    here), and coverage: .clusterfuzzlite/build.sh with base-builder's
#    exact flags (scripts/fuzz-build.sh), then scripts/fuzz-check.sh: what
#    bad_build_check checks, from a copy of $OUT with the working directory
#    at /, and every seed through every target with an empty environment;
# 3. a short libFuzzer run per target on the address build (SECONDS each at
#    most, default 8: a fixed seed and a fixed number of runs, so every
#    machine runs the same inputs), with its dictionary, options and the
#    structure-aware mutator, no variable set: any finding fails;
# 4. AFL++ with address: the build, fuzz-check.sh (afl-fuzz starts on every
#    target, with the custom mutator) and SECONDS of afl-fuzz on
#    fuzz_sequence with the mutator: over 1,000 executions, no crash.
#
# Usage: scripts/fuzz-ci.sh [SECONDS]
# Skips a stage with a note when its tool is missing (clang's libFuzzer,
# afl-fuzz, llvm-cov: scripts/deps.sh --test installs them).
# Exit: 0 every stage passed or was skipped; 1 a stage failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in -h | --help)
    sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac
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
# stage ENGINE SANITIZER: build and check.
stage() {
    local t0=$SECONDS
    echo "== fuzz: $1 + $2: build (scripts/fuzz-build.sh), check (scripts/fuzz-check.sh)" >&2
    bash "$root/scripts/fuzz-build.sh" "$1" "$2" "$out/$1-$2" >"$tmp/build.log" 2>&1 ||
        fail "build $1 $2: $(tail -n 20 "$tmp/build.log")"
    bash "$root/scripts/fuzz-check.sh" "$1" "$2" "$out/$1-$2" >&2 || fail "fuzz-check.sh $1 $2"
    echo "fuzz-ci: $1 + $2: $((SECONDS - t0)) s" >&2
}

echo "== fuzz: zlib source (scripts/fuzz-zlib.sh)" >&2
sanitizers="address undefined"
if bash "$root/scripts/fuzz-zlib.sh" "$root/build/zlib-src" >"$tmp/zlib.log" 2>&1; then
    sanitizers+=" memory"
else
    echo "fuzz-ci: memory skipped: no zlib source here:" >&2
    sed 's/^/  /' "$tmp/zlib.log" >&2
fi
for s in $sanitizers; do
    stage libfuzzer "$s"
done
if command -v llvm-cov >/dev/null 2>&1 || command -v "llvm-cov-$(clang -dumpversion | cut -d. -f1)" >/dev/null 2>&1; then
    stage libfuzzer coverage
else
    echo "== fuzz: coverage skipped, llvm-cov is not installed" >&2
fi

echo "== fuzz: libFuzzer + ASan, ${secs}s per target at most" >&2
lf=$out/libfuzzer-address
for t in $targets; do
    rm -rf "$tmp/c" "$tmp/s" && mkdir "$tmp/c" "$tmp/s"
    (cd "$tmp/s" && python3 -m zipfile -e "$lf/${t}_seed_corpus.zip" .)
    max_len=$(awk -v t="$t" '$1 == t { print $3 }' "$root/fuzz/targets.list")
    # fuzz_trace inflates whole traces and runs each in two worlds: about
    # thirty times slower per input.
    runs=$((secs * 8000))
    [ "$t" != fuzz_trace ] || runs=$((secs * 500))
    # A fixed seed and a fixed number of runs: the same inputs in the same
    # order on every machine; the time cap only ends a slow machine's run
    # early, on a prefix of that sequence.
    (cd / && env -u KEV_FUZZ_DEFECTS "$lf/$t" -seed=1 -runs="$runs" \
        -max_total_time="$((secs * 3))" -max_len="$max_len" -dict="$lf/$t.dict" \
        -artifact_prefix="$tmp/" -print_final_stats=1 "$tmp/c" "$tmp/s") >"$tmp/log" 2>&1 ||
        fail "$t found something: $(grep -m3 -E '^kevrr|ERROR' "$tmp/log")"
    rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$tmp/log")
    done_runs=$(awk '/^Done [0-9]+ runs/ { print $2 }' "$tmp/log")
    echo "fuzz-ci: $t: ${done_runs:-?} runs, $rate exec/s, corpus $(find "$tmp/c" -type f | wc -l), no finding" >&2
done

if ! command -v afl-fuzz >/dev/null 2>&1; then
    echo "== fuzz: AFL++ skipped, afl-fuzz is not installed" >&2
    exit 0
fi
stage afl address
afl=$out/afl-address
mkdir -p "$tmp/afl-in"
(cd "$tmp/afl-in" && python3 -m zipfile -e "$afl/fuzz_sequence_seed_corpus.zip" .)
AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
    AFL_CUSTOM_MUTATOR_LIBRARY=$afl/kevrr_mutator.so KEV_MUTATOR_FORM=multi \
    ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_odr_violation=0 \
    afl-fuzz -i "$tmp/afl-in" -o "$tmp/afl-out" -m none -V "$secs" -- "$afl/fuzz_sequence" \
    >"$tmp/afl.log" 2>&1 || fail "afl-fuzz: $(tail -n 5 "$tmp/afl.log")"
stats=$tmp/afl-out/default/fuzzer_stats
execs=$(awk -F' *: *' '$1 == "execs_done" { print $2 }' "$stats")
crashes=$(awk -F' *: *' '$1 == "saved_crashes" { print $2 }' "$stats")
rate=$(awk -F' *: *' '$1 == "execs_per_sec" { print $2 }' "$stats")
[ "${execs:-0}" -gt 1000 ] || fail "afl-fuzz executed only ${execs:-0} inputs"
[ "${crashes:-0}" -eq 0 ] || fail "afl-fuzz saved $crashes crash(es) in fuzz_sequence"
echo "fuzz-ci: afl fuzz_sequence: ${secs}s, $execs execs ($rate exec/s), no crash" >&2
