#!/usr/bin/env bash
# test_convert.sh: the fuzzer-input converters and the plot end to end:
# kevrr export (one file per batch, and the multi-batch form of
# docs/fuzz-input.md) and kevrr import back give the same batches, bytes and
# order (compared with kevrr dump, times and indexes left out); the clock,
# the source, cut batches, the 64 KiB escape and hand-written multi-batch
# inputs; determinism; errors; and kevrr plot: well-formed SVG with the
# expected lanes, and a defect marker for D1 when replayed with v963.
#
# Usage: test_convert.sh SOURCE_DIR KEVRR
# Exits 0 on success, 1 on a failed check.
set -u

src=${1:?usage: test_convert.sh SOURCE_DIR KEVRR}
kevrr=${2:?usage: test_convert.sh SOURCE_DIR KEVRR}

. "$(dirname "$0")/lib.sh"

# batches TRACE: its dump with hex, without times or batch indexes: what
# must survive a round trip. Failed recv()s are kept unless NOERR is set.
batches() {
    "$kevrr" dump --hex "$1" | sed -E 's/^batch [0-9]+ at [^)]*\): /batch: /' |
        if [ -n "${NOERR:-}" ]; then grep -v '^batch: recv() failed'; else cat; fi
}

# same_batches A B [NOERR]: the two traces hold the same batches.
same_batches() {
    NOERR=${3:-} batches "$1" >a.dump
    batches "$2" >b.dump
    [ -s a.dump ] || fail "no dump of $1"
    diff -u a.dump b.dump >diff.txt || { fail "$1 and $2 differ:"; head -20 diff.txt; }
}

cat >net.scn <<'EOF'
# Two interfaces, several records in one batch, a malformed batch.
kernel if en0 up media active
attach en0
link on en0
at +0.25s
batch
  attach utun3
  inet6 add utun3 fe80::1/64 flags 0x40
end
inet add en0 192.168.1.20/24
lqm en0 50 trunc 30
at +2s
nd6 ra en0 fe80::2
arp collision en0 10.0.0.9 00:11:22:33:44:55
error EAGAIN
link off en0
detach en0
EOF
expect_rc 0 "$kevrr" gen net.scn -o net.kev

# ---- export: one file per batch -----------------------------------------

expect_rc 0 "$kevrr" export net.kev -o dir
ls dir >files.txt
[ "$(wc -l <files.txt)" -eq 9 ] || fail "export -o dir: $(wc -l <files.txt) files, expected 9"
has_line files.txt "batch-000000.bin"
has_line files.txt "batch-000009.bin"
grep -q "batch-000007.bin" files.txt && fail "the failed recv() (record 7) got a file"
has_line err.txt "kevrr export: net.kev: record 7: failed recv() (errno 35 EAGAIN): no file in dir"
[ "$(wc -c <dir/batch-000000.bin)" -eq 48 ] || fail "batch-000000.bin is not 48 bytes"
[ "$(wc -c <dir/batch-000002.bin)" -eq 240 ] || fail "batch-000002.bin (two records) is not 240 bytes"
expect_rc 0 "$kevrr" export net.kev -o dir2
diff -r dir dir2 >/dev/null || fail "export twice gave different files"
expect_rc 2 "$kevrr" export net.kev -o dir
has_line err.txt "kevrr export: dir is not empty (it would mix with the files of another export)"
expect_rc 2 "$kevrr" export net.kev
has_line err.txt "kevrr export: no output: -o DIR or --multi -o FILE; see kevrr help export"
expect_rc 3 "$kevrr" export missing.kev -o dir3

# ---- import: single-batch files -----------------------------------------

expect_rc 0 "$kevrr" import -o back.kev dir
same_batches net.kev back.kev noerr
expect_rc 0 "$kevrr" import -o back2.kev dir
cmp -s back.kev back2.kev || fail "import twice gave different bytes"
expect_rc 0 "$kevrr" info back.kev
has_line out.txt "source:             import:dir"
# The clock: record i at T0 + i * STEP.
expect_rc 0 "$kevrr" dump back.kev
has_line out.txt "batch 0 at 1700000000.000000000 (2023-11-14T22:13:20.000000000Z): 48 bytes"
has_line out.txt "batch 1 at 1700000000.001000000 (2023-11-14T22:13:20.001000000Z): 48 bytes"
expect_rc 0 "$kevrr" import -o clock.kev --t0 1700000100.5 --step 250us dir/batch-000000.bin \
    dir/batch-000001.bin dir/batch-000002.bin
expect_rc 0 "$kevrr" dump clock.kev
has_line out.txt "batch 2 at 1700000100.500500000 (2023-11-14T22:15:00.500500000Z): 240 bytes"
expect_rc 0 "$kevrr" info clock.kev
has_line out.txt "source:             import:batch-000000.bin"
# The order given, files and directories mixed.
expect_rc 0 "$kevrr" import -o order.kev dir/batch-000002.bin dir dir/batch-000000.bin
expect_rc 0 "$kevrr" info order.kev
has_line out.txt "batches:            11"
# A batch over 64 KiB is cut, its length kept.
head -c 70000 /dev/zero >big.bin
expect_rc 0 "$kevrr" import -o big.kev big.bin
has_line err.txt "kevrr import: big.bin: 70000 bytes: cut to 65536, origlen 70000 kept"
expect_rc 0 "$kevrr" dump big.kev
has_text out.txt "65536 of 70000 bytes (truncated)"
: >empty.bin
expect_rc 0 "$kevrr" import -o empty.kev empty.bin
expect_rc 0 "$kevrr" dump empty.kev
has_text out.txt ": 0 bytes"
expect_rc 3 "$kevrr" import -o none.kev missing.bin
[ ! -e none.kev ] && [ ! -e none.kev.tmp ] || fail "a failed import left a file"
expect_rc 2 "$kevrr" import -o x.kev --step 1 dir
has_line err.txt "kevrr import: --step '1': not a duration (1ms, 250us, 2s, 0)"
expect_rc 2 "$kevrr" import -o x.kev --t0 +1s dir
expect_rc 2 "$kevrr" import dir

# ---- the multi-batch form -----------------------------------------------

expect_rc 0 "$kevrr" export net.kev --multi -o net.multi
expect_rc 0 "$kevrr" import --multi -o mback.kev net.multi
same_batches net.kev mback.kev
expect_rc 0 "$kevrr" export mback.kev --multi -o net2.multi
cmp -s net.multi net2.multi || fail "export --multi of the imported trace differs"
# The first entry's header (48 bytes), and the failed recv(): FF FF, errno 35.
[ "$(od -An -tx1 -N2 net.multi | tr -d ' ')" = "3000" ] || fail "net.multi: first header not 30 00"
od -An -tx1 -v net.multi | tr -d ' \n' | grep -q 'ffff2300' || fail "net.multi: no FF FF 23 00 entry"
"$kevrr" export net.kev --multi -o - >stdout.multi 2>/dev/null
cmp -s net.multi stdout.multi || fail "export --multi - differs from --multi FILE"

# A 64 KiB batch takes the escape: FE FF, then the u32 length.
{ echo batch; echo "attach en0 pad 65488"; echo end; echo "link on en0"; } >big.scn
expect_rc 0 "$kevrr" gen big.scn -o big64.kev
expect_rc 0 "$kevrr" export big64.kev --multi big64.multi -o big64
[ "$(od -An -tx1 -N6 big64.multi | tr -d ' ')" = "feff00000100" ] ||
    fail "a 65536-byte batch is not written with the FE FF escape"
[ "$(wc -c <big64.multi)" -eq $((6 + 65536 + 2 + 48)) ] || fail "big64.multi has the wrong size"
[ "$(wc -c <big64/batch-000000.bin)" -eq 65536 ] || fail "batch-000000.bin is not 65536 bytes"
expect_rc 0 "$kevrr" import --multi -o big64back.kev big64.multi
same_batches big64.kev big64back.kev

# Hand-written: a batch, a failed recv() (ENOBUFS, 55), an empty batch, a
# length past the end (takes what is left).
printf '\x04\x00ABCD\xff\xff\x37\x00\x00\x00\x09\x00xyz' >hand.multi
expect_rc 0 "$kevrr" import --multi -o hand.kev hand.multi
has_line err.txt "kevrr import: hand.multi: entry 3 at offset 12: states 9 bytes, the file ends after 3: it takes them"
expect_rc 0 "$kevrr" dump hand.kev
has_text out.txt "batch 0 at 1700000000.000000000 (2023-11-14T22:13:20.000000000Z): 4 bytes"
has_text out.txt "batch 1 at 1700000000.001000000 (2023-11-14T22:13:20.001000000Z): recv() failed: ENOBUFS (errno 55)"
has_text out.txt "batch 2 at 1700000000.002000000 (2023-11-14T22:13:20.002000000Z): 0 bytes"
has_text out.txt "batch 3 at 1700000000.003000000 (2023-11-14T22:13:20.003000000Z): 3 bytes"
# Any bytes are an input: a header cut short is ignored, with a note.
printf '\x01\x00Z\xfe\xff\x01' >cut.multi
expect_rc 0 "$kevrr" import --multi -o cut.kev cut.multi
has_line err.txt "kevrr import: cut.multi: offset 3: 3 trailing bytes, too few for an entry header: ignored"
head -c 3000 /dev/urandom >random.multi
expect_rc 0 "$kevrr" import --multi -o random.kev random.multi
expect_rc 0 "$kevrr" verify random.kev

# ---- a damaged trace ----------------------------------------------------

# 3000 batches: about 190 KB of pcapng, so several members.
for i in $(seq 0 2999); do echo "lqm en$((i % 7)) $((i % 100))"; done >many.scn
expect_rc 0 "$kevrr" gen many.scn -o many.kev
size=$(wc -c <many.kev)
head -c $((size - 100)) many.kev >torn.kev
expect_rc 0 "$kevrr" export torn.kev --multi -o torn.multi
has_text err.txt "kevrr export: torn.kev: torn member: member "
cp many.kev flip.kev
printf '\x55' | dd of=flip.kev bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect_rc 3 "$kevrr" export flip.kev --multi -o flip.multi
has_text err.txt "kevrr export: flip.kev: bad CRC: member "
[ -s flip.multi ] || fail "export of a damaged trace did not keep what came before the damage"

# ---- plot ---------------------------------------------------------------

cat >d1.scn <<'EOF'
kernel if en0 up media active
attach en0
link on en0
attach utun3
inet6 add utun3 fe80::1/64
raw 00000000
at +1s
lqm en0 50
error ENOBUFS
EOF
expect_rc 0 "$kevrr" gen d1.scn -o d1.kev
expect_rc 0 "$kevrr" plot d1.kev -o d1.svg --profile v963
well_formed d1.svg
has_text d1.svg '<svg xmlns="http://www.w3.org/2000/svg"'
for lane in en0 utun3 "(no interface)" "defects (v963)"; do
    has_text d1.svg ">$lane</text>"
done
has_text d1.svg 'class="def"'
has_text d1.svg ': D1 size-zero at event 0, offset 0 (stops the batch): total_size 0'
has_text d1.svg 'recv() failed: errno 55 ENOBUFS'
has_text d1.svg 'class="dmg"'
has_text d1.svg 'v963: '
expect_rc 0 "$kevrr" plot d1.kev -o d1b.svg --profile v963
cmp -s d1.svg d1b.svg || fail "plot twice gave different SVG"
# Every profile of the core's table plots, v1405 (configd-1405) too.
expect_rc 0 "$kevrr" plot d1.kev -o d1n.svg --profile v1405
well_formed d1n.svg
has_text d1n.svg ">defects (v1405)</text>"
has_text d1n.svg 'v1405: '
expect_rc 0 "$kevrr" plot d1.kev -o d1h.svg --profile hardened --width 800
well_formed d1h.svg
has_text d1h.svg 'class="diag"'
has_text d1h.svg 'width="800"'
expect_rc 0 "$kevrr" plot net.kev -o net.svg
well_formed net.svg
grep -q 'class="def"\|class="diag"' net.svg && fail "plot without --profile drew findings"
has_text net.svg "Not replayed"
# Names are escaped: a 16-byte name without NUL, a byte outside ASCII.
printf 'attach ABCDEFGHIJKLMNOP0\nattach e\\xe9<&0\nattach utun1:23\n' >names.scn
expect_rc 0 "$kevrr" gen names.scn -o names.kev
expect_rc 0 "$kevrr" plot names.kev -o names.svg --profile v888
well_formed names.svg
has_text names.svg ">ABCDEFGHIJKLMNOP0</text>"
has_text names.svg ">e\\xe9&lt;&amp;0</text>"
has_text names.svg ">utun1:23</text>"
# Past 64 interfaces, a shared lane.
for i in $(seq 0 65); do echo "attach en$i"; done >ifs.scn
expect_rc 0 "$kevrr" gen ifs.scn -o ifs.kev
expect_rc 0 "$kevrr" plot ifs.kev -o - --width 600
cp out.txt ifs.svg
well_formed ifs.svg
has_text ifs.svg ">en63</text>"
has_text ifs.svg ">(other interfaces)</text>"
grep -q ">en64</text>" ifs.svg && fail "plot drew a 65th interface lane"
expect_rc 0 "$kevrr" plot torn.kev -o torn.svg
well_formed torn.svg
expect_rc 3 "$kevrr" plot flip.kev -o flip.svg
well_formed flip.svg
has_text flip.svg "Trace: bad CRC"
expect_rc 2 "$kevrr" plot - -o x.svg
expect_rc 2 "$kevrr" plot d1.kev -o x.svg --width 10
expect_rc 2 "$kevrr" plot d1.kev -o x.svg --profile v999
has_text err.txt "unknown profile 'v999': hardened, v888, v963 or v1405"
expect_rc 3 "$kevrr" plot missing.kev -o x.svg
[ ! -e x.svg ] || fail "a failed plot left x.svg"

for cmd in export import plot; do
    expect_rc 0 "$kevrr" "$cmd" --help
    has_text out.txt "usage: kevrr $cmd"
done

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "PASS: export, import and plot"
