#!/usr/bin/env bash
# fuzz/test_regress.sh [SANITIZED]: the documented road from crash files to
# passing CTest entries (docs/fuzzing.md, "From a crash to a regression"),
# in a scratch copy of the repository with its own build (so the real
# corpus and build are untouched):
#
#   a campaign folder as scripts/fuzz-libfuzzer.sh leaves it (campaign.env,
#   artifacts/crash-*) -> scripts/fuzz-triage.sh groups the files by cause
#   -> scripts/fuzz-regress.sh turns a representative into a regression,
#   named after its defect, builds and runs the new CTest entries -> ctest
#   finds and passes them; --defect keeps the defect asked for when an
#   input meets two; what does not reproduce, or is misnamed, is refused
#   and leaves nothing behind.
#
# The scratch build is its own (Debug, no sanitizer), so the test runs once,
# in the default preset: with SANITIZED=1 (the asan-ubsan preset) it skips.
set -u
if [ "${1:-0}" = 1 ]; then
    echo "skipped: the scratch build is the same in every preset; runs in the default one"
    exit 77
fi
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
repo=$tmp/repo
mkdir -p "$repo"
for d in CMakeLists.txt cmake src replay capture daemon fuzz corpus scripts tests contrib; do
    cp -r "$root/$d" "$repo/"
done
build=$repo/build/default
echo "[$SECONDS s] configure and build the scratch copy"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DKEV_BUILD_BENCH=OFF >"$tmp/cfg.log" 2>&1 ||
    fail "configure: $(tail -n 5 "$tmp/cfg.log")"
cmake --build "$build" --target kevrr fuzz_legacy_v963 -j 2 >"$tmp/build.log" 2>&1 ||
    fail "build: $(tail -n 5 "$tmp/build.log")"

# A campaign's folder: the setting it ran with, and three crash files
# (multi-batch form): two meet D12 (a failed recv(), ENOBUFS), one meets D3
# (a 2-byte batch) before D12.
camp=$tmp/campaign/fuzz_legacy_v963
mkdir -p "$camp/artifacts"
printf 'target=fuzz_legacy_v963\nKEV_FUZZ_DEFECTS=all\n' >"$camp/campaign.env"
printf '\000\000\377\377\067\000' >"$camp/artifacts/crash-a"
printf '\000\000\377\377\067\000\000\000' >"$camp/artifacts/crash-b"
printf '\002\000AB\377\377\067\000' >"$camp/artifacts/crash-c"

echo "[$SECONDS s] triage"
# 1. Triage: two groups, the smaller D12 file represents its group.
out=$(bash "$repo/scripts/fuzz-triage.sh" --bin "$build/fuzz" "$tmp/campaign" 2>&1) ||
    fail "triage: $out"
echo "$out"
grep -q "3 crash file(s), 1 target(s), 2 group(s)" <<<"$out" || fail "triage counts"
grep -qE "fuzz_legacy_v963 +2  defect D12 \(recv-error\) +.*crash-a \(6 bytes\)" <<<"$out" ||
    fail "the D12 group or its representative"
grep -qE "fuzz_legacy_v963 +1  defect D3 " <<<"$out" || fail "the D3 group"
grep -q "scripts/fuzz-regress.sh --defect 12 fuzz_legacy_v963 .*crash-a" <<<"$out" ||
    fail "triage does not print the next command"

echo "[$SECONDS s] fuzz-regress.sh"
# 2. The representative into a regression, named after its defect, built
# and tested by the script itself (the campaign's setting honoured).
out=$(bash "$repo/scripts/fuzz-regress.sh" --runs 2 --build "$build" fuzz_legacy_v963 \
    "$camp/artifacts/crash-a" 2>&1) || fail "fuzz-regress: $out"
echo "$out"
sha=$(sha1sum "$camp/artifacts/crash-a" | cut -c1-8)
name=d12-recv-error-$sha
grep -q "reproduced 2/2 with KEV_FUZZ_DEFECTS=all (the campaign's" <<<"$out" ||
    fail "the campaign's setting was not used"
cmp -s "$camp/artifacts/crash-a" "$repo/fuzz/regressions/fuzz_legacy_v963/$name" ||
    fail "input not kept as $name"
base=$repo/corpus/regressions/$name
for f in scn kev opts hardened.report v888.report v963.report v1405.report; do
    [ -f "$base.$f" ] || fail "$base.$f missing"
done
grep -q '^error 55$' "$base.scn" || fail "scenario does not hold the failed recv(): $(cat "$base.scn")"
grep -q '^  defect D12 recv-error' "$base.v963.report" || fail "golden does not report D12"
grep -q "100% tests passed" <<<"$out" || fail "fuzz-regress did not run the new tests"

echo "[$SECONDS s] ctest"
# 3. CTest finds the new entries without another step, and they pass.
ctest --test-dir "$build" -R "$name" >"$tmp/ctest.log" 2>&1 || fail "ctest: $(cat "$tmp/ctest.log")"
for t in "corpus.regressions.$name.v963" "corpus.regressions.$name.v888" \
    "fuzz.fuzz_legacy_v963.$name"; do
    grep -q "$t .*Passed" "$tmp/ctest.log" || fail "$t not registered or not passed"
done
grep -q "corpus.traces-match-scenarios .*Passed" <<<"$out" || fail "the corpus was not checked"

echo "[$SECONDS s] --defect"
# 4. An input meeting D3 then D12: --defect 12 keeps D12 (the default
# would keep D3 and name D12 among the others).
out=$(bash "$repo/scripts/fuzz-regress.sh" --runs 1 --dry-run --build "$build" \
    fuzz_legacy_v963 "$camp/artifacts/crash-c" 2>&1) || fail "D3 finding refused: $out"
grep -q "note: the input also meets D12" <<<"$out" || fail "other defects not named: $out"
grep -q "would keep .*/d03-" <<<"$out" || fail "the default does not keep D3: $out"
out=$(bash "$repo/scripts/fuzz-regress.sh" --runs 2 --defect 12 --dry-run --build "$build" \
    fuzz_legacy_v963 "$camp/artifacts/crash-c" 2>&1) || fail "--defect 12: $out"
grep -q "with KEV_FUZZ_DEFECTS=12 (--defect 12): kevrr defect D12 (recv-error)" <<<"$out" ||
    fail "--defect 12 did not keep D12: $out"
grep -q "would keep fuzz/regressions/fuzz_legacy_v963/d12-recv-error-" <<<"$out" ||
    fail "--defect 12 names: $out"
shac=$(sha1sum "$camp/artifacts/crash-c" | cut -c1-8)
! ls "$repo/corpus/regressions/" | grep -q -- "-$shac\\." || fail "--dry-run wrote a scenario"

# 5. Refusals leave nothing behind.
printf '\000\000' >"$tmp/fine"
if bash "$repo/scripts/fuzz-regress.sh" --runs 2 --dry-run --build "$build" fuzz_legacy_v963 \
    "$tmp/fine" d01-nothing >"$tmp/o" 2>&1; then
    fail "an input that passes was added"
fi
grep -q "passed (KEV_FUZZ_DEFECTS=all" "$tmp/o" || fail "no reason given: $(cat "$tmp/o")"
[ ! -e "$repo/corpus/regressions/d01-nothing.scn" ] || fail "refused finding left a scenario"
if bash "$repo/scripts/fuzz-regress.sh" --runs 1 --no-build --build "$build" fuzz_legacy_v963 \
    "$camp/artifacts/crash-a" d07-wrong >"$tmp/o" 2>&1; then
    fail "a D12 finding named d07-... was added"
fi
[ ! -e "$repo/fuzz/regressions/fuzz_legacy_v963/d07-wrong" ] || fail "misnamed finding kept"
echo "[$SECONDS s] done"
echo "ok: crash files -> triage -> fuzz-regress.sh -> passing CTest entries"
