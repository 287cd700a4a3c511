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

# ---- ranges in dump, export and info too ---------------------------------
for spec in "--from 3 --to 6" "--from 1700000000.003 --to 1700000000.006" "--from +3ms --to +6ms"; do
    # shellcheck disable=SC2086
    expect_rc 0 "$kevrr" dump $spec t.kev
    grep '^batch' out.txt | sed 's/^batch [0-9]* //' >got.txt
    sed -n '4,6p' all.txt | sed 's/^batch [0-9]* //' >want.txt
    cmp -s got.txt want.txt || fail "dump $spec: wrong batches"
    rm -rf ex
    # shellcheck disable=SC2086
    expect_rc 0 "$kevrr" export t.kev -o ex $spec
    [ "$(ls ex | tr '\n' ' ')" = "batch-000003.bin batch-000004.bin batch-000005.bin " ] ||
        fail "export $spec: $(ls ex | tr '\n' ' ')"
    # shellcheck disable=SC2086
    expect_rc 0 "$kevrr" info $spec t.kev
    has_line out.txt "batches:            3"
done
expect_rc 2 "$kevrr" dump t.kev --from 5 --to 2
has_line err.txt "kevrr dump: the range --from 5 --to 2 is reversed: --to is not included"
expect_rc 2 "$kevrr" dump t.kev --from 5 --to +2ms
has_line err.txt "kevrr dump: t.kev: the range --from 5 --to +2ms is empty (batches 5..5)"
expect_rc 2 "$kevrr" export t.kev -o ex2 --from +5ms --to +5ms
expect_rc 2 "$kevrr" info t.kev --from 5 --to 5

# ---- every old spelling: it works, with one note ---------------------------
# alias OLD NEW CMD...: CMD (with OLD) succeeds, prints the note once, and
# its stdout equals that of the same command with NEW (in new.txt).
note_once() {
    local n
    n=$(grep -c "is deprecated: use $2" err.txt)
    [ "$n" -eq 1 ] || { fail "$1: $n deprecation notes for $2, expected 1"; cat err.txt; }
}
"$kevrr" dump --format json t.kev >new.txt
expect_rc 0 "$kevrr" dump --json t.kev
note_once "dump --json" "--format json"
cmp -s out.txt new.txt || fail "dump --json differs from --format json"
"$kevrr" info --format json t.kev >new.txt
expect_rc 0 "$kevrr" info --json t.kev
note_once "info --json" "--format json"
cmp -s out.txt new.txt || fail "info --json differs from --format json"
expect_rc 0 "$kevrr" replay --report r1.txt t.kev
note_once "replay --report" "-o"
"$kevrr" replay -o r2.txt t.kev
cmp -s r1.txt r2.txt || fail "replay --report differs from -o"
expect_rc 0 "$kevrr" run --report s1.txt t.scn
note_once "run --report" "-o"
cmp -s s1.txt r2.txt || fail "run --report differs from replay -o of the same trace"
expect_rc 0 "$kevrr" export t.kev --multi m1.bin
note_once "export --multi FILE" "--multi -o FILE"
"$kevrr" export t.kev --multi -o m2.bin
cmp -s m1.bin m2.bin || fail "export --multi FILE differs from --multi -o FILE"
rm -rf both
expect_rc 0 "$kevrr" export t.kev -o both --multi m3.bin
cmp -s m1.bin m3.bin && [ "$(ls both | wc -l)" -eq 10 ] || fail "export -o DIR --multi FILE: not both outputs"
expect_rc 0 "$kevrr" capture -q -i unix:v.sock -w c.kev --duration 100ms
note_once "capture -w" "-o"
expect_rc 0 "$kevrr" verify c.kev

# ---- run speaks replay's options -------------------------------------------
expect_rc 0 "$kevrr" run --step --from 2 --to 4 --format json -o run.json t.scn
"$kevrr" replay --step --from 2 --to 4 --format json -o rep.json t.kev
# The JSON lines name their input: the scenario, the trace.
cmp -s <(sed 's/"trace":"[^"]*"//' run.json) <(sed 's/"trace":"[^"]*"//' rep.json) ||
    fail "run --step --from --to --format json differs from replay's"
grep -q '"text":"state after batch 2 keys=' run.json || fail "run --step: no state after batch 2"
"$kevrr" replay -q -o golden.txt t.kev
expect_rc 0 "$kevrr" run --expect golden.txt t.scn
has_line out.txt "t.scn: matches golden.txt"
echo "attach en99" >>t2.scn && cat t.scn t2.scn >t3.scn
expect_rc 1 "$kevrr" run --expect golden.txt t3.scn
has_text out.txt "t3.scn: diverged at"

# ---- quiet, help ---------------------------------------------------------------
expect_rc 0 "$kevrr" replay -q --expect golden.txt t.kev
[ ! -s out.txt ] || fail "replay -q printed: $(cat out.txt)"
expect_rc 0 "$kevrr" help help
has_text out.txt "usage: kevrr COMMAND"
has_text out.txt "help       show help for a command"
for cmd in run replay gen info dump verify cut merge export import capture send query; do
    expect_rc 0 "$kevrr" help "$cmd"
    has_text out.txt "usage: kevrr $cmd"
done

# ---- scenario kernel lines: checked by gen and run, with the file's line ---
printf '# two interfaces\nkernel if en0 up\nkernel if en1 media actve\nattach en0\n' >k.scn
expect_rc 3 "$kevrr" gen k.scn -o k.kev
has_line err.txt 'kevrr gen: k.scn: line 3: kernel: if: media "actve" is not none, unknown, inactive or active'
[ -e k.kev ] && fail "gen of a bad kernel line left k.kev"
expect_rc 3 "$kevrr" run k.scn
has_line err.txt 'kevrr run: k.scn: line 3: kernel: if: media "actve" is not none, unknown, inactive or active'
[ -s out.txt ] && fail "run of a bad kernel line printed a report"
# Under several profiles: the same refusal (3) for each, never an internal error.
expect_rc 3 "$kevrr" run --profile all k.scn
grep -v '^kevrr run: k.scn: line 3: kernel: if: media "actve"' err.txt >other.txt
[ -s other.txt ] && fail "run --profile all of a bad scenario: $(cat other.txt)"
# A scenario that cannot be read: one message per profile, naming the command.
expect_rc 3 "$kevrr" run --profile v963,v1405 missing.scn
[ "$(grep -cx 'kevrr run: cannot open missing.scn: No such file or directory' err.txt)" = 2 ] ||
    { fail "run of a missing scenario"; cat err.txt; }
[ "$(wc -l <err.txt)" = 2 ] || { fail "run of a missing scenario: other messages"; cat err.txt; }
mkdir scn.d
expect_rc 3 "$kevrr" gen scn.d -o d.kev
has_line err.txt "kevrr gen: cannot read scn.d: Is a directory"
# One keyword, peer; dest and dst read the same.
printf 'kernel if utun0 p2p\nkernel inet6 utun0 fd00::1/128 peer fd00::2\ninet add utun0 10.0.0.1/32 peer 10.0.0.2\n' >p1.scn
printf 'kernel if utun0 p2p\nkernel inet6 utun0 fd00::1/128 dst fd00::2\ninet add utun0 10.0.0.1/32 dest 10.0.0.2\n' >p2.scn
expect_rc 0 "$kevrr" gen p1.scn -o p1.kev
expect_rc 0 "$kevrr" gen p2.scn -o p2.kev
cmp -s <("$kevrr" replay p1.kev) <("$kevrr" replay p2.kev) || fail "peer and dest/dst replay differently"
"$kevrr" replay p1.kev | grep -q "inet6 utun0 fd00::1/128 flags 0x0 peer fd00::2" ||
    fail "the report does not write the IPv6 peer as peer"

# ---- profiles come from the core's table ---------------------------------
expect_rc 2 "$kevrr" replay --profile v999 t.kev
has_text err.txt "kevrr replay: unknown profile 'v999': hardened, v888, v963"
# 'all' and lists are not unknown profiles where one is taken: said so.
expect_rc 2 "$kevrr" why interfaces t.kev --profile all
has_text err.txt "kevrr why: --profile 'all': one profile here (hardened, v888, v963"
expect_rc 2 "$kevrr" plot t.kev -o t.svg --profile v963,v1405
has_text err.txt "kevrr plot: --profile 'v963,v1405': one profile here (hardened, v888, v963"
expect_rc 2 "$kevrr" replay --profile v963,all t.kev
has_text err.txt "kevrr replay: unknown profile 'all': hardened, v888, v963"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all vocabulary checks passed"
