#!/usr/bin/env bash
# test_predicates.sh: the predicates of kevrr reduce and bisect that say
# what users mean (absent, present, equals, drift, differs-from, at N, not,
# and), the profile both commands name, the usage errors (unknown
# diagnostics, defect codes, key families), and reduce on long traces: the
# window it narrows to first (with the kernel's state as the snapshot), the
# time budget, progress and -q, and SIGINT and SIGTERM writing the smallest
# trace found so far.
#
# Usage: test_predicates.sh SOURCE_DIR KEVRR
set -u

src=${1:?usage: test_predicates.sh SOURCE_DIR KEVRR}
kevrr=${2:?usage: test_predicates.sh SOURCE_DIR KEVRR}
. "$(dirname "$0")/lib.sh"
cp "$src/corpus/scenarios/vpn-reconnect-recv-error.kev" recv.kev
cp "$src/corpus/scenarios/vpn-reconnect-d1-stop.kev" d1.kev

# holds PRED TRACE [OPTS]: the predicate holds on the whole trace (reduce
# with one evaluation checks exactly that).
holds() {
    local pred=$1 trace=$2
    shift 2
    "$kevrr" reduce "$trace" -o /dev/null --max-tests 1 -q --predicate "$pred" "$@" >/dev/null 2>&1
}

# ---- bisect: the lost update, not the write ---------------------------------
expect_rc 0 "$kevrr" bisect recv.kev --predicate 'drift utun3/IPv4' --profile v963
has_line out.txt "bisect: recv.kev with profile v963"
has_line out.txt "first batch: 15 (t=1700001800.015000000)"
has_text err.txt "the predicate looks at the state, which can come and go"
expect_rc 0 "$kevrr" bisect d1.kev --predicate 'drift IPv4 and stops' --profile v888
has_line out.txt "first batch: 14 (t=1700001800.014000000)"
# hardened follows the reconnect: never true, and it says which profile.
expect_rc 1 "$kevrr" bisect recv.kev --predicate 'drift utun3/IPv4'
has_line out.txt "bisect: recv.kev with profile hardened (the default for this predicate; choose with --profile)"
expect_rc 0 "$kevrr" bisect recv.kev --predicate 'defect D12' -q
[ "$(wc -l <out.txt)" -eq 1 ] || fail "bisect -q printed more than the answer"
# --until still works, with a note.
expect_rc 0 "$kevrr" bisect recv.kev --until 'defect D12'
has_line out.txt "first batch: 14 (t=1700001800.014000000)"
has_text err.txt "kevrr bisect: --until is deprecated: use --predicate"

# ---- the state atoms, at the end and at N ------------------------------------
holds 'present utun3/IPv4' recv.kev || fail "present utun3/IPv4"
holds 'absent utun3/IPv6' recv.kev || fail "absent utun3/IPv6"
holds 'not absent utun3/IPv4' recv.kev || fail "not absent"
holds 'equals utun3/IPv4 {Addresses = ["10.8.0.2"]; DestAddresses = ["10.8.0.1"]}' recv.kev \
    --profile v963 || fail "equals (v963: stale)"
holds 'equals utun3/IPv4 {Addresses = ["10.8.0.6"]; DestAddresses = ["10.8.0.5"]}' recv.kev ||
    fail "equals (hardened: followed)"
holds 'equals utun3/IPv4 {Addresses = ["10.8.0.6"]}' recv.kev && fail "equals is not a prefix match"
holds 'at 15 absent utun3/IPv4' recv.kev || fail "at 15 absent (hardened: removed, then re-added)"
holds 'at 15 absent utun3/IPv4 and present utun3/IPv4' recv.kev || fail "at 15 ... and at the end"
holds 'at 14 drift' recv.kev --profile v963 && fail "no drift at 14"
holds 'at 15 drift' recv.kev --profile v963 || fail "drift at 15"
holds 'drift' recv.kev --profile v963 || fail "drift (any)"
holds 'drift LinkQuality' recv.kev --profile v963 || fail "drift LinkQuality (the last lqm was lost)"
holds 'drift Link' recv.kev --profile v963 && fail "drift Link"
holds 'drift interfaces' recv.kev --profile v963 && fail "drift interfaces"
holds 'differs-from hardened utun3/IPv4' recv.kev --profile v963 || fail "differs-from hardened KEY"
holds 'differs-from v888' recv.kev --profile v963 && fail "v888 and v963 agree here"
holds 'differs-from v963' d1.kev || fail "differs-from v963 (hardened)"
holds 'defect D1 size-zero and drift utun3/IPv4 and not defect D12' d1.kev || fail "and, not"

# ---- usage errors --------------------------------------------------------------
for bad in 'diag payload-shrot' 'defect D5 payload-short' 'drift utun3/IPV4' \
    'present utun3/Foo' 'drift LinkIssues' 'drift messages' 'differs-from v999' \
    'at x present utun3/IPv4' 'at 3 defect D1' 'present' 'not' 'stops and' \
    'stops or stops' 'equals utun3/IPv4'; do
    expect_rc 2 "$kevrr" bisect recv.kev --predicate "$bad"
done
expect_rc 2 "$kevrr" bisect recv.kev --predicate 'diag payload-shrot'
has_text err.txt "unknown diagnostic 'payload-shrot' (size-zero, "
expect_rc 2 "$kevrr" bisect recv.kev --predicate 'drift utun3/IPV4'
has_text err.txt "unknown key family 'IPV4' (interfaces, Link, IPv4, IPv6, LinkQuality"
expect_rc 2 "$kevrr" reduce recv.kev -o x.kev --predicate 'differs-from hardened'
has_text err.txt "differs-from hardened: that is the profile replayed"
expect_rc 2 "$kevrr" reduce recv.kev -o recv.kev --predicate 'stops'
cmp -s recv.kev "$src/corpus/scenarios/vpn-reconnect-recv-error.kev" || fail "reduce -o destroyed its input"

# ---- reduce: the window, with the kernel's state as the snapshot ---------------
expect_rc 0 "$kevrr" reduce recv.kev -o small.kev --predicate 'drift utun3/IPv4' --profile v963 -q
has_line out.txt "reduced: recv.kev -> small.kev (profile v963)"
has_line out.txt "window: batches 14..15, from the kernel's state before batch 14 (the snapshot)"
has_line out.txt "batches: 18 -> 2"
[ ! -s err.txt ] || { fail "reduce -q wrote to stderr"; cat err.txt; }
"$kevrr" replay --profile v963 --drift small.kev >small.report
has_line small.report "snapshot-source kernel state before batch 14 of recv.kev (kevrr reduce)"
has_line small.report "  inet utun3 10.8.0.2/32 peer 10.8.0.1"
has_line small.report "  State:/Network/Interface/utun3/IPv4 since batch 1: address-gone (the store lists 10.8.0.2, the kernel has none)"
holds 'drift utun3/IPv4' small.kev --profile v963 || fail "small.kev lost the bug"
# --no-window keeps TRACE's snapshot and finds the whole story.
expect_rc 0 "$kevrr" reduce recv.kev -o small2.kev --predicate 'drift utun3/IPv4' --profile v963 \
    --no-window -q
has_line out.txt "batches: 18 -> 3"
"$kevrr" info small2.kev >info.txt
has_line info.txt "snapshot:           133 bytes, 2 interfaces"

# ---- reduce: progress, the time budget, SIGINT and SIGTERM ----------------------
awk 'BEGIN { for (i = 0; i < 8000; i++) {
    if (i % 160 == 0) print "attach en" i / 160; else print "lqm en0 " (i % 90 + 1) } }' >many.scn
"$kevrr" gen many.scn -o many.kev || fail "gen many.scn"
list=$(awk 'BEGIN { for (i = 0; i < 50; i++) printf "%s\"en%d\"", (i ? ", " : ""), i }')
pred="equals interfaces {Interfaces = [$list]}"
expect_rc 0 "$kevrr" reduce many.kev -o budget.kev --predicate "$pred" --no-window --max-time 1
has_text out.txt "(time budget reached: the result may not be minimal)"
grep -Eq '^kevrr reduce: batches +[0-9]+ batches, [0-9]+ bytes; [0-9]+ evaluations, [0-9]+/s$' \
    err.txt || { fail "no progress line"; cat err.txt; }
holds "$pred" budget.kev || fail "budget.kev does not satisfy the predicate"

# interrupt SIG: starts the reduction, sends SIG once ddmin runs, checks that
# the smallest trace so far is written, whole, and still satisfies it.
interrupt() {
    local sig=$1 name=$2 pid rc i
    "$kevrr" reduce many.kev -o int.kev --predicate "$pred" --no-window >int.out 2>int.err &
    pid=$!
    for i in $(seq 1 600); do
        grep -q '^kevrr reduce: batches' int.err && break
        sleep 0.05
    done
    sleep 0.3
    kill "-$sig" "$pid"
    wait "$pid"
    rc=$?
    [ "$rc" -eq 0 ] || fail "$name: reduce exited $rc"
    has_text int.err "kevrr reduce: $name: writing the smallest trace found so far to int.kev"
    has_text int.out "(interrupted by $name: the smallest trace found so far; it may not be minimal)"
    "$kevrr" verify int.kev >/dev/null || fail "$name: int.kev is not whole"
    holds "$pred" int.kev || fail "$name: int.kev does not satisfy the predicate"
    [ ! -e int.kev.tmp ] || fail "$name: int.kev.tmp left behind"
}
interrupt INT SIGINT
interrupt TERM SIGTERM

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "test_predicates: all checks passed"
