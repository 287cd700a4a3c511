#!/usr/bin/env bash
# test_safety.sh SRC KEVRR: kevrr never destroys an input, and fails
# cleanly: an output that names an input is refused in every command,
# before anything is written; FIFOs work or are refused before blocking;
# a write error is named once, by its cause (ENOSPC on /dev/full and on a
# full file system); verify and info agree on a trace whose last data
# member was removed; every input has a cap (import /dev/zero); OUT.tmp
# is removed when SIGTERM or SIGINT ends a command.
set -u
src=$1
kevrr=$2
# shellcheck source=lib.sh
. "$src/tests/cli/lib.sh"

scn=$src/corpus/examples/boot.scn
cp "$scn" boot.scn
expect_rc 0 "$kevrr" gen boot.scn -o t.kev
expect_rc 0 "$kevrr" gen boot.scn -o u.kev --comment other
cp t.kev keep.kev
cp boot.scn keep.scn
ln -s t.kev link.kev

# refused CMD...: exits 2 naming the output as an input; nothing changed.
refused() {
    expect_rc 2 "$kevrr" "$@"
    grep -q "is also an input" err.txt || { fail "'$*' did not refuse an output that is an input"; cat err.txt; }
    cmp -s t.kev keep.kev || { fail "'$*' changed t.kev"; cp keep.kev t.kev; }
    cmp -s boot.scn keep.scn || { fail "'$*' changed boot.scn"; cp keep.scn boot.scn; }
    ls ./*.tmp >/dev/null 2>&1 && { fail "'$*' left a temporary file"; rm -f ./*.tmp; }
}

# ---- an output that names an input, in every command --------------------
refused gen boot.scn -o boot.scn
refused cut t.kev -o link.kev
refused merge -o t.kev u.kev t.kev
refused merge -o link.kev u.kev t.kev
refused export t.kev --multi -o t.kev
refused export t.kev --multi t.kev
refused export t.kev -o link.kev
refused import -o t.kev t.kev
refused replay t.kev -o t.kev
refused replay t.kev --report link.kev
refused replay --junit t.kev t.kev
refused replay --expect t.kev --update t.kev
# The goldens --expect-dir reads, under each profile, are inputs too.
mkdir g
"$kevrr" replay -q --profile v963 t.kev >g/t.v963.report
cp g/t.v963.report keep.report
refused replay --expect-dir g --profile v963 t.kev -o g/t.v963.report
refused replay --expect-dir g --profile hardened,v963 --junit g/t.v963.report t.kev
has_line err.txt "kevrr replay: g/t.v963.report is also an input (g/t.v963.report): refusing to overwrite it"
cmp -s g/t.v963.report keep.report || fail "replay --expect-dir overwrote its golden"
cp keep.report g/boot.v963.report
refused run --expect-dir g --profile v963 boot.scn -o g/boot.v963.report
cmp -s g/boot.v963.report keep.report || fail "run --expect-dir overwrote its golden"
refused run boot.scn -o boot.scn
has_line err.txt "kevrr run: boot.scn is also an input (boot.scn): refusing to overwrite it"
# A file inside a directory given to import.
mkdir in
printf 'abc' >in/a.bin
cp t.kev in/z.kev
refused import -o in/z.kev in
expect_rc 0 "$kevrr" import -o in/new.kev in
[ -e in/new.kev.tmp ] && fail "import left in/new.kev.tmp"
"$kevrr" dump in/new.kev | grep -c '^batch' >n.txt
[ "$(cat n.txt)" = 2 ] || fail "import of in/ read $(cat n.txt) inputs, expected 2 (its own output is none)"

# ---- FIFOs: they work, or are refused before blocking --------------------
mkfifo f.fifo
# cut seeks: refused at once, with no writer to wait for.
expect_rc 2 timeout 5 "$kevrr" cut f.fifo -o c.kev --from 2
has_line err.txt "kevrr cut: f.fifo is a FIFO: cut seeks, so it reads a file (copy the trace to one first, or use kevrr dump --from/--to)"
# dump --from reads on where it cannot seek: the same lines as on a file.
(cat t.kev >f.fifo &)
expect_rc 0 timeout 10 "$kevrr" dump --from 12 f.fifo
"$kevrr" dump --from 12 t.kev >want.txt
cmp -s out.txt want.txt || { fail "dump --from 12 FIFO differs from the file's"; diff want.txt out.txt | head -3; }
(cat t.kev >f.fifo &)
expect_rc 0 timeout 10 "$kevrr" replay f.fifo
"$kevrr" replay t.kev >want.txt
cmp -s out.txt want.txt || fail "replay FIFO differs from the file's"
(cat t.kev >f.fifo &)
expect_rc 0 timeout 10 "$kevrr" verify f.fifo
has_line out.txt "f.fifo: whole: 16 records, 2 members"

# ---- write errors: named once, by their cause ----------------------------
# once_enospc CMD...: exit 5, one line on stderr, naming ENOSPC.
once_enospc() {
    expect_rc 5 "$@"
    [ "$(wc -l <err.txt)" -eq 1 ] || { fail "'$*': $(wc -l <err.txt) error lines, expected 1"; cat err.txt; }
    has_text err.txt "No space left on device"
}
once_enospc "$kevrr" gen boot.scn -o /dev/full
has_line err.txt "kevrr gen: cannot write /dev/full: No space left on device"
once_enospc "$kevrr" cut t.kev -o /dev/full
once_enospc "$kevrr" merge -o /dev/full t.kev u.kev
once_enospc "$kevrr" export t.kev --multi -o /dev/full
once_enospc "$kevrr" import -o /dev/full in/a.bin
once_enospc "$kevrr" replay t.kev -o /dev/full
once_enospc "$kevrr" run boot.scn -o /dev/full
for cmd in "replay t.kev" "replay t.kev u.kev" "run boot.scn" "dump t.kev" "info t.kev" \
    "verify t.kev" "gen boot.scn -o -"; do
    # shellcheck disable=SC2086
    expect_rc 5 sh -c "\"$kevrr\" $cmd >/dev/full"
    [ "$(wc -l <err.txt)" -eq 1 ] || { fail "$cmd >/dev/full: $(wc -l <err.txt) error lines"; cat err.txt; }
    has_text err.txt "cannot write standard output: No space left on device"
done
# A full file system (a 64 KiB tmpfs, where this user may mount one): the
# same message, and no OUT.tmp left behind.
mkdir small
if mount -t tmpfs -o size=64k tmpfs small 2>/dev/null; then
    # 3000 batches of 64 pseudo-random bytes: some 190 KiB even compressed.
    awk 'BEGIN { x = 12345; for (i = 0; i < 3000; i++) { s = "raw ";
        for (j = 0; j < 64; j++) { x = (x * 1103515245 + 12345) % 2147483648;
            s = s sprintf("%02x", int(x / 65536) % 256) } print s } }' >big.scn
    once_enospc "$kevrr" gen big.scn -o small/big.kev
    has_line err.txt "kevrr gen: cannot write small/big.kev: No space left on device"
    [ -z "$(ls small)" ] || fail "gen on a full file system left: $(ls small)"
    umount small
else
    echo "note: cannot mount a small tmpfs here: the full file system case is not run"
fi

# ---- verify and info agree on a trace whose end was removed --------------
# A trace of several members; then its last data member (holding the last
# records and the statistics block) removed, its EOF member kept.
{
    for i in $(seq 1 4000); do echo "lqm en0 $((i * 7919 % 101))"; done
} >many.scn
expect_rc 0 "$kevrr" gen many.scn -o many.kev
python3 - many.kev cut.kev <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
ms, off = [], 0
while off < len(d):
    size = struct.unpack_from('<H', d, off + 16)[0] + 1
    ms.append((off, size))
    off += size
assert len(ms) >= 4, ms
last = ms[-2]  # the last member before the EOF member
open(sys.argv[2], 'wb').write(d[:last[0]] + d[last[0] + last[1]:])
EOF
expect_rc 1 "$kevrr" verify cut.kev
has_text out.txt "cut.kev: records missing: the EOF member ends the file at offset"
expect_rc 3 "$kevrr" info cut.kev
has_text out.txt "stats block:        none (the capture was not closed)"
has_text out.txt "end:                records missing: the EOF member ends the file at offset"
# replay replays every record there is, with a note (as for a trace cut short).
expect_rc 0 "$kevrr" replay -q cut.kev
has_text err.txt "records missing"

# ---- every input has a cap -------------------------------------------------
expect_rc 3 timeout 20 "$kevrr" import -o z.kev /dev/zero
has_line err.txt "kevrr import: /dev/zero: more than 67108864 bytes (IMPORT_MAX_INPUT): not a fuzzer input; nothing written"
[ -e z.kev ] || [ -e z.kev.tmp ] && fail "import of /dev/zero left a file"
expect_rc 3 timeout 20 "$kevrr" gen /dev/zero -o z.kev
expect_rc 3 timeout 20 "$kevrr" replay /dev/zero
has_text err.txt "neither BGZF, gzip nor pcapng (the file starts with 00 00 00 00)"
expect_rc 3 "$kevrr" verify .
has_line err.txt "kevrr verify: cannot open .: Is a directory"

# ---- OUT.tmp removed when a signal ends the command ------------------------
# import waits on a FIFO whose writer stays open: OUT.tmp exists then.
mkfifo slow.fifo
for sig in TERM INT HUP; do
    sleep 30 >slow.fifo &
    holder=$!
    python3 -c '
import signal, subprocess, sys
# Started with the default action for every signal, as from a terminal (a
# background job of a script would ignore SIGINT); its pid written first.
p = subprocess.Popen(sys.argv[2:], stderr=subprocess.DEVNULL, preexec_fn=lambda: [
    signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)])
open(sys.argv[1], "w").write(str(p.pid))
p.wait()
' pid.txt "$kevrr" import -o sig.kev slow.fifo &
    runner=$!
    for _ in $(seq 1 50); do [ -e sig.kev.tmp ] && [ -s pid.txt ] && break; sleep 0.1; done
    [ -e sig.kev.tmp ] || fail "SIG$sig: import never opened sig.kev.tmp"
    kill -s "$sig" "$(cat pid.txt)"
    wait "$runner"
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
    rm -f pid.txt
    [ -e sig.kev.tmp ] && fail "SIG$sig: sig.kev.tmp left behind"
    [ -e sig.kev ] && fail "SIG$sig: sig.kev written"
    rm -f sig.kev sig.kev.tmp
done

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all safety checks passed"
