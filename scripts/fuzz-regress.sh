#!/usr/bin/env bash
# scripts/fuzz-regress.sh: turns a fuzzer finding into a regression test
# (docs/fuzzing.md, "Findings into regressions").
#
#   scripts/fuzz-regress.sh [--runs N] [--build DIR] TARGET CRASH NAME
#
# 1. Reproduce: the regression-mode TARGET (DIR/fuzz/TARGET, DIR default
#    build/default) must fail on CRASH on every one of N runs (default 5)
#    with the same first "kevrr ..." line; otherwise the finding is refused
#    (exit 1), so a flaky reproducer never lands.
# 2. Keep the input: fuzz/regressions/TARGET/NAME (CTest's
#    fuzz.TARGET.regressions runs it, via fuzz/make-seeds.sh).
# 3. For the batch targets, also a corpus regression: `kevrr import` makes
#    a trace; for a defect ("kevrr defect DN (CODE)") `kevrr reduce` shrinks
#    it while the profile still reports DN CODE; the result is written as a
#    scenario of raw batches, corpus/regressions/NAME.scn (with a --verbose
#    sidecar for the legacy targets, which run in configd's verbose mode),
#    and corpus/regen.sh makes its trace and golden reports, registered by
#    tests/corpus/CMakeLists.txt as corpus.regressions.NAME.PROFILE. A defect
#    finding's NAME must start dNN- (corpus/README.md); the new trace must
#    report DN on every one of N replays.
#
# NAME: letters, digits and '-'. Exit: 0 added; 1 the finding does not
# reproduce on every run; 2 usage; 3 a step failed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=5
build=$root/build/default
while [ $# -gt 3 ]; do
    case "$1" in
    --runs) runs=$2; shift 2 ;;
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    *) echo "fuzz-regress.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ $# -ne 3 ]; then
    echo "usage: scripts/fuzz-regress.sh [--runs N] [--build DIR] TARGET CRASH NAME" >&2
    exit 2
fi
target=$1
crash=$2
name=$3
case "$name" in
*[!A-Za-z0-9-]* | '') echo "fuzz-regress.sh: NAME '$name': letters, digits and '-' only" >&2; exit 2 ;;
esac
form=$(awk -v t="$target" '$1 == t { print $2 }' "$root/fuzz/targets.list")
if [ -z "$form" ]; then
    echo "fuzz-regress.sh: $target is not in fuzz/targets.list" >&2
    exit 2
fi
bin=$build/fuzz/$target
kevrr=$build/replay/kevrr
for b in "$bin" "$kevrr"; do
    [ -x "$b" ] || { echo "fuzz-regress.sh: $b: not built" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Reproduce on every run, with the same key.
key=""
for i in $(seq 1 "$runs"); do
    if ("$bin" "$crash") >"$tmp/out" 2>&1; then
        echo "fuzz-regress.sh: $crash: run $i of $runs passed: not added" >&2
        exit 1
    fi
    k=$(grep -m1 '^kevrr ' "$tmp/out" || true)
    k=${k%%:*}
    if [ -z "$k" ]; then
        k=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' "$tmp/out" || true)
        k=${k:-"exit without a kevrr line"}
    fi
    if [ "$i" -gt 1 ] && [ "$k" != "$key" ]; then
        echo "fuzz-regress.sh: $crash: run $i failed differently ('$k', not '$key'): not added" >&2
        exit 1
    fi
    key=$k
done
echo "reproduced $runs/$runs: $key"
id=""
if [[ "$key" =~ ^kevrr\ defect\ D([0-9]+)\ \(([a-z0-9-]+)\) ]]; then
    id=${BASH_REMATCH[1]}
    code=${BASH_REMATCH[2]}
    case "$name" in
    "$(printf 'd%02d' "$id")"-*) ;;
    *) echo "fuzz-regress.sh: a D$id finding is named $(printf 'd%02d' "$id")-..., not $name" >&2; exit 2 ;;
    esac
fi

# 2. The input itself.
mkdir -p "$root/fuzz/regressions/$target"
cp "$crash" "$root/fuzz/regressions/$target/$name"
echo "wrote fuzz/regressions/$target/$name"
[ "$form" = trace ] && exit 0

# 3. A corpus regression.
case "$target" in
fuzz_legacy_v888) profile=v888 ;;
fuzz_legacy_v963) profile=v963 ;;
fuzz_legacy_v1405) profile=v1405 ;;
*) profile=hardened ;;
esac
multi=()
[ "$form" = multi ] && multi=(--multi)
"$kevrr" import -o "$tmp/t.kev" ${multi[@]+"${multi[@]}"} "$crash" 2>/dev/null || exit 3
opts=()
[ "$profile" = hardened ] || opts=(--verbose)
small=$tmp/t.kev
if [ -n "$id" ]; then
    "$kevrr" reduce "$tmp/t.kev" -o "$tmp/small.kev" --profile "$profile" \
        ${opts[@]+"${opts[@]}"} --until "defect D$id $code" || exit 3
    small=$tmp/small.kev
fi
scn=$root/corpus/regressions/$name.scn
"$kevrr" dump --json --hex "$small" | python3 -c '
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
if [ ${#opts[@]} -gt 0 ]; then
    printf '# The legacy fuzz targets run in configd verbose mode.\n--verbose\n' \
        >"${scn%.scn}.opts"
fi
bash "$root/corpus/regen.sh" "$kevrr" >/dev/null || exit 3
echo "wrote corpus/regressions/$name.{scn,kev,*.report}"
if [ -n "$id" ]; then
    for i in $(seq 1 "$runs"); do
        rc=0
        "$kevrr" replay -q --profile "$profile" ${opts[@]+"${opts[@]}"} --fail-on-defect \
            --report "$tmp/r" "${scn%.scn}.kev" 2>/dev/null || rc=$?
        if [ "$rc" -ne 4 ] || ! grep -q "^  defect D$id $code" "$tmp/r"; then
            echo "fuzz-regress.sh: replay $i of the new trace does not report D$id $code" >&2
            exit 3
        fi
    done
    echo "the new trace reports D$id $code on $runs/$runs replays"
fi
