#!/usr/bin/env bash
# scripts/fuzz-check.sh: what OSS-Fuzz and ClusterFuzzLite check of a build
# before they fuzz it (base-runner's test_all.py and bad_build_check), run
# locally on an $OUT made by scripts/fuzz-build.sh (docs/fuzzing.md, "The
# contract, locally"), plus every seed through every target in an empty
# environment.
#
# Usage: scripts/fuzz-check.sh [--runs-only] ENGINE SANITIZER OUT
#   ENGINE, SANITIZER: what OUT was built for (scripts/fuzz-build.sh);
#   OUT: the build. It is copied to a scratch folder first (test_all.py
#     moves $OUT away to catch paths baked in at build time) and every
#     target runs from there with the working directory at /, with
#     `env -i` (no variable at all: what an engine's default environment
#     guarantees at the least) unless a check needs one.
# Per target of fuzz/targets.list:
#   - it is there with its NAME_seed_corpus.zip, NAME.dict, NAME.options,
#     is an x86-64 ELF file, and links no zlib dynamically;
#   - libfuzzer (address, undefined, memory, none): `-seed=1337 -runs=4`
#     runs 4 inputs on instrumented code, over 100 edges (check_engine,
#     check_startup_crash, with run_fuzzer's -rss_limit_mb=2560 -timeout=25,
#     the .options and the dictionary); calls into the sanitizer runtimes
#     within bad_build_check's thresholds (objdump: ASan >= 1000 calls for
#     address, MSan >= 1000 for memory, UBSan >= 168 for undefined, and no
#     other sanitizer's past its limit); every seed with -runs=0 exits 0 and
#     prints no sanitizer report (an unsigned-overflow note from zlib's own
#     code aside: base-runner silences those with
#     silence_unsigned_overflow=1, and zlib is not ours);
#   - coverage: every seed with -runs=0 writes a profile that llvm-profdata
#     merges and llvm-cov reads, covering src/world.c;
#   - afl: afl-fuzz starts on it ("All set and ready to roll", within 35 s,
#     AFL_FORKSRV_INIT_TMOUT=30000) and the target neither crashed nor
#     terminated; with AFL_CUSTOM_MUTATOR_LIBRARY=kevrr_mutator.so too.
# --runs-only: the seed runs alone (the other checks skipped).
# Exit: 0 every check passed; 1 a check failed (each failure is printed,
# "BAD BUILD: ..." as bad_build_check words it); 2 usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
    sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//'
}
runs_only=0
while [ $# -gt 0 ]; do
    case "$1" in
    --runs-only) runs_only=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "fuzz-check.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -ne 3 ]; then
    usage >&2
    exit 2
fi
engine=$1
sanitizer=$2
case "$engine/$sanitizer" in
libfuzzer/address | libfuzzer/undefined | libfuzzer/memory | libfuzzer/none | \
    libfuzzer/coverage | afl/address | afl/undefined | afl/none) ;;
*) echo "fuzz-check.sh: no check for $engine with $sanitizer (--help)" >&2; exit 2 ;;
esac
[ -d "$3" ] || { echo "fuzz-check.sh: $3: no such folder" >&2; exit 2; }
list=$root/fuzz/targets.list
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# test_all.py's "not-out": the build, moved where nothing points.
out=$tmp/not-out
cp -a "$3" "$out"
failed=0
bad() {
    echo "BAD BUILD: $*"
    failed=$((failed + 1))
}
# run_empty LOG CMD...: CMD with an empty environment, cwd /, no stdin.
run_empty() {
    local log=$1
    shift
    (cd / && env -i "$@") </dev/null >"$log" 2>&1
}

# Sanitizer runtime calls per bad_build_check's thresholds.
check_calls() {
    local t=$1 asan msan ubsan dfsan
    objdump -dC "$out/$t" >"$tmp/objdump"
    asan=$(grep -cE 'callq?\s+[0-9a-f]+\s+<__asan' "$tmp/objdump" || true)
    msan=$(grep -cE 'callq?\s+[0-9a-f]+\s+<__msan' "$tmp/objdump" || true)
    ubsan=$(grep -cE 'callq?\s+[0-9a-f]+\s+<__ubsan' "$tmp/objdump" || true)
    dfsan=$(grep -cE 'callq?\s+[0-9a-f]+\s+<__dfsan' "$tmp/objdump" || true)
    calls="ASan $asan, MSan $msan, UBSan $ubsan calls"
    [ "$dfsan" -eq 0 ] || bad "$t seems to be compiled with DFSan ($dfsan calls)"
    case "$sanitizer" in
    address)
        [ "$asan" -ge 1000 ] || bad "$t does not seem to be compiled with ASan ($asan calls)"
        [ "$msan" -le 3 ] || bad "ASan build of $t seems to be compiled with MSan"
        [ "$ubsan" -le 200 ] || bad "ASan build of $t seems to be compiled with UBSan"
        ;;
    memory)
        [ "$msan" -ge 1000 ] || bad "$t does not seem to be compiled with MSan ($msan calls)"
        [ "$asan" -eq 0 ] || bad "MSan build of $t seems to be compiled with ASan"
        [ "$ubsan" -le 200 ] || bad "MSan build of $t seems to be compiled with UBSan"
        ;;
    undefined)
        [ "$ubsan" -ge 168 ] || bad "$t does not seem to be compiled with UBSan ($ubsan calls)"
        [ "$asan" -eq 0 ] || bad "UBSan build of $t seems to be compiled with ASan"
        [ "$msan" -le 3 ] || bad "UBSan build of $t seems to be compiled with MSan"
        ;;
    esac
}

# What is left of LOG once zlib's unsigned-overflow notes are set aside:
# the sanitizer reports that fail a seed run.
reports() {
    grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|MemorySanitizer|libFuzzer)|WARNING: MemorySanitizer|runtime error:|^kevrr ' "$1" |
        grep -vE '/zlib[^ ]*/[a-z0-9]+\.c:[0-9]+:[0-9]+: runtime error: unsigned integer overflow' || true
}

# libFuzzer's flags from TARGET.options, as run_fuzzer passes them.
options_of() {
    sed -n 's/^ *\([a-z_]*\) *= *\(.*[^ ]\) *$/-\1=\2/p' "$out/$1.options" | grep -v '^-libfuzzer' || true
}

check_afl() {
    local t=$1 form=$2 log=$tmp/afl-$t.log
    rm -rf "$tmp/afl-in" "$tmp/afl-out"
    mkdir -p "$tmp/afl-in"
    echo input >"$tmp/afl-in/input"
    (cd / && AFL_FORKSRV_INIT_TMOUT=30000 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 \
        AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_IGNORE_PROBLEMS=1 \
        AFL_CUSTOM_MUTATOR_LIBRARY="$out/kevrr_mutator.so" KEV_MUTATOR_FORM=$form \
        ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_odr_violation=0 \
        timeout -s INT 35s afl-fuzz -i "$tmp/afl-in" -o "$tmp/afl-out" -m none -t 5000+ \
        -V 3 -x "$out/$t.dict" -- "$out/$t") </dev/null >"$log" 2>&1 || true
    grep -q "All set and ready to roll" "$log" ||
        { bad "fuzzing $t with afl-fuzz failed:"; tail -n 15 "$log"; }
    if grep -qE "target binary (crashed|terminated)" "$log"; then
        bad "$t seems to have either startup crash or exit:"
        tail -n 15 "$log"
    fi
}

check_seeds() {
    local t=$1 s=$tmp/seeds/$t n log=$tmp/seeds-$t.log rc=0
    mkdir -p "$s"
    (cd "$s" && python3 -m zipfile -e "$out/${t}_seed_corpus.zip" .)
    n=$(find "$s" -type f | wc -l)
    if [ "$sanitizer" = coverage ]; then
        (cd / && env -i LLVM_PROFILE_FILE="$tmp/prof/$t.%p.profraw" "$out/$t" -runs=0 "$s") \
            </dev/null >"$log" 2>&1 || rc=$?
    else
        # shellcheck disable=SC2046 # one flag per line
        run_empty "$log" "$out/$t" -rss_limit_mb=2560 -timeout=25 -runs=0 $(options_of "$t") "$s" || rc=$?
    fi
    local r
    r=$(reports "$log")
    if [ "$rc" -ne 0 ] || [ -n "$r" ]; then
        bad "$t has a failing input in its seed corpus (exit $rc):"
        printf '%s\n' "${r:-$(tail -n 10 "$log")}" | head -n 10
        return
    fi
    local note=""
    grep -q 'runtime error: unsigned integer overflow' "$log" &&
        note=" (zlib's unsigned-overflow note set aside)"
    seeds_msg="$n seeds clean with an empty environment$note"
}

targets=$(awk '!/^#/ && NF { print $1 " " $2 }' "$list")
[ "$engine" != afl ] || [ -f "$out/kevrr_mutator.so" ] || bad "kevrr_mutator.so is missing"
while read -r t form; do
    seeds_msg="" calls="" runs_msg=""
    if [ ! -x "$out/$t" ]; then
        bad "$t was not built"
        continue
    fi
    if [ "$runs_only" -eq 0 ]; then
        for f in "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
            [ -s "$out/$f" ] || bad "$f is missing"
        done
        file "$out/$t" | grep -q 'ELF 64-bit.*x86-64' || bad "$t is not built for x86_64"
        if ldd "$out/$t" 2>/dev/null | grep -q 'libz\.so'; then
            bad "$t links zlib dynamically: $(ldd "$out/$t" | grep libz)"
        fi
        case "$engine/$sanitizer" in
        libfuzzer/coverage) ;;
        libfuzzer/*)
            check_calls "$t"
            log=$tmp/runs-$t.log
            # shellcheck disable=SC2046 # one flag per line
            run_empty "$log" "$out/$t" -rss_limit_mb=2560 -timeout=25 -seed=1337 -runs=4 \
                $(options_of "$t") -dict="$out/$t.dict" || true
            if grep -q "ERROR: no interesting inputs were found" "$log"; then
                bad "$t does not seem to have coverage instrumentation."
            fi
            edges=$(grep -Po 'INFO: Loaded [[:digit:]]+ module.*\(.*(counters|guards)\):[[:space:]]+\K[[:digit:]]+' "$log" | head -n1 || true)
            if [ -z "$edges" ] || [ "$edges" -lt 100 ]; then
                bad "$t seems to have only partial coverage instrumentation (${edges:-no} edges)."
            fi
            grep -q "Done 4 runs" "$log" || { bad "$t seems to have either startup crash or exit:"; tail -n 10 "$log"; }
            runs_msg="4 runs, ${edges:-?} edges, "
            ;;
        afl/*)
            check_afl "$t" "$form"
            runs_msg="afl-fuzz starts, "
            ;;
        esac
    fi
    [ "$engine" = afl ] || check_seeds "$t"
    echo "fuzz-check: $engine $sanitizer $t: ${runs_msg}${calls:+$calls, }${seeds_msg:-seeds not run}"
done <<<"$targets"

if [ "$sanitizer" = coverage ] && [ "$failed" -eq 0 ]; then
    major=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)
    profdata=llvm-profdata-$major
    llvmcov=llvm-cov-$major
    command -v "$profdata" >/dev/null 2>&1 || profdata=llvm-profdata
    command -v "$llvmcov" >/dev/null 2>&1 || llvmcov=llvm-cov
    objs=()
    while read -r t _; do objs+=(-object "$out/$t"); done <<<"$targets"
    if "$profdata" merge -sparse "$tmp"/prof/*.profraw -o "$tmp/cov.profdata" 2>"$tmp/cov.log" &&
        "$llvmcov" report -instr-profile="$tmp/cov.profdata" "${objs[@]:1}" >"$tmp/report" 2>>"$tmp/cov.log" &&
        grep -qE '(^|/)src/world\.c +[0-9]+' "$tmp/report"; then
        echo "fuzz-check: coverage: profiles merge, llvm-cov reports src/world.c: $(grep -E '(^|/)src/world\.c ' "$tmp/report" | awk '{print $(NF-3)}') of its lines"
    else
        bad "the coverage build's profiles do not make a report:"
        tail -n 5 "$tmp/cov.log"
    fi
fi
if [ "$failed" -gt 0 ]; then
    echo "fuzz-check: $engine $sanitizer: $failed check(s) failed"
    exit 1
fi
echo "fuzz-check: $engine $sanitizer: every check passed"
