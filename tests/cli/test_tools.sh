#!/usr/bin/env bash
# test_tools.sh: the trace tools end to end: kevrr gen (deterministic bytes,
# scenario errors leave no file), dump and info (exact lines and counts,
# valid JSON), verify (whole, cut at a member boundary, torn inside a member,
# a flipped byte, salvage), cut (by batch and by time: the slice of the
# input's dump) and merge (two cuts give the original back), and
# interoperability with tshark, capinfos, zcat and the Wireshark dissector.
#
# Usage: test_tools.sh SOURCE_DIR KEVRR
# Exits 0 on success, 1 on a failed check, 77 (skip) when every other check
# passed but tshark is not installed, so the interoperability checks could
# not run.
set -u

src=${1:?usage: test_tools.sh SOURCE_DIR KEVRR}
kevrr=${2:?usage: test_tools.sh SOURCE_DIR KEVRR}

. "$(dirname "$0")/lib.sh"

# A member's offsets: "OFFSET SIZE" per BGZF member (BSIZE at +16 is size - 1).
members() {
    local f=$1 off=0 size total
    total=$(wc -c <"$f")
    while [ "$off" -lt "$total" ]; do
        size=$(($(od -An -tu2 -j $((off + 16)) -N2 "$f") + 1))
        echo "$off $size"
        off=$((off + size))
    done
}

# The dump without batch indexes: "batch N at" becomes "batch at".
unindexed() {
    sed -E 's/^batch [0-9]+ at /batch at /'
}

# ---- gen ----------------------------------------------------------------

scn=$src/corpus/examples/boot.scn

# An output that is not a regular file (a FIFO, like /dev/null a device) is
# written in place, never replaced by a renamed temporary file.
mkfifo out.fifo
timeout 10 cat out.fifo >from_fifo.kev &
reader=$!
expect_rc 0 "$kevrr" gen "$scn" -o out.fifo
wait "$reader"
[ -p out.fifo ] || fail "gen -o FIFO replaced the FIFO"
[ -s from_fifo.kev ] || fail "gen -o FIFO wrote nothing into the FIFO"
expect_rc 0 "$kevrr" gen "$scn" -o boot.kev
expect_rc 0 "$kevrr" gen "$scn" -o boot2.kev
cmp -s boot.kev boot2.kev || fail "gen of boot.scn twice gave different bytes"
"$kevrr" gen "$scn" -o - >boot3.kev
cmp -s boot.kev boot3.kev || fail "gen -o - differs from gen -o FILE"
[ ! -e boot.kev.tmp ] || fail "gen left boot.kev.tmp behind"

printf 'attach en0\nattach en\n' >bad.scn
expect_rc 3 "$kevrr" gen bad.scn -o bad.kev
has_line err.txt "kevrr gen: bad.scn: line 2: attach: name en has no unit"
[ ! -e bad.kev ] && [ ! -e bad.kev.tmp ] || fail "gen of a bad scenario left a file"
expect_rc 3 "$kevrr" gen bad.scn -o -
[ ! -s out.txt ] || fail "gen -o - of a bad scenario wrote to stdout"
expect_rc 2 "$kevrr" gen "$scn"
has_line err.txt "kevrr gen: no output: -o TRACE; see kevrr help gen"

# ---- dump ---------------------------------------------------------------

expect_rc 0 "$kevrr" dump boot.kev
cp out.txt boot.dump
[ "$(grep -c '^batch ' boot.dump)" -eq 16 ] || fail "dump of boot.kev: not 16 batches"
has_line boot.dump "batch 0 at 1700000000.000000000 (2023-11-14T22:13:20.000000000Z): 48 bytes"
has_line boot.dump "record 0 at offset 0: KEV_DL_IF_ATTACHED total_size=48 id=1 vendor=KEV_VENDOR_APPLE(1) class=KEV_NETWORK_CLASS(1) subclass=KEV_DL_SUBCLASS(2) code=9 layout=net_event_data"
has_line boot.dump "batch 6 at 1700000002.006000000 (2023-11-14T22:13:22.006000000Z): 48 bytes"
has_line boot.dump '  +8 if_name: "utun"'
has_line boot.dump "  +24 ia_addr: 192.168.1.23"
has_line boot.dump "  +48 ia_dstaddr: 10.8.0.1"
has_line boot.dump "  +32 ia_addr.sin6_addr: fe80:4::1c2a:7ff:fe1b:2c3d"
has_line boot.dump "  +24 link_quality_metric: 50 (POOR)"
has_line boot.dump "  +48 timestamp: 1700000002 (2023-11-14T22:13:22Z)"
has_line boot.dump "batch 15 at 1700000132.015000000 (2023-11-14T22:15:32.015000000Z): 48 bytes"

expect_rc 0 "$kevrr" dump --from 14 --to 15 --hex boot.kev
[ "$(grep -c '^batch ' out.txt)" -eq 1 ] || fail "dump --from 14 --to 15: not one batch"
has_line out.txt "batch 14 at 1700000132.014000000 (2023-11-14T22:15:32.014000000Z): 48 bytes"
has_line out.txt "00000010: 0f00 0000 0a00 0000 0000 0000 0000 0000  ................"

expect_rc 0 "$kevrr" dump --format json --hex boot.kev
[ "$(wc -l <out.txt)" -eq 16 ] || fail "dump --json: not 16 lines"
python3 -m json.tool --json-lines out.txt >/dev/null || fail "dump --json: not JSON lines"
head -n 1 out.txt | grep -Fq '{"type":"batch","index":0,"t_ns":1700000000000000000,"time":"1700000000.000000000","utc":"2023-11-14T22:13:20.000000000Z","caplen":48,"origlen":48,"records":[{"type":"record","index":0,' ||
    fail "dump --json: first line"
expect_rc 2 "$kevrr" dump --from x boot.kev
has_line err.txt "kevrr dump: --from takes a batch index (12), a Unix time (1700000000.25) or a time after the first batch (+1.5s, +250ms), not 'x'"

# A failed recv() and malformed records.
printf 'attach en0\nerror EAGAIN\nlqm en0 50 trunc 30\n' >err.scn
expect_rc 0 "$kevrr" gen err.scn -o err.kev
expect_rc 0 "$kevrr" dump err.kev
has_line out.txt "batch 1 at 1700000000.001000000 (2023-11-14T22:13:20.001000000Z): recv() failed: EAGAIN (errno 35)"
has_line out.txt "damage: record 0 at offset 0: total_size 52 runs past the end of the batch (30 bytes left) (KEV_ETOOBIG)"
expect_rc 0 "$kevrr" dump --format json err.kev
has_line out.txt '{"type":"error","index":1,"t_ns":1700000000001000000,"time":"1700000000.001000000","utc":"2023-11-14T22:13:20.001000000Z","errno":35,"name":"EAGAIN"}'
expect_rc 0 "$kevrr" info err.kev
has_line out.txt "batches:            2"
has_line out.txt "errors:             1 (1 EAGAIN)"
has_line out.txt "records:            1"
has_line out.txt "damaged records:    1"

# ---- info ---------------------------------------------------------------

expect_rc 0 "$kevrr" info boot.kev
for line in "trace:              boot.kev" "format:             1.0" \
    "source:             gen:boot.scn" "os:                 kevrr gen" \
    "tool:               kevrr 0.1.0" "snapshot:           81 bytes, 1 interface" \
    "capture start:      1700000000.000000000 (2023-11-14T22:13:20.000000000Z)" \
    "batches:            16" "errors:             0" \
    "first:              1700000000.000000000 (2023-11-14T22:13:20.000000000Z)" \
    "last:               1700000132.015000000 (2023-11-14T22:15:32.015000000Z)" \
    "duration:           132.015000000 s" "truncated batches:  0" \
    "records:            16" "damaged records:    0" \
    "  KEV_DL_IF_ATTACHED                       2" \
    "  KEV_DL_LINK_QUALITY_METRIC_CHANGED       2" \
    "  KEV_INET6_ADDR_DELETED                   2" \
    "  KEV_INET_NEW_ADDR                        2" \
    "  KEV_DL_ISSUES                            1" \
    "stats block:        16 records, stop 1700000132.015000000 (2023-11-14T22:15:32.015000000Z)"; do
    has_line out.txt "$line"
done
grep -Eq "^end: +whole: clean end: EOF member, then the end of the file at offset $(wc -c <boot.kev)\$" out.txt ||
    fail "info: no whole end line"
[ "$(sed -n '/^events:/,/^stats block:/p' out.txt | grep -c '^  KEV_')" -eq 12 ] ||
    fail "info: not 12 kinds of events"
expect_rc 0 "$kevrr" info --format json boot.kev
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ev = {e["name"]: e["count"] for e in d["events"]}
assert d["batches"] == 16 and d["errors"] == 0 and d["records"] == 16, d
assert d["source"] == "gen:boot.scn" and d["snapshot_interfaces"] == 1, d
assert ev["KEV_DL_IF_ATTACHED"] == 2 and ev["KEV_DL_ISSUES"] == 1, ev
assert d["end"] == "whole" and d["stats_block"]["records"] == 16, d
' out.txt || fail "info --json: wrong or invalid JSON"
python3 -m json.tool out.txt >/dev/null || fail "info --json does not parse"

# ---- verify -------------------------------------------------------------

# A trace of several members: 3000 batches and 6 failed recv()s.
awk 'BEGIN {
    print "kernel if lo0 flags 0x8049 media none";
    for (i = 0; i < 3000; i++) {
        u = i % 7; k = i % 5;
        if (k == 0) print "attach en" u;
        if (k == 1) print "link on en" u;
        if (k == 2) print "inet add en" u " 10." i % 250 "." (i * 7) % 250 "." (i * 13) % 250 + 1 "/24";
        if (k == 3) print "lqm en" u " " i % 101;
        if (k == 4) printf "inet6 add en%d fe80::%x/64 flags 0x4\n", u, i;
        if (i % 97 == 0) printf "at +%d.%03ds\n", i % 3, i % 1000;
        if (i % 500 == 0) print "error EAGAIN";
    }
}' >big.scn
expect_rc 0 "$kevrr" gen big.scn -o big.kev
members big.kev >members.txt
nmem=$(wc -l <members.txt)
[ "$nmem" -ge 5 ] || fail "big.kev has only $nmem members"
expect_rc 0 "$kevrr" verify big.kev
has_line out.txt "big.kev: whole: 3006 records, $nmem members"

read -r m2 m2size < <(sed -n 3p members.txt)
read -r m1 _ < <(sed -n 2p members.txt)
head -c "$m2" big.kev >short.kev
expect_rc 1 "$kevrr" verify short.kev
has_line out.txt "short.kev: cut short: no EOF member: the file ends at offset $m2, after a member with data"
head -c $((m2 + 100)) big.kev >torn.kev
expect_rc 1 "$kevrr" verify torn.kev
has_line out.txt "torn.kev: torn member: member 2 at offset $m2: BSIZE says $m2size bytes, the file ends after 100"
python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[int(sys.argv[2])] ^= 0xFF
open(sys.argv[3], "wb").write(d)' big.kev $((m1 + 1000)) flip.kev
expect_rc 1 "$kevrr" verify flip.kev
grep -Eq "^flip\.kev: bad CRC: member 1 at offset $m1: CRC32 0x[0-9a-f]{8} in trailer, 0x[0-9a-f]{8} computed\$" out.txt ||
    fail "verify of a flipped byte: $(cat out.txt)"
expect_rc 1 "$kevrr" verify --salvage flip.kev
# The records of member 1 are lost; every other one is recovered.
lost=$(sed -nE 's/.*salvage: ([0-9]+) records recovered \(([0-9]+) lost between them\), 1 member skipped$/\1 \2/p' out.txt)
read -r got gone <<<"$lost"
[ -n "$lost" ] && [ "$gone" -gt 0 ] && [ $((got + gone)) -eq 3006 ] ||
    fail "verify --salvage: $(cat out.txt)"
expect_rc 3 "$kevrr" verify big.kev no-such.kev
has_line out.txt "big.kev: whole: 3006 records, $nmem members"
has_line err.txt "kevrr verify: cannot open no-such.kev: No such file or directory"

# A damaged trace: info still shows what it read, and exits 3; so does dump.
expect_rc 3 "$kevrr" info torn.kev
grep -q "^batches: " out.txt || fail "info of a torn trace printed no counts"
grep -q "^end: *torn member: member 2 at offset $m2" out.txt || fail "info: no torn end"
expect_rc 3 "$kevrr" dump torn.kev
has_line err.txt "kevrr dump: torn.kev: torn member: member 2 at offset $m2: BSIZE says $m2size bytes, the file ends after 100"

# ---- cut and merge --------------------------------------------------------

"$kevrr" dump big.kev >big.dump
# The dump of batches [a, b) of big.kev, without indexes.
slice() {
    awk -v a="$1" -v b="$2" '/^batch /{i = $2} i >= a && i < b' big.dump | unindexed
}
expect_rc 0 "$kevrr" cut big.kev -o cut1.kev --from 100 --to 2000 --keep-snapshot
expect_rc 0 "$kevrr" verify cut1.kev
has_line out.txt "cut1.kev: whole: 1900 records, $(members cut1.kev | wc -l) members"
"$kevrr" dump cut1.kev | unindexed >cut1.dump
slice 100 2000 | diff -q - cut1.dump >/dev/null || fail "cut --from 100 --to 2000 is not that slice"
"$kevrr" info cut1.kev >out.txt
has_line out.txt "comment:            cut from big.kev batches 100..2000"
has_line out.txt "snapshot:           31 bytes, 1 interface"

# By time: from 1 s after the first batch to 1700000005.5, exclusive.
expect_rc 0 "$kevrr" cut big.kev -o cut2.kev --from-time +1s --to-time 1700000005.5
expect_rc 0 "$kevrr" verify cut2.kev
awk '/^batch /{t = "x" $4} t >= "x1700000001.000000000" && t < "x1700000005.500000000"' big.dump |
    unindexed >want2.dump
"$kevrr" dump cut2.kev | unindexed >cut2.dump
[ -s cut2.dump ] && diff -q want2.dump cut2.dump >/dev/null || fail "cut by time is not that slice"
first=$(awk '/^batch /{t = "x" $4} t >= "x1700000001.000000000" && /^batch /{print $2; exit}' big.dump)
grep -q "^comment: *cut from big.kev batches $first\.\." <("$kevrr" info cut2.kev) ||
    fail "cut by time: comment does not start at batch $first"

expect_rc 2 "$kevrr" cut big.kev -o x.kev --from 1 --from-time 1700000000
has_line err.txt "kevrr cut: give --from or --from-time, not both"
expect_rc 2 "$kevrr" cut big.kev -o x.kev --to-time 1.5s
expect_rc 0 "$kevrr" cut big.kev -o empty.kev --from 5000
expect_rc 0 "$kevrr" verify empty.kev
has_line out.txt "empty.kev: whole: 0 records, 2 members"

# Two cuts merged give the original batches back, in time order.
expect_rc 0 "$kevrr" cut big.kev -o head.kev --to 1500
expect_rc 0 "$kevrr" cut big.kev -o tail.kev --from 1500
expect_rc 0 "$kevrr" merge -o merged.kev tail.kev head.kev
expect_rc 0 "$kevrr" verify merged.kev
"$kevrr" dump merged.kev >merged.dump
# Batch 1499 and 1500 have different times, so the file order does not matter.
diff -q big.dump merged.dump >/dev/null || fail "merge of two cuts is not the original"
"$kevrr" info merged.kev >out.txt
has_line out.txt "comment:            cut from big.kev batches 1500..3006; merged with head.kev (gen:big.scn)"
# Equal times: the file order decides, each input keeps its order.
expect_rc 0 "$kevrr" merge -o twice.kev boot.kev boot.kev
[ "$("$kevrr" dump twice.kev | grep -c '^batch ')" -eq 32 ] || fail "merge of a trace with itself"
"$kevrr" dump twice.kev | grep -v '^batch ' >twice.dump
grep -v '^batch ' boot.dump | awk '/^record /{if (r != "") {print r; print r}; r = $0; next} {r = r "\n" $0} END {print r; print r}' >want.dump
diff -q want.dump twice.dump >/dev/null || fail "merge of a trace with itself: not each batch twice"
expect_rc 3 "$kevrr" merge -o x.kev boot.kev flip.kev
[ ! -e x.kev ] && [ ! -e x.kev.tmp ] || fail "merge of a damaged input left a file"

# ---- interoperability -----------------------------------------------------

if ! command -v tshark >/dev/null 2>&1; then
    if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed"
        exit 1
    fi
    echo "SKIP: tshark is not installed (apt-get install tshark): interoperability not checked"
    exit 77
fi
ts() {
    HOME=$tmp TZ=UTC tshark "$@" 2>>tshark-stderr.txt
}

# Frame N is batch N - 1, with the dump's nanosecond timestamps.
ts -r big.kev -T fields -e frame.number -e frame.time_epoch >frames.txt
awk '/^batch /{printf "%d\t%s\n", $2 + 1, $4}' big.dump >want-frames.txt
[ "$(wc -l <frames.txt)" -eq 3006 ] || fail "tshark shows $(wc -l <frames.txt) frames, not 3006"
diff -q want-frames.txt frames.txt >/dev/null || fail "tshark's frame times differ from dump's"
capinfos -c -M big.kev >capinfos.txt 2>&1 || fail "capinfos failed"
grep -Eq "^Number of packets: +3006\$" capinfos.txt || fail "capinfos: $(cat capinfos.txt)"
zcat big.kev >plain.pcapng || fail "zcat big.kev failed"
[ "$(od -An -tx1 -N4 plain.pcapng | tr -d ' ')" = "0a0d0d0a" ] || fail "zcat: not a pcapng file"
[ "$(ts -r plain.pcapng | wc -l)" -eq 3006 ] || fail "tshark reads a different count from zcat's pcapng"

# The dissector decodes a generated trace.
if tshark -v 2>/dev/null | grep -Eq 'with Lua|Lua [0-9]'; then
    ts -r boot.kev -X lua_script:"$src/contrib/wireshark/kevrr.lua" -V >details.txt
    for line in "[Interface (name and unit): en0]" "[Interface (name and unit): utun0]" \
        "ia_addr: 192.168.1.23" "Interface name: gen:boot.scn" \
        "event_code: KEV_DL_IF_ATTACHED (9)"; do
        grep -Fq -- "$line" details.txt || fail "tshark -V with kevrr.lua: no line with: $line"
    done
    ! grep -q "Lua Error" details.txt || fail "the dissector raised Lua errors"
else
    echo "NOTE: this tshark has no Lua support: the dissector was not checked"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "PASS: gen, info, dump, verify, cut, merge and interoperability"
