#!/usr/bin/env bash
# test_vocabulary.sh SRC KEVRR: the option vocabulary every command shares
# (docs/cli.md, Conventions): ranges --from/--to taking a batch index, a Unix
# time or +DURATION; empty and reversed ranges refused; deprecated spellings
# working with a one-line note; an output that names an input refused before
# anything is written.
set -u
src=$1
kevrr=$2
# shellcheck source=lib.sh
. "$src/tests/cli/lib.sh"

# Ten batches 1 ms apart: batch i at 1700000000.00i.
{
    echo "at 1700000000.000000000"
    for i in 0 1 2 3 4 5 6 7 8 9; do
        echo "at 1700000000.00${i}000000"
        echo "attach en$i"
    done
} >t.scn
expect_rc 0 "$kevrr" gen t.scn -o t.kev
"$kevrr" dump t.kev | grep '^batch' >all.txt

# batch_lines FILE: the batch lines of a dump of FILE.
batch_lines() { "$kevrr" dump "$1" | grep '^batch' | sed 's/^batch [0-9]* //'; }

# ---- one range, three spellings of a bound ------------------------------
for spec in "--from 3 --to 6" "--from 1700000000.003 --to 1700000000.006" \
    "--from +3ms --to +6ms" "--from 3 --to +6ms" "--from=+3ms --to=6"; do
    # shellcheck disable=SC2086
    expect_rc 0 "$kevrr" cut t.kev -o c.kev $spec
    batch_lines c.kev >got.txt
    sed -n '4,6p' all.txt | sed 's/^batch [0-9]* //' >want.txt
    cmp -s got.txt want.txt || { fail "cut $spec: wrong batches"; diff want.txt got.txt; }
    # shellcheck disable=SC2086
    expect_rc 0 "$kevrr" replay -q $spec t.kev
    has_text out.txt "batch 3 t=1700000000.003000000"
    grep -q '^batch 6 ' out.txt && fail "replay $spec: batch 6 is past --to"
    grep -q '^batch 2 ' out.txt && fail "replay $spec: batch 2 is before --from"
done

# ---- empty and reversed ranges are usage errors --------------------------
expect_rc 2 "$kevrr" cut t.kev -o c.kev --from 5 --to 2
has_line err.txt "kevrr cut: the range --from 5 --to 2 is reversed: --to is not included"
expect_rc 2 "$kevrr" cut t.kev -o c.kev --from 5 --to 5
has_line err.txt "kevrr cut: the range --from 5 --to 5 is empty: --to is not included"
expect_rc 2 "$kevrr" replay t.kev --from +5ms --to +1ms
has_line err.txt "kevrr replay: the range --from +5ms --to +1ms is reversed: --to is not included"
# Of two kinds, known once resolved on the trace.
expect_rc 2 "$kevrr" cut t.kev -o c.kev --from 5 --to +2ms
has_line err.txt "kevrr cut: t.kev: the range --from 5 --to +2ms is empty (batches 5..2)"
[ -e c.kev.tmp ] && fail "a refused cut left c.kev.tmp"
expect_rc 2 "$kevrr" cut t.kev -o c.kev --from 3x
has_text err.txt "--from takes a batch index (12), a Unix time (1700000000.25) or a time after the first batch (+1.5s, +250ms), not '3x'"

# ---- deprecated spellings: they work, with one note ----------------------
expect_rc 0 "$kevrr" cut t.kev -o old.kev --from-time 1700000000.003 --to-time +6ms
has_line err.txt "kevrr cut: --from-time is deprecated: use --from (docs/cli.md, Conventions)"
has_line err.txt "kevrr cut: --to-time is deprecated: use --to (docs/cli.md, Conventions)"
cmp -s <(batch_lines old.kev) <(batch_lines c.kev) || fail "cut --from-time/--to-time differ from --from/--to"
# --from-time takes whole seconds as a time, as it always did.
expect_rc 0 "$kevrr" cut t.kev -o old.kev --from-time 1700000000 --to-time 1700000001
[ "$(batch_lines old.kev | wc -l)" -eq 10 ] || fail "--from-time 1700000000 is not a time"
expect_rc 2 "$kevrr" cut t.kev -o old.kev --from 1 --from-time 1700000000
has_text err.txt "give --from or --from-time, not both"
expect_rc 0 "$kevrr" replay -q --until 6 t.kev
has_line err.txt "kevrr replay: --until is deprecated: use --to (docs/cli.md, Conventions)"
"$kevrr" replay -q --to 6 t.kev >new.txt 2>/dev/null
cmp -s out.txt new.txt || fail "replay --until and --to differ"
expect_rc 2 "$kevrr" replay -q --until 6 --to 6 t.kev
has_text err.txt "given twice"

# ---- an output that names an input is refused, the input untouched ------
cp t.kev keep.kev
expect_rc 2 "$kevrr" cut t.kev -o t.kev --from 1
has_line err.txt "kevrr cut: t.kev is also an input (t.kev): refusing to overwrite it"
ln -s t.kev link.kev
expect_rc 2 "$kevrr" cut t.kev -o link.kev
has_line err.txt "kevrr cut: link.kev is also an input (t.kev): refusing to overwrite it"
cmp -s t.kev keep.kev || fail "cut changed its input"
[ -e t.kev.tmp ] && fail "a refused cut left t.kev.tmp"

# ---- profiles come from the core's table ---------------------------------
expect_rc 2 "$kevrr" replay --profile v999 t.kev
has_text err.txt "kevrr replay: unknown profile 'v999': hardened, v888, v963"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all vocabulary checks passed"
