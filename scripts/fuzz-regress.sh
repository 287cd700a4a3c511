#!/usr/bin/env bash
# scripts/fuzz-regress.sh: turns a fuzzer finding into a regression test
# (docs/fuzzing.md, "From a crash to a regression").
#
# Usage: scripts/fuzz-regress.sh [--defect N] [--runs N] [--build DIR] [--no-build]
#                                [--dry-run] TARGET CRASH [NAME]
#   --defect N   the defect to keep, for a legacy target's finding: the
#                replay selects only DN (KEV_FUZZ_DEFECTS=N), so an input
#                that meets D16 before D9 is kept as D9. Default: the
#                KEV_FUZZ_DEFECTS of the environment, else the campaign's
#                (campaign.env in a folder above CRASH, written by
#                fuzz-libfuzzer.sh and fuzz-afl.sh), else all (the first
#                defect the input meets; the others are listed)
#   --runs N     reproductions required (default 5)
#   --build DIR  the CMake build whose regression-mode targets replay CRASH
#                and where the new tests are registered (default build/default)
#   --no-build   do not build DIR and run the new tests: print the commands
#   --dry-run    reproduce and say what would be kept, under which name;
#                write nothing
#   NAME         letters, digits and '-'; default after what the finding and
#                its goldens show: dNN-CODE-SHA8 for defect DN (CODE), else
#                TARGET-CAUSE-SHA8. A defect finding's NAME starts dNN-.
# Steps:
# 1. Reproduce: DIR/fuzz/TARGET must fail on CRASH on every one of N runs
#    with the same first "kevrr ..." line (or sanitizer report); otherwise
#    nothing is added (exit 1), so a flaky reproducer never lands.
# 2. Keep the input: fuzz/regressions/TARGET/NAME (fuzz.TARGET.regressions
#    replays it).
# 3. For the batch targets, also a corpus regression: `kevrr import` makes a
#    trace; for a defect `kevrr reduce` shrinks it while the profile still
#    reports DN CODE; it becomes corpus/regressions/NAME.scn (raw batches,
#    a --verbose sidecar for the legacy targets, which run in configd's
#    verbose mode, and --ilp32 for the ILP32 ones) and corpus/regen.sh makes
#    its trace and goldens (corpus.regressions.NAME.PROFILE, and
#    fuzz.fuzz_legacy_PROFILE.NAME or fuzz.fuzz_ilp32_PROFILE.NAME for each
#    profile whose golden reports DN); the new trace must report DN on
#    every one of N replays.
# 4. Register and run: `cmake --build DIR --target ...` (re-globs the corpus
#    and re-exports the fuzz inputs), then `ctest --test-dir DIR -R ...` over
#    the new entries and corpus.traces-match-scenarios, both printed.
# Exit: 0 added and its tests pass; 1 the finding does not reproduce on
# every run; 2 usage; 3 a step failed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
    sed -n '/^# Usage:/,/^# every run; 2 usage/p' "$0" | sed 's/^# \{0,1\}//'
}
runs=5
build=$root/build/default
defect=""
do_build=1
dry=0
while [ $# -gt 0 ]; do
    case "$1" in
    --defect) defect=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --build) build=$(cd "${2:?}" && pwd); shift 2 ;;
    --no-build) do_build=0; shift ;;
    --dry-run) dry=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "fuzz-regress.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    usage >&2
    exit 2
fi
target=$1
crash=$2
name=${3:-}
case "$name" in
*[!A-Za-z0-9-]*) echo "fuzz-regress.sh: NAME '$name': letters, digits and '-' only" >&2; exit 2 ;;
esac
[ -f "$crash" ] || { echo "fuzz-regress.sh: $crash: no such file" >&2; exit 2; }
list=$root/fuzz/targets.list
form=$(awk -v t="$target" '$1 == t { print $2 }' "$list")
if [ -z "$form" ]; then
    echo "fuzz-regress.sh: $target is not in fuzz/targets.list" >&2
    exit 2
fi
profile=hardened
abi=() # --ilp32 for the ILP32 targets' replays
if [[ "$target" =~ ^fuzz_(legacy|ilp32)_([a-z0-9]+)$ ]]; then
    profile=${BASH_REMATCH[2]}
    [ "${BASH_REMATCH[1]}" = legacy ] || abi=(--ilp32)
fi
legacy_targets=$(awk '$1 ~ /^fuzz_(legacy|ilp32)_/ { print $1 }' "$list")

# The defect selection: --defect, the environment, the campaign's, all.
sel=all
how="the default: the first defect it meets"
if [ -n "$defect" ]; then
    [[ "$defect" =~ ^[Dd]?([0-9]+)$ ]] || { echo "fuzz-regress.sh: --defect $defect: a defect id" >&2; exit 2; }
    sel=${BASH_REMATCH[1]}
    how="--defect $sel"
elif [ -n "${KEV_FUZZ_DEFECTS:-}" ]; then
    sel=$KEV_FUZZ_DEFECTS
    how="KEV_FUZZ_DEFECTS=$sel"
else
    d=$(cd "$(dirname "$crash")" && pwd)
    while [ "$d" != / ]; do
        if [ -f "$d/campaign.env" ]; then
            sel=$(sed -n 's/^KEV_FUZZ_DEFECTS=//p' "$d/campaign.env")
            sel=${sel:-all}
            how="the campaign's, $d/campaign.env"
            break
        fi
        d=$(dirname "$d")
    done
fi

bin=$build/fuzz/$target
kevrr=$build/replay/kevrr
for b in "$bin" "$kevrr"; do
    [ -x "$b" ] || { echo "fuzz-regress.sh: $b: not built (cmake --build $build)" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Reproduce on every run, with the same key.
key=""
for i in $(seq 1 "$runs"); do
    # The group's stderr takes bash's own "Aborted ..." line for the crash.
    if { KEV_FUZZ_DEFECTS=$sel "$bin" "$crash" >"$tmp/out" 2>&1; } 2>/dev/null; then
        echo "fuzz-regress.sh: $crash: run $i of $runs passed (KEV_FUZZ_DEFECTS=$sel, $how): not added" >&2
        exit 1
    fi
    k=$(grep -m1 '^kevrr ' "$tmp/out" || true)
    k=${k%%:*}
    if [ -z "$k" ]; then
        k=$(grep -m1 -oE '(AddressSanitizer|LeakSanitizer|MemorySanitizer): [a-zA-Z-]+|runtime error: .*' "$tmp/out" || true)
        k=${k:-"exit without a kevrr line"}
    fi
    if [ "$i" -gt 1 ] && [ "$k" != "$key" ]; then
        echo "fuzz-regress.sh: $crash: run $i failed differently ('$k', not '$key'): not added" >&2
        exit 1
    fi
    key=$k
done
echo "reproduced $runs/$runs with KEV_FUZZ_DEFECTS=$sel ($how): $key"
id=""
code=""
sha=$(sha1sum "$crash" | cut -c1-8)
if [[ "$key" =~ ^kevrr\ defect\ D([0-9]+)\ \(([a-z0-9-]+)\) ]]; then
    id=${BASH_REMATCH[1]}
    code=${BASH_REMATCH[2]}
    dnn=$(printf 'd%02d' "$id")
    if [ -z "$name" ]; then
        name=$dnn-$code-$sha
    fi
    case "$name" in
    "$dnn"-*) ;;
    *) echo "fuzz-regress.sh: a D$id finding is named $dnn-..., not $name" >&2; exit 2 ;;
    esac
elif [ -z "$name" ]; then
    slug=$(printf '%s' "${target#fuzz_}-${key#kevrr }" | tr 'A-Z_' 'a-z-' | tr -c 'a-z0-9-' '-' |
        sed -E 's/-+/-/g; s/^-//; s/-$//' | cut -c1-40 | sed 's/-$//')
    name=$slug-$sha
elif [[ "$name" =~ ^d[0-9][0-9]- ]]; then
    echo "fuzz-regress.sh: '$name' names a defect, but the finding is '$key'" >&2
    exit 2
fi

multi=()
[ "$form" = multi ] && multi=(--multi)
opts=(${abi[@]+"${abi[@]}"})
[ "$profile" = hardened ] || opts+=(--verbose)
if [ "$form" != trace ]; then
    "$kevrr" import -o "$tmp/t.kev" ${multi[@]+"${multi[@]}"} "$crash" 2>/dev/null || exit 3
    # Where no defect was chosen, say which others the input meets.
    if [ -n "$id" ] && [ "$sel" = all ]; then
        others=$("$kevrr" replay -q --profile "$profile" ${opts[@]+"${opts[@]}"} "$tmp/t.kev" \
            2>/dev/null | sed -n 's/^  defect D\([0-9]*\) .*/\1/p' | sort -un | grep -vx "$id" |
            sed 's/^/D/' | paste -sd ' ' - || true)
        if [ -n "$others" ]; then
            echo "note: the input also meets $others; --defect N keeps another"
        fi
    fi
fi

if [ "$dry" -eq 1 ]; then
    echo "would keep fuzz/regressions/$target/$name$([ "$form" = trace ] || echo " and corpus/regressions/$name")"
    exit 0
fi

# 2. The input itself.
mkdir -p "$root/fuzz/regressions/$target"
cp "$crash" "$root/fuzz/regressions/$target/$name"
echo "wrote fuzz/regressions/$target/$name"

# 3. A corpus regression.
if [ "$form" != trace ]; then
    small=$tmp/t.kev
    if [ -n "$id" ]; then
        "$kevrr" reduce "$tmp/t.kev" -o "$tmp/small.kev" --profile "$profile" \
            ${opts[@]+"${opts[@]}"} --predicate "defect D$id $code" || exit 3
        small=$tmp/small.kev
    fi
    scn=$root/corpus/regressions/$name.scn
    "$kevrr" dump --format json --hex "$small" | python3 -c '
import json, sys
target, key, crash = sys.argv[1:4]
print(f"# corpus/regressions/{sys.argv[4]}.scn")
print(f"# Found by {target}: {key}")
print(f"# from {crash}, made by scripts/fuzz-regress.sh (docs/fuzzing.md).")
for line in sys.stdin:
    r = json.loads(line)
    print("at " + r["time"])
    if r["type"] == "error":
        e = r["errno"]
        print(f"error {e}" if 1 <= e <= 106 else f"error 35  # errno {e} has no Darwin name")
        continue
    h = r.get("hex", "")
    print("batch")
    for i in range(0, len(h), 2048):
        print("raw " + h[i:i + 2048])
    print("end")
' "$target" "$key" "$(basename "$crash")" "$name" >"$scn"
    if [ "$profile" != hardened ]; then
        {
            echo "# The legacy fuzz targets run in configd verbose mode."
            [ ${#abi[@]} -eq 0 ] || echo "# The ILP32 targets in the 32-bit data model."
            printf '%s\n' "${opts[@]}"
        } >"${scn%.scn}.opts"
    fi
    bash "$root/corpus/regen.sh" "$kevrr" >/dev/null || exit 3
    echo "wrote corpus/regressions/$name.{scn,kev,*.report}"
    if [ -n "$id" ]; then
        for i in $(seq 1 "$runs"); do
            rc=0
            "$kevrr" replay -q --profile "$profile" ${opts[@]+"${opts[@]}"} --fail-on-defect \
                -o "$tmp/r" "${scn%.scn}.kev" 2>/dev/null || rc=$?
            if [ "$rc" -ne 4 ] || ! grep -q "^  defect D$id $code" "$tmp/r"; then
                echo "fuzz-regress.sh: replay $i of the new trace does not report D$id $code" >&2
                exit 3
            fi
        done
        echo "the new trace reports D$id $code on $runs/$runs replays"
    fi
fi

# 4. Register the new tests and run them.
regex="^(fuzz\\.$target\\.regressions|corpus\\.regressions\\.$name\\.[a-z0-9]+|fuzz\\.fuzz_(legacy|ilp32)_[a-z0-9]+\\.$name|corpus\\.traces-match-scenarios)\$"
# shellcheck disable=SC2086 # the target names are words
build_cmd=(cmake --build "$build" --target kevrr fuzz_seeds "$target" $legacy_targets)
test_cmd=(ctest --test-dir "$build" -R "$regex" --output-on-failure)
if [ "$do_build" -eq 0 ]; then
    echo "next: ${build_cmd[*]}"
    echo "then: ${test_cmd[*]}"
    exit 0
fi
echo "registering: ${build_cmd[*]}"
"${build_cmd[@]}" >"$tmp/build.log" 2>&1 || { tail -n 20 "$tmp/build.log" >&2; exit 3; }
echo "testing: ${test_cmd[*]}"
"${test_cmd[@]}" >"$tmp/ctest.log" 2>&1 || { cat "$tmp/ctest.log" >&2; exit 3; }
grep -E 'Test +#|tests passed' "$tmp/ctest.log" | sed -E 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: /  /; s/ \.+/ /'
