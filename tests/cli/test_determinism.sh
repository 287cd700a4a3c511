#!/usr/bin/env bash
# test_determinism.sh: the report depends only on the trace and the options
# (docs/report-format.md). For a few corpus traces chosen to exercise what
# could leak nondeterminism (the poison bytes past a batch, stale values
# read past an event, ILP32 wraps, verbose dumps, dates, the startup
# timer, multi-record batches) and every profile, `kevrr replay` runs 20
# times, under different time zones and locales, from the file and from
# standard input, and must give the same bytes every time: the checked-in
# golden's. The goldens were made by the default (gcc, Release) build; a
# binary built otherwise (gcc -O0, clang, ASan+UBSan: see corpus/README.md)
# must match them byte for byte. `kevrr run` on the scenario must give the
# same report as the replay of its trace.
#
# Usage: test_determinism.sh SOURCE_DIR KEVRR
# Exits 0 on success, 1 on a failed check.
set -u

src=${1:?usage: test_determinism.sh SOURCE_DIR KEVRR}
kevrr=${2:?usage: test_determinism.sh SOURCE_DIR KEVRR}
runs=20
# The profiles of the core's table (as tests/cli/lib.sh's profiles()).
profiles=$(sed -n 's/^ *\[KEV_PROFILE_[A-Z0-9]*\] = {\.name = "\([a-z0-9]*\)".*/\1/p' "$src/src/world.c")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

traces="
scenarios/boot-three-interfaces
scenarios/detach-under-load
scenarios/lqm-flapping
regressions/d02-size-below-header
regressions/d05-name-scan-past-buffer
regressions/d06-read-past-event-issues
regressions/d13-ilp32-offset-wraps
regressions/d16-verbose-log-read
"
# What varies between the runs: neither may change a byte.
zones=(UTC NZST-12NZDT JST-9 PST8PDT)
locales=(C C.UTF-8 POSIX C.UTF-8)

for t in $traces; do
    base=$src/corpus/$t
    if [ ! -f "$base.kev" ]; then
        fail "$t.kev is missing"
        continue
    fi
    # The sidecar's options (corpus/README.md).
    opts=()
    if [ -f "$base.opts" ]; then
        while read -r o; do opts+=("$o"); done < <(sed -e 's/#.*//' "$base.opts" | tr -s ' \t' '\n' | sed '/^$/d')
    fi
    for p in $profiles; do
        golden=$base.$p.report
        name=$(basename "$t").$p
        for i in $(seq 1 $runs); do
            out=$tmp/$name.$i
            z=${zones[$((i % ${#zones[@]}))]}
            l=${locales[$((i % ${#locales[@]}))]}
            if [ $((i % 2)) -eq 0 ]; then
                TZ=$z LC_ALL=$l "$kevrr" replay --profile "$p" ${opts[@]+"${opts[@]}"} "$base.kev" >"$out" 2>"$tmp/err"
            else
                TZ=$z LC_ALL=$l "$kevrr" replay --profile "$p" ${opts[@]+"${opts[@]}"} - <"$base.kev" >"$out" 2>"$tmp/err"
            fi
            rc=$?
            [ "$rc" -eq 0 ] || { fail "$t ($p) run $i exited $rc"; cat "$tmp/err"; }
            if [ "$i" -gt 1 ] && ! cmp -s "$tmp/$name.1" "$out"; then
                fail "$t ($p): run $i (TZ=$z LC_ALL=$l) differs from run 1"
                diff "$tmp/$name.1" "$out" | head -5
            fi
        done
        if [ -f "$golden" ]; then
            cmp -s "$golden" "$tmp/$name.1" || {
                fail "$t ($p): the report differs from the golden $t.$p.report"
                diff "$golden" "$tmp/$name.1" | head -10
            }
        else
            fail "$t.$p.report is missing"
        fi
        # The scenario straight through the core: the same report.
        "$kevrr" run --profile "$p" ${opts[@]+"${opts[@]}"} "$base.scn" >"$tmp/$name.run" 2>"$tmp/err" ||
            { fail "$t ($p): kevrr run failed"; cat "$tmp/err"; }
        cmp -s "$tmp/$name.run" "$tmp/$name.1" || {
            fail "$t ($p): 'kevrr run' on the scenario and 'kevrr replay' on its trace differ"
            diff "$tmp/$name.run" "$tmp/$name.1" | head -10
        }
    done
done

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "determinism: every report identical over $runs runs and equal to its golden"
