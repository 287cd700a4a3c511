#!/usr/bin/env bash
# fuzz/test_regress.sh BUILD: scripts/fuzz-regress.sh in a scratch copy of
# the repository (so the real corpus is untouched): a finding that
# reproduces becomes fuzz/regressions/TARGET/NAME plus a corpus regression
# whose golden reports the defect; one that does not reproduce, or is
# misnamed, is refused and leaves nothing behind.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
mkdir -p "$tmp/repo/fuzz" "$tmp/repo/src"
cp -r "$root/scripts" "$root/corpus" "$tmp/repo/"
cp "$root/fuzz/targets.list" "$tmp/repo/fuzz/"
# corpus/regen.sh reads the profile names from the core's table.
cp "$root/src/world.c" "$tmp/repo/src/"
repo=$tmp/repo

# A multi-batch input: an empty batch, then recv() failing with ENOBUFS.
printf '\000\000\377\377\067\000' >"$tmp/crash"
out=$(bash "$repo/scripts/fuzz-regress.sh" --runs 3 --build "$build" fuzz_legacy_v963 \
    "$tmp/crash" d12-test-enobufs 2>&1) || fail "reproducible finding refused: $out"
case "$out" in *"reproduced 3/3: kevrr defect D12 (recv-error)"*) ;; *) fail "no key: $out" ;; esac
cmp -s "$tmp/crash" "$repo/fuzz/regressions/fuzz_legacy_v963/d12-test-enobufs" ||
    fail "input not kept"
base=$repo/corpus/regressions/d12-test-enobufs
for f in scn kev opts hardened.report v888.report v963.report v1405.report; do
    [ -f "$base.$f" ] || fail "$base.$f missing"
done
grep -q '^error 55$' "$base.scn" || fail "scenario does not hold the failed recv(): $(cat "$base.scn")"
grep -q '^  defect D12 recv-error' "$base.v963.report" || fail "golden does not report D12"
bash "$repo/corpus/regen.sh" --check "$build/replay/kevrr" >/dev/null || fail "regen.sh --check"

# An input that does not fail: refused, nothing written.
printf '\000\000' >"$tmp/fine"
if bash "$repo/scripts/fuzz-regress.sh" --runs 3 --build "$build" fuzz_legacy_v963 \
    "$tmp/fine" d01-nothing >"$tmp/o" 2>&1; then
    fail "an input that passes was added"
fi
grep -q "passed: not added" "$tmp/o" || fail "no reason given: $(cat "$tmp/o")"
[ ! -e "$repo/corpus/regressions/d01-nothing.scn" ] || fail "refused finding left a scenario"

# A defect finding must be named after its defect.
if bash "$repo/scripts/fuzz-regress.sh" --runs 1 --build "$build" fuzz_legacy_v963 \
    "$tmp/crash" d07-wrong >"$tmp/o" 2>&1; then
    fail "a D12 finding named d07-... was added"
fi
[ ! -e "$repo/fuzz/regressions/fuzz_legacy_v963/d07-wrong" ] || fail "misnamed finding kept"
echo "ok: fuzz-regress.sh adds what reproduces, refuses the rest"
