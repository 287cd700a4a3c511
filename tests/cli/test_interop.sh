#!/usr/bin/env bash
# test_interop.sh SRC KEVRR: traces that went through tools nobody on the
# project wrote, as a user would run them: Wireshark's tshark -Y ... -w,
# editcap (whole, and a range of frames), mergecap with one input, gzip -9
# (one stream and several), zcat, and htslib's bgzip. Each result is read
# (info, verify) and replays byte for byte as the original's same batches
# do, under every profile. What is not a trace is refused, named for what
# it is (a scenario, a pcap, an Ethernet capture, a gzip of text, a trace
# given to run).
#
# A tool that is not installed is skipped with a message (scripts/deps.sh
# --test installs them); then, if nothing else failed, the test exits 77.
set -u
src=$1
kevrr=$2
# shellcheck source=lib.sh
. "$src/tests/cli/lib.sh"

missing=()
have() {
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "SKIP: $1 is not installed (bash scripts/deps.sh --test installs it)"
    missing+=("$1")
    return 1
}

# A trace with a snapshot, 40 batches over two seconds and failed recv()s.
{
    echo "kernel if en0 flags 0x8863 media active"
    echo "kernel inet en0 10.0.0.2/24"
    echo "attach en1"
    for i in $(seq 1 36); do
        echo "at +50ms"
        echo "lqm en0 $((i % 5 * 25))"
        [ $((i % 9)) -eq 0 ] && echo "error ENOBUFS"
    done
    echo "detach en1"
} >t.scn
expect_rc 0 "$kevrr" gen t.scn -o t.kev
n=$("$kevrr" info t.kev | awk '/^batches:/{print $2}')
errors=$("$kevrr" info t.kev | awk '/^errors:/{print $2}')
total=$((n + errors))
[ "$total" -eq 42 ] || fail "t.kev holds $total records, expected 42"

# same_batches OUT FROM TO: OUT replays, under every profile, exactly as
# the batches [FROM, TO) of t.kev do (a cut of them: indexes from 0).
same_batches() {
    local out=$1 from=$2 to=$3
    expect_rc 0 "$kevrr" cut t.kev -o want.kev --keep-snapshot --from "$from" --to "$to"
    "$kevrr" replay -q --profile all want.kev >want.txt 2>/dev/null
    "$kevrr" replay -q --profile all "$out" >got.txt 2>got.err
    rc=$?
    [ "$rc" -eq 0 ] || { fail "replay $out exited $rc"; cat got.err; }
    [ "$(grep -c '^kevrr-report' got.txt)" -ge 3 ] || fail "replay --profile all of $out: not every profile"
    cmp -s want.txt got.txt ||
        { fail "$out does not replay as batches $from..$to of t.kev"; diff want.txt got.txt | head -5; }
    expect_rc 0 "$kevrr" verify "$out"
}

# ---- zcat: plain pcapng; gzip -9; several gzip streams -------------------
if have gzip; then
    gzip -dc <t.kev >plain.pcapng
    same_batches plain.pcapng 0 42
    has_text out.txt "whole: 42 records, uncompressed pcapng"
    expect_rc 0 "$kevrr" info plain.pcapng
    has_line out.txt "container:          pcapng, uncompressed: read in order, no salvage"
    gzip -9 -c plain.pcapng >g9.pcapng.gz
    same_batches g9.pcapng.gz 0 42
    has_text out.txt "whole: 42 records, 1 gzip stream"
    head -c 1000 plain.pcapng | gzip -9 >multi.gz
    tail -c +1001 plain.pcapng | gzip -1 >>multi.gz
    same_batches multi.gz 0 42
    has_text out.txt "whole: 42 records, 2 gzip streams"
    # Commands that seek read such a trace from its start instead.
    expect_rc 0 "$kevrr" cut g9.pcapng.gz -o c.kev --from 5 --to +1s
    expect_rc 0 "$kevrr" cut t.kev -o c0.kev --from 5 --to +1s
    cmp -s <("$kevrr" dump c.kev) <("$kevrr" dump c0.kev) || fail "cut of g9.pcapng.gz differs from cut of t.kev"
    cmp -s <("$kevrr" dump --from 7 --to 9 g9.pcapng.gz) <("$kevrr" dump --from 7 --to 9 t.kev) ||
        fail "dump --from of g9.pcapng.gz differs"
    # Refused, named for what they are.
    gzip -c t.scn >t.scn.gz
    expect_rc 3 "$kevrr" replay t.scn.gz
    has_text err.txt "t.scn.gz: not a trace: gzip data that is not pcapng (it starts with 6b 65 72 6e)"
    # A trace gzipped as it is (BGZF inside gzip): said, and gunzip once gives it back.
    gzip -9 -c t.kev >twice.kev.gz
    expect_rc 3 "$kevrr" replay twice.kev.gz
    has_text err.txt "twice.kev.gz: not a trace: gzip data that is not pcapng (it starts with 1f 8b 08 04: gzip data again, a file compressed twice: gunzip it once)"
    gzip -dc twice.kev.gz >once.kev
    same_batches once.kev 0 42
fi

# ---- bgzip (htslib): BGZF without kevrr's index --------------------------
if have bgzip; then
    bgzip -c plain.pcapng >bg.kev
    same_batches bg.kev 0 42
    expect_rc 0 "$kevrr" info bg.kev
    has_line out.txt "container:          BGZF without kevrr's index (bgzip's?): read in order, no salvage"
    # bgzip -d gives the plain pcapng back, byte for byte.
    bgzip -dc t.kev | cmp -s - plain.pcapng || fail "bgzip -d of t.kev is not its pcapng data"
fi

# ---- Wireshark's tools ----------------------------------------------------
if have tshark; then
    # frame N is batch N - 1: frames 4..20 are batches 3..19.
    tshark -r t.kev -Y 'frame.number >= 4 && frame.number <= 20' -w ts.pcapng 2>/dev/null
    same_batches ts.pcapng 3 20
    tshark -r t.kev -w tsall.pcapng 2>/dev/null
    same_batches tsall.pcapng 0 42
fi
if have editcap; then
    editcap t.kev ed.pcapng
    same_batches ed.pcapng 0 42
    editcap -r t.kev edr.pcapng 11-30
    same_batches edr.pcapng 10 30
    # Refusals: a pcap file; a capture of Ethernet frames.
    editcap -F pcap t.kev t.pcap 2>/dev/null
    expect_rc 3 "$kevrr" replay t.pcap
    has_line err.txt "kevrr replay: t.pcap: not a trace: a pcap (libpcap) file, not pcapng: kevrr reads pcapng (editcap -F pcapng converts it)"
    editcap -T ether t.kev eth.pcapng
    expect_rc 3 "$kevrr" info eth.pcapng
    has_text err.txt "link type 1 (Ethernet): a network capture, not a kevrr trace (link type 147, LINKTYPE_USER0)"
fi
if have mergecap; then
    mergecap -w mg.pcapng t.kev
    same_batches mg.pcapng 0 42
fi

# ---- what is not a trace, named -------------------------------------------
expect_rc 3 "$kevrr" replay t.scn
has_line err.txt "kevrr replay: t.scn: not a trace: text (it starts \"kernel if en0 flags 0x8863 media\"): a scenario? kevrr run and kevrr gen read those"
expect_rc 1 "$kevrr" verify t.scn
has_text out.txt "t.scn: not a trace: text"
expect_rc 3 "$kevrr" run t.kev
has_line err.txt "kevrr run: t.kev: a trace, not a scenario: kevrr replay reads traces"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
if [ ${#missing[@]} -gt 0 ]; then
    echo "SKIP: not run without ${missing[*]}; every other round trip passed"
    exit 77
fi
echo "all interop checks passed"
