#!/usr/bin/env bash
# scripts/fuzz-coverage.sh: coverage as the measure of fuzzing
# (docs/fuzzing.md, "Coverage"). Builds the coverage variant of the targets
# (scripts/fuzz-build.sh libfuzzer coverage: OSS-Fuzz's
# -fprofile-instr-generate -fcoverage-mapping build), optionally runs a
# campaign per target first, then runs every input of every target's corpus
# through it once and prints the line coverage of each source file of src/,
# and the total of the event-processing core.
#
# Usage: scripts/fuzz-coverage.sh [--time S] [--targets T,T...] [--dir DIR]
#                                 [--uncovered] [CORPUS...]
#   --time S      first a libFuzzer campaign of S seconds per target, one
#                 target at a time, one process (one core), from its seeds
#                 (and what DIR/corpus/TARGET holds already), with its
#                 dictionary and max_len, no sanitizer, KEV_FUZZ_DEFECTS
#                 unset (no defect stops it); prints the executions of each
#                 (default 0: no campaign)
#   --targets     the targets to measure (default: every one of
#                 fuzz/targets.list)
#   --dir DIR     builds, corpora and profiles (default build/fuzz-coverage):
#                 DIR/cov (coverage build), DIR/fuzz (campaign build),
#                 DIR/corpus/TARGET, DIR/profiles; a build is remade
#                 when a file of src/, fuzz/ or corpus/ is newer than it
#   --uncovered   also list the lines of the core that no input reached
#   --with-regressions  also each target's regression inputs (the findings
#                 CI replays, build/default/fuzz/regressions/TARGET)
#   CORPUS...     folders whose inputs are run too, through every target
#                 measured (e.g. a storage repository's corpus/TARGET)
# The inputs measured per target: its seeds, DIR/corpus/TARGET and CORPUS
# (and its regression inputs with --with-regressions).
# Core files: src/world.c, src/handlers_*.c, src/wire.c,
# src/kernel_events.c, src/cache.c, src/store.c.
# Exit: 0 done; 2 usage; 3 a build or a tool failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/fuzz-lib.sh
. "$root/scripts/fuzz-lib.sh"
usage() {
    sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//'
}
time_s=0
targets=""
dir=$root/build/fuzz-coverage
uncovered=0
regressions=0
while [ $# -gt 0 ]; do
    case "$1" in
    --time) time_s=${2:?}; shift 2 ;;
    --targets) targets=${2:?}; shift 2 ;;
    --dir) dir=${2:?}; shift 2 ;;
    --uncovered) uncovered=1; shift ;;
    --with-regressions) regressions=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "fuzz-coverage.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
extra=("$@")
list=$root/fuzz/targets.list
all=$(awk '!/^#/ && NF { print $1 }' "$list")
targets=${targets:-$all}
targets=${targets//,/ }
for t in $targets; do
    grep -qx "$t" <<<"$all" || { echo "fuzz-coverage.sh: $t is not in fuzz/targets.list" >&2; exit 2; }
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# The LLVM tools that match clang's version.
major=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)
tool() {
    if command -v "$1-$major" >/dev/null 2>&1; then echo "$1-$major"; else echo "$1"; fi
}
profdata=$(tool llvm-profdata)
llvmcov=$(tool llvm-cov)

cov=$dir/cov
if kev_fuzz_stale "$cov/$(set -- $targets; echo "$1")"; then
    echo "== coverage build: scripts/fuzz-build.sh libfuzzer coverage $cov" >&2
    rm -rf "$dir/seeds" # unzipped from the build's seed archives
    bash "$root/scripts/fuzz-build.sh" libfuzzer coverage "$cov" >/dev/null 2>"$dir/cov-build.log" ||
        { tail -n 20 "$dir/cov-build.log" >&2; exit 3; }
fi

seeds_of() {
    mkdir -p "$dir/seeds/$1"
    if [ -z "$(ls -A "$dir/seeds/$1")" ]; then
        (cd "$dir/seeds/$1" && python3 -m zipfile -e "$cov/${1}_seed_corpus.zip" .)
    fi
    echo "$dir/seeds/$1"
}

if [ "$time_s" -gt 0 ]; then
    fz=$dir/fuzz
    if kev_fuzz_stale "$fz/$(set -- $targets; echo "$1")"; then
        echo "== campaign build: scripts/fuzz-build.sh libfuzzer none $fz" >&2
        bash "$root/scripts/fuzz-build.sh" libfuzzer none "$fz" >/dev/null 2>"$dir/fuzz-build.log" ||
            { tail -n 20 "$dir/fuzz-build.log" >&2; exit 3; }
    fi
    for t in $targets; do
        max_len=$(awk -v t="$t" '$1 == t { print $3 }' "$list")
        mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t"
        s=$(seeds_of "$t")
        echo "== campaign: $t, ${time_s}s, one process" >&2
        rc=0
        (cd "$dir/artifacts/$t" && env -u KEV_FUZZ_DEFECTS "$fz/$t" -max_total_time="$time_s" \
            -max_len="$max_len" -dict="$fz/$t.dict" -artifact_prefix="$dir/artifacts/$t/" \
            -print_final_stats=1 "$dir/corpus/$t" "$s") \
            >"$dir/campaign-$t.log" 2>&1 || rc=$?
        execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$dir/campaign-$t.log")
        rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$dir/campaign-$t.log")
        note=""
        [ "$rc" -eq 0 ] || note=", stopped early (exit $rc: $(grep -m1 -E '^kevrr|ERROR:' "$dir/campaign-$t.log"))"
        echo "campaign $t: ${execs:-?} executions, ${rate:-?} exec/s, corpus $(find "$dir/corpus/$t" -type f | wc -l)$note"
    done
fi

rm -rf "$dir/profiles"
mkdir -p "$dir/profiles"
objs=()
for t in $targets; do
    s=$(seeds_of "$t")
    ins=("$s")
    [ -d "$dir/corpus/$t" ] && ins+=("$dir/corpus/$t")
    if [ "$regressions" -eq 1 ]; then
        r=$root/build/default/fuzz/regressions/$t
        [ -d "$r" ] || { echo "fuzz-coverage.sh: $r: no such folder (cmake --build --preset default)" >&2; exit 2; }
        ins+=("$r")
    fi
    ins+=(${extra[@]+"${extra[@]}"})
    n=$(find "${ins[@]}" -type f | wc -l)
    LLVM_PROFILE_FILE="$dir/profiles/$t.%p.profraw" "$cov/$t" -runs=0 "${ins[@]}" \
        >"$dir/profiles/$t.log" 2>&1 || {
        echo "fuzz-coverage.sh: $t failed over its inputs:" >&2
        grep -m3 -E '^kevrr|ERROR' "$dir/profiles/$t.log" >&2 || tail -n 5 "$dir/profiles/$t.log" >&2
        exit 3
    }
    echo "coverage run $t: $n inputs" >&2
    objs+=(-object "$cov/$t")
done
"$profdata" merge -sparse "$dir"/profiles/*.profraw -o "$dir/coverage.profdata"
"$llvmcov" export -summary-only -instr-profile="$dir/coverage.profdata" "${objs[@]:1}" \
    >"$dir/coverage.json"

python3 - "$dir/coverage.json" "$root" <<'PY'
import json, os, re, sys
data = json.load(open(sys.argv[1]))
root = os.path.realpath(sys.argv[2]) + "/"
core = re.compile(r"^src/(world\.c|handlers_[a-z0-9_]+\.c|wire\.c|kernel_events\.c|cache\.c|store\.c)$")
rows = []
for f in data["data"][0]["files"]:
    name = os.path.realpath(f["filename"])
    if not name.startswith(root + "src/"):
        continue
    rel = name[len(root):]
    l = f["summary"]["lines"]
    rows.append((rel, l["count"], l["covered"]))
rows.sort()
print(f"{'file':32} {'lines':>6} {'covered':>8} {'%':>7}")
tc = tl = 0
for rel, n, c in rows:
    mark = " *" if core.match(rel) else ""
    print(f"{rel:32} {n:6d} {c:8d} {100.0 * c / n if n else 100.0:6.1f}%{mark}")
    if mark:
        tl += n
        tc += c
print(f"core (* above: world, handlers_*, wire, kernel_events, cache, store): "
      f"{tc} of {tl} lines, {100.0 * tc / tl if tl else 0:.1f} %")
PY

if [ "$uncovered" -eq 1 ]; then
    core_files=$(cd "$root" && ls src/world.c src/handlers_*.c src/wire.c src/kernel_events.c \
        src/cache.c src/store.c)
    for f in $core_files; do
        echo "== not reached: $f"
        "$llvmcov" show -instr-profile="$dir/coverage.profdata" "${objs[@]:1}" \
            "$root/$f" 2>/dev/null |
            awk -F'|' '$2 ~ /^ *0$/ { sub(/^ */, "", $1); printf "%s:%s\n", $1, $3 }'
    done
fi
