#!/usr/bin/env bash
# test_reduce.sh: kevrr reduce and kevrr bisect end to end, on traces that
# kevrr gen writes from scenarios written here: a D1 batch among 30 good
# ones, a D6 batch at 17 of 40, a golden report with one line edited, and
# predicates that never hold. Checks exact summaries, the reduced traces'
# bytes (kevrr dump), that a reduced trace still satisfies its predicate
# (reducing it again is a no-op), determinism, and the exit codes.
#
# Usage: test_reduce.sh SOURCE_DIR KEVRR
# Exits 0 on success, 1 on a failed check.
set -u

src=${1:?usage: test_reduce.sh SOURCE_DIR KEVRR}
kevrr=${2:?usage: test_reduce.sh SOURCE_DIR KEVRR}
[ -d "$src" ] || { echo "no source dir $src"; exit 1; }

. "$(dirname "$0")/lib.sh"

# batches TRACE: how many batches kevrr dump shows.
batches() {
    "$kevrr" dump "$1" | grep -c '^batch '
}

# ---- (a) D1: a 4-byte total_size 0 batch among 30 good ones --------------

{
    echo "kernel if lo0 up"
    for i in $(seq 0 14); do echo "attach en$i"; done
    echo "raw 00000000" # batch 15
    for i in $(seq 0 14); do echo "link on en$i"; done
} >a.scn
expect_rc 0 "$kevrr" gen a.scn -o a.kev

expect_rc 0 "$kevrr" reduce a.kev -o a.small.kev --until 'defect D1' --profile v963
has_line out.txt "reduced: a.kev -> a.small.kev (profile v963)"
has_line out.txt "batches: 31 -> 1"
has_line out.txt "records: 30 -> 0"
has_line out.txt "bytes: 1444 -> 4"
grep -Eq '^evaluations: [0-9]+ of at most 20000$' out.txt || fail "a: evaluations line"
[ "$(batches a.small.kev)" -eq 1 ] || fail "a.small.kev does not hold 1 batch"
"$kevrr" dump --hex a.small.kev >dump.txt
has_line dump.txt "batch 0 at 1700000000.015000000 (2023-11-14T22:13:20.015000000Z): 4 bytes"
has_line dump.txt "00000000: 0000 0000                                ...."
"$kevrr" info a.small.kev >info.txt
has_line info.txt "comment:            reduced from a.kev by kevrr reduce: defect D1"
has_line info.txt "snapshot:           10 bytes, 1 interface"

# The reduced trace still reports D1: reducing it again changes nothing.
expect_rc 0 "$kevrr" reduce a.small.kev -o a.again.kev --until 'defect D1 size-zero'
has_line out.txt "batches: 1 -> 1"
has_line out.txt "bytes: 4 -> 4"
"$kevrr" info a.again.kev >info.txt
has_line info.txt "comment:            reduced from a.kev by kevrr reduce: defect D1; reduced from a.small.kev by kevrr reduce: defect D1 size-zero"

# Deterministic: the same bytes twice; v963 is the default for defect.
expect_rc 0 "$kevrr" reduce a.kev -o a.small2.kev --until 'defect D1'
cmp -s a.small.kev a.small2.kev || fail "reduce is not deterministic"

expect_rc 0 "$kevrr" bisect a.kev --until 'defect D1'
has_line out.txt "first batch: 15 (t=1700000000.015000000)"
expect_rc 0 "$kevrr" bisect a.kev --until stops --profile v888
has_line out.txt "first batch: 15 (t=1700000000.015000000)"
expect_rc 0 "$kevrr" bisect a.kev --until 'contains link_add en3'
has_line out.txt "first batch: 3 (t=1700000000.003000000)"

# ---- (b) D6 at batch 17 of 40: an LQM event cut after net_event_data -----

{
    for i in $(seq 0 16); do echo "attach en$i"; done
    echo "lqm en3 5 trunc 48 size 48" # batch 17
    for i in $(seq 18 39); do echo "link on en$((i % 17))"; done
} >b.scn
expect_rc 0 "$kevrr" gen b.scn -o b.kev
expect_rc 0 "$kevrr" reduce b.kev -o b.small.kev --until 'defect D6 read-past-event'
has_line out.txt "batches: 40 -> 1"
n=$(batches b.small.kev)
if [ "$n" -lt 1 ] || [ "$n" -gt 2 ]; then fail "b.small.kev holds $n batches, expected 1 or 2"; fi
"$kevrr" dump b.small.kev >dump.txt
grep -q 'KEV_DL_LINK_QUALITY_METRIC_CHANGED total_size=48' dump.txt ||
    { fail "b.small.kev lost the LQM record"; cat dump.txt; }
expect_rc 0 "$kevrr" reduce b.small.kev -o /dev/null --until 'defect D6' --profile v888
expect_rc 0 "$kevrr" bisect b.kev --until 'defect D6'
has_line out.txt "first batch: 17 (t=1700000000.017000000)"
expect_rc 0 "$kevrr" bisect b.kev --until 'diag payload-short'
has_line out.txt "first batch: 17 (t=1700000000.017000000)"

# ---- (c) diverges: the report of the original with one line edited -------

# kevrr run prints the report a replay of the generated trace prints.
"$kevrr" run b.scn >b.report || fail "kevrr run b.scn"
expect_rc 1 "$kevrr" bisect b.kev --until 'diverges b.report'
expect_rc 1 "$kevrr" reduce b.kev -o c.kev --until 'diverges b.report'
grep -q "does not satisfy 'diverges b.report' (profile hardened): nothing to reduce" err.txt ||
    fail "c: no message for a golden that matches"
[ -e c.kev ] && fail "c.kev written although nothing was reduced"
# Batch 20 is "link on en3": its set line, en3 made EN3.
line=$(grep -n '^batch 20 ' b.report | cut -d: -f1)
[ -n "$line" ] || fail "b.report has no batch 20"
awk -v from="$line" 'NR > from && /^  set / && !done { sub(/en3/, "EN3"); done = 1 } { print }' \
    b.report >b.golden
[ "$(diff b.report b.golden | grep -c '^>')" -eq 1 ] || fail "b.golden differs in one line"
expect_rc 0 "$kevrr" bisect b.kev --until 'diverges b.golden'
has_line out.txt "first batch: 20 (t=1700000000.020000000)"
# Any change to the trace changes its report: the empty trace diverges.
expect_rc 0 "$kevrr" reduce b.kev -o c.kev --until 'diverges b.golden'
has_line out.txt "batches: 40 -> 0"
# The final state alone differs: no prefix diverges, and bisect says where.
sed 's/^store keys=.*/store keys=999/' b.report >final.golden
expect_rc 1 "$kevrr" bisect b.kev --until 'diverges final.golden'
grep -q "the batches' lines match final.golden; the final state differs at line" err.txt ||
    { fail "c: final-state difference not named"; cat err.txt; }

# ---- (d) predicates that never hold -------------------------------------

expect_rc 1 "$kevrr" reduce a.kev -o d.kev --until 'defect D17'
grep -q "a.kev does not satisfy 'defect D17' (profile v963): nothing to reduce" err.txt ||
    fail "d: no message"
[ -e d.kev ] && fail "d.kev written for a predicate that never holds"
expect_rc 1 "$kevrr" bisect a.kev --until 'defect D17' --profile v888
grep -q "'defect D17' is not true on the whole of a.kev" err.txt || fail "d: bisect message"
expect_rc 1 "$kevrr" bisect a.kev --until 'contains no such text'

# ---- contains, the cap, records with an opaque tail ---------------------

cat >m.scn <<'EOF'
kernel if en0 up media active
attach en1
batch
attach en2
link on en2
inet add en2 10.0.0.3/24
attach AAAAAAAAAAAAAAAA:0
raw 0102030405
end
link on en1
EOF
expect_rc 0 "$kevrr" gen m.scn -o m.kev
expect_rc 0 "$kevrr" reduce m.kev -o m.small.kev --until 'diag name-unterminated'
has_line out.txt "batches: 3 -> 1"
has_line out.txt "bytes: 321 -> 48"
expect_rc 0 "$kevrr" reduce m.kev -o m.small.kev --until 'contains inet en2 10.0.0.3/24'
# The kernel dump lists the address only on an attached interface: two
# records out of the batch of five and its opaque tail.
has_line out.txt "batches: 3 -> 1"
has_line out.txt "records: 6 -> 2"
"$kevrr" dump m.small.kev >dump.txt
if ! grep -q '^record 0 at offset 0: KEV_DL_IF_ATTACHED ' dump.txt ||
    ! grep -q '^record 1 at offset 48: KEV_INET_NEW_ADDR ' dump.txt; then
    fail "m: not attach and address"
    cat dump.txt
fi
expect_rc 0 "$kevrr" reduce m.kev -o /dev/null --until 'contains link_add' --max-tests 3
has_line out.txt "evaluations: 3 of at most 3 (cap reached: the result may not be minimal)"

# ---- v1405 -----------------------------------------------------------------

# configd-1405's new case (IFDELEGATE_CHANGED) crashes on a name that is not
# UTF-8 (D9); v963 ignores the event. reduce and bisect find it under v1405.
printf 'attach en0\nlink on en0\nevent 2 25 en\\xff0\nlqm en0 50\n' >deleg.scn
expect_rc 0 "$kevrr" gen deleg.scn -o deleg.kev
expect_rc 0 "$kevrr" reduce deleg.kev -o deleg.small.kev --until 'defect D9' --profile v1405
has_line out.txt "reduced: deleg.kev -> deleg.small.kev (profile v1405)"
"$kevrr" replay --profile v1405 deleg.small.kev >deleg.txt
has_text deleg.txt "KEV_DL_IFDELEGATE_CHANGED"
has_text deleg.txt "defect D9 name-not-utf8"
expect_rc 0 "$kevrr" bisect deleg.kev --until 'defect D9' --profile v1405
expect_rc 1 "$kevrr" bisect deleg.kev --until 'defect D9' --profile v963

# ---- usage --------------------------------------------------------------

expect_rc 2 "$kevrr" reduce a.kev -o x.kev
expect_rc 2 "$kevrr" reduce a.kev --until stops
expect_rc 2 "$kevrr" reduce a.kev -o x.kev --until 'defect D19'
expect_rc 2 "$kevrr" reduce a.kev -o x.kev --until 'defect D1' --profile hardened
has_text err.txt "only v888, v963 or v1405 report defects"
expect_rc 2 "$kevrr" bisect a.kev --until 'diag size-zero' --profile v963
expect_rc 2 "$kevrr" bisect a.kev --until 'frobs'
expect_rc 3 "$kevrr" bisect missing.kev --until stops
expect_rc 3 "$kevrr" bisect a.kev --until 'diverges missing.report'
expect_rc 0 "$kevrr" help reduce
expect_rc 0 "$kevrr" bisect --help

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all reduce and bisect checks passed"
