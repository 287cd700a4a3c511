#!/usr/bin/env bash
# test_replay.sh: kevrr replay end to end, on traces made by kevrr gen from
# scenarios written here: the report equals kevrr run's on the same
# scenario byte for byte (every profile); the snapshot seeds the kernel;
# goldens (--update, --expect, a changed value found with its batch, key
# and a unified diff that patch applies, a missing golden, --expect-dir
# with two traces); JUnit XML; --from, --until (index and time) and
# --step; JSON lines that parse and rebuild the text report; exit codes
# (defects, damage, usage); a truncated capture; the progress bar.
#
# Usage: test_replay.sh SOURCE_DIR KEVRR
# Exits 0 on success, 1 on a failed check.
set -u

src=${1:?usage: test_replay.sh SOURCE_DIR KEVRR}
kevrr=${2:?usage: test_replay.sh SOURCE_DIR KEVRR}

. "$(dirname "$0")/lib.sh"

# tops FILE: the section headers (lines not starting with a space).
tops() {
    grep -v '^ ' "$1"
}

# ---- the same report as kevrr run ----------------------------------------

scn=$src/corpus/examples/boot.scn
expect_rc 0 "$kevrr" gen "$scn" -o boot.kev
for p in $(profiles "$src"); do
    "$kevrr" run --profile "$p" "$scn" >run.$p.txt
    expect_rc 0 "$kevrr" replay --profile "$p" boot.kev
    cp out.txt replay.$p.txt
    [ -s run.$p.txt ] || fail "kevrr run gave no report ($p)"
    cmp -s run.$p.txt replay.$p.txt || {
        fail "replay of boot.kev differs from run of boot.scn ($p)"
        diff run.$p.txt replay.$p.txt | head -10
    }
done
"$kevrr" run --profile v963 --ilp32 --verbose --recv-buffer 256 "$scn" >run.opts.txt
"$kevrr" replay --profile v963 --ilp32 --verbose --recv-buffer 256 boot.kev >replay.opts.txt
cmp -s run.opts.txt replay.opts.txt || fail "replay differs from run with --ilp32 --verbose"
has_line replay.opts.txt "profile v963 abi ilp32 recv-buffer 256 verbose yes"

# Failed recv()s, a multi-record batch, timer ticks, and a kernel snapshot
# with an interface and addresses: the snapshot seeds the simulated kernel.
cat >mix.scn <<'EOF'
kernel if en1 up flags 0x8863 media active lqm 50
kernel inet en1 10.1.2.3/16
attach en0
link on en0
error EAGAIN
at +7s
inet add en0 192.168.7.9/24
lqm en1 10
error EIO
link off en1
EOF
expect_rc 0 "$kevrr" gen mix.scn -o mix.kev
for p in $(profiles "$src"); do
    "$kevrr" run --profile "$p" mix.scn >run.mix.$p.txt
    "$kevrr" replay --profile "$p" mix.kev >replay.mix.$p.txt
    cmp -s run.mix.$p.txt replay.mix.$p.txt || {
        fail "replay of mix.kev differs from run of mix.scn ($p)"
        diff run.mix.$p.txt replay.mix.$p.txt | head -10
    }
done
has_line replay.mix.v963.txt "snapshot interfaces=1"
has_line replay.mix.v963.txt "  if en1 flags 0x8863 media active lqm 50 refcnt 0 cheap"
has_line replay.mix.v963.txt "  inet en1 10.1.2.3/16 peer 10.1.255.255"
has_text replay.mix.v963.txt "set State:/Network/Interface = {Interfaces = [\"en1\"]}"
has_line replay.mix.v963.txt "error 2 t=1700000000.002000000 len=0"
# Without kernel lines there is no snapshot section.
printf 'attach en0\n' >plain.scn
"$kevrr" gen plain.scn -o plain.kev
"$kevrr" replay plain.kev >plain.txt
! grep -q '^snapshot' plain.txt || fail "a trace without a snapshot got a snapshot section"

# Several traces: one report after the other, into -o FILE.
expect_rc 0 "$kevrr" replay --profile v963 -o both.txt boot.kev mix.kev
[ ! -s out.txt ] || fail "-o FILE still wrote to stdout"
cat replay.v963.txt replay.mix.v963.txt >both.want
cmp -s both.want both.txt || fail "-o with two traces is not the two reports in order"

# ---- goldens --------------------------------------------------------------

mkdir g
expect_rc 3 "$kevrr" replay --profile v963 --expect g/boot.report boot.kev
has_line err.txt "kevrr replay: g/boot.report: no such golden (create it with --update)"
expect_rc 0 "$kevrr" replay --profile v963 --expect g/boot.report --update boot.kev
has_line out.txt "updated g/boot.report"
cmp -s g/boot.report replay.v963.txt || fail "--update did not write the report"
[ ! -e g/boot.report.tmp ] || fail "--update left g/boot.report.tmp"
expect_rc 0 "$kevrr" replay --profile v963 --expect g/boot.report boot.kev
has_line out.txt "boot.kev: matches g/boot.report"
expect_rc 0 "$kevrr" replay -q --profile v963 --expect g/boot.report boot.kev
[ ! -s out.txt ] || fail "--quiet still printed: $(cat out.txt)"

# One value changed in the golden: the batch, the line, the key, a diff.
lq='  set State:/Network/Interface/en0/LinkQuality = {LinkQuality = 50}'
line=$(grep -nFx -- "$lq" g/boot.report | cut -d: -f1)
batch=$(head -n "$line" g/boot.report | grep '^batch ' | tail -1 | cut -d' ' -f2)
[ -n "$line" ] && [ -n "$batch" ] || fail "boot.scn no longer sets LinkQuality 50"
sed "${line}s/LinkQuality = 50}/LinkQuality = 51}/" g/boot.report >g/bad.report
expect_rc 1 "$kevrr" replay --profile v963 --expect g/bad.report boot.kev
has_line out.txt "boot.kev: diverged at batch $batch (line $line) from g/bad.report"
has_line out.txt "  expected: ${lq/50/51}"
has_line out.txt "  actual:   $lq"
has_line out.txt "  key: State:/Network/Interface/en0/LinkQuality"
has_line out.txt "--- g/bad.report"
has_line out.txt "+++ boot.kev (replayed, v963)"
has_line out.txt "-${lq/50/51}"
has_line out.txt "+$lq"
grep -Eq "^@@ -$((line - 3)),[0-9]+ \+$((line - 3)),[0-9]+ @@$" out.txt ||
    fail "no hunk header starting 3 lines before line $line: $(grep '^@@' out.txt)"
# The diff is a real one: patch turns the golden into the report.
sed -n '/^--- /,$p' out.txt >fix.diff
cp g/bad.report fixed.report
if command -v patch >/dev/null 2>&1; then
    patch -s fixed.report fix.diff >/dev/null 2>&1 || fail "patch does not apply the diff"
    cmp -s fixed.report replay.v963.txt || fail "the patched golden is not the report"
fi

# A line missing from the golden, and a golden cut short.
sed "${line}d" g/boot.report >g/short.report
expect_rc 1 "$kevrr" replay --profile v963 --expect g/short.report boot.kev
has_line out.txt "+$lq"
head -n 20 g/boot.report >g/cut.report
expect_rc 1 "$kevrr" replay --profile v963 --expect g/cut.report boot.kev
has_text out.txt "(line 21)"
has_line out.txt "  expected: (end of report)"
cat g/boot.report >g/long.report
echo "extra" >>g/long.report
expect_rc 1 "$kevrr" replay --profile v963 --expect g/long.report boot.kev
has_line out.txt "  actual:   (end of report)"
has_line out.txt "-extra"

# JUnit: one failing case, well-formed, the diff escaped inside.
expect_rc 1 "$kevrr" replay --profile v963 --expect g/bad.report --junit j.xml boot.kev
python3 - j.xml "$batch" <<'EOF' || fail "j.xml: not the expected JUnit"
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
cases = doc.getElementsByTagName("testcase")
fails = doc.getElementsByTagName("failure")
suite = doc.getElementsByTagName("testsuite")[0]
assert doc.documentElement.getAttribute("name") == "kevrr replay"
assert suite.getAttribute("name") == "v963", suite.getAttribute("name")
assert suite.getAttribute("failures") == "1" and suite.getAttribute("tests") == "1"
assert len(cases) == 1 and len(fails) == 1, (len(cases), len(fails))
assert cases[0].getAttribute("name") == "boot.kev"
assert cases[0].getAttribute("classname") == "v963"
msg = fails[0].getAttribute("message")
assert msg.startswith("diverged at batch %s " % sys.argv[2]), msg
text = fails[0].firstChild.data
assert "--- g/bad.report" in text and '+  set State:/Network/Interface/en0/LinkQuality' in text
assert 'ifname="en0"' in text
EOF

# --expect-dir: two traces, NAME.PROFILE.report each.
expect_rc 0 "$kevrr" replay --profile v963 --expect-dir gd --update boot.kev mix.kev
has_line out.txt "updated gd/boot.v963.report"
has_line out.txt "updated gd/mix.v963.report"
cmp -s gd/mix.v963.report replay.mix.v963.txt || fail "gd/mix.v963.report is not the report"
expect_rc 0 "$kevrr" replay --profile v963 --expect-dir gd boot.kev mix.kev
has_line out.txt "boot.kev: matches gd/boot.v963.report"
has_line out.txt "mix.kev: matches gd/mix.v963.report"
expect_rc 3 "$kevrr" replay --profile v888 --expect-dir gd boot.kev
has_text err.txt "gd/boot.v888.report: no such golden"
cp g/bad.report gd/boot.v963.report
expect_rc 1 "$kevrr" replay --profile v963 --expect-dir gd/ --junit j2.xml boot.kev mix.kev
has_text out.txt "boot.kev: diverged at batch $batch"
has_line out.txt "mix.kev: matches gd/mix.v963.report"
python3 - j2.xml <<'EOF' || fail "j2.xml: not two cases with one failure"
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
assert len(doc.getElementsByTagName("testcase")) == 2
assert len(doc.getElementsByTagName("failure")) == 1
assert len(doc.getElementsByTagName("error")) == 0
EOF
mkdir sub && cp boot.kev sub/boot.kev
expect_rc 2 "$kevrr" replay --expect-dir gd boot.kev sub/boot.kev
has_text err.txt "would share the golden"

# ---- several profiles, golden names, JUnit per profile ----------------------

# Golden names keep every part that tells traces apart: capture's rotation.
cp boot.kev cap.0.kev
cp mix.kev cap.1.kev
expect_rc 0 "$kevrr" replay --profile all --expect-dir gp --update cap.0.kev cap.1.kev
for p in $(profiles "$src"); do
    cmp -s "gp/cap.0.$p.report" <("$kevrr" replay --profile "$p" boot.kev) ||
        fail "gp/cap.0.$p.report is not boot.kev's report"
    cmp -s "gp/cap.1.$p.report" <("$kevrr" replay --profile "$p" mix.kev) ||
        fail "gp/cap.1.$p.report is not mix.kev's report"
done
# Other extensions: a trace through Wireshark and gzip, a scenario for run.
gzip -dc boot.kev | gzip -9 >boot2.pcapng.gz
expect_rc 0 "$kevrr" replay --profile v963 --expect-dir gd boot2.pcapng.gz --update
has_line out.txt "updated gd/boot2.v963.report"
"$kevrr" replay --profile v963 --expect-dir gs --update boot.kev >/dev/null
expect_rc 0 "$kevrr" run --profile v963 --expect-dir gs "$scn"
has_line out.txt "$scn: matches gs/boot.v963.report"
# Each profile in turn, one report each, as the single-profile runs.
expect_rc 0 "$kevrr" replay --profile v888,v963 boot.kev
cat <("$kevrr" replay --profile v888 boot.kev) <("$kevrr" replay --profile v963 boot.kev) |
    cmp -s - out.txt || fail "--profile v888,v963 is not the two reports in order"
expect_rc 2 "$kevrr" replay --profile all --expect g/boot.report boot.kev
has_text err.txt "--expect is one golden, for one profile; use --expect-dir DIR for several"
expect_rc 2 "$kevrr" replay --profile v963,v999 boot.kev
has_text err.txt "unknown profile 'v999'"
# JUnit: a suite per profile, named by it; a defect failure names the defects.
printf 'attach en0\nraw 00000000\nlink on en0\n' >dj.scn
"$kevrr" gen dj.scn -o dj.kev
sed -i 's/LinkQuality = 50}/LinkQuality = 51}/' gp/cap.0.v888.report
expect_rc 1 "$kevrr" replay --profile all --fail-on-defect --expect-dir gp --junit jp.xml cap.0.kev cap.1.kev
"$kevrr" replay --profile all --fail-on-defect --junit jd.xml dj.kev >/dev/null 2>&1
python3 - jp.xml jd.xml $(profiles "$src") <<'EOF' || fail "jp.xml, jd.xml: not a suite per profile"
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
suites = doc.getElementsByTagName("testsuite")
assert [s.getAttribute("name") for s in suites] == sys.argv[3:], suites
for s in suites:
    cases = s.getElementsByTagName("testcase")
    assert [c.getAttribute("name") for c in cases] == ["cap.0.kev", "cap.1.kev"]
    assert all(c.getAttribute("classname") == s.getAttribute("name") for c in cases)
v888 = suites[1].getElementsByTagName("failure")
assert len(v888) == 2, len(v888)  # the divergence, and cap.1's defects
assert v888[0].getAttribute("message").startswith("diverged at batch "), v888[0].getAttribute("message")
doc = xml.dom.minidom.parse(sys.argv[2])
fails = {s.getAttribute("name"): s.getElementsByTagName("failure") for s in doc.getElementsByTagName("testsuite")}
assert len(fails["hardened"]) == 0
msg = fails["v963"][0].getAttribute("message")
assert msg == "2 defects reported: D3 header-past-data at batch 1 event 0, D1 size-zero at batch 1 event 0", msg
EOF

# ---- ranges and steps -----------------------------------------------------

expect_rc 0 "$kevrr" replay boot.kev --until 3
tops out.txt | grep '^batch' | cut -d' ' -f1,2 >b.txt
printf 'batch 0\nbatch 1\nbatch 2\n' | cmp -s - b.txt || fail "--until 3: batches $(tr '\n' ' ' <b.txt)"
has_text out.txt "stats batches=3 "
expect_rc 0 "$kevrr" replay boot.kev --from 3 --until 5
cp out.txt from.txt
tops from.txt | grep -E '^(prime|batch|tick|error)' | cut -d' ' -f1,2 >b.txt
printf 'batch 3\nbatch 4\n' | cmp -s - b.txt || fail "--from 3 --until 5: $(tr '\n' ' ' <b.txt)"
has_line from.txt "kevrr-report 1"
has_line from.txt "snapshot interfaces=1"
has_text from.txt "stats batches=5 "
# Batches before --from are fed: the final state is the full replay's.
"$kevrr" replay boot.kev --until 5 >until5.txt
sed -n '/^final /,$p' from.txt >a.txt
sed -n '/^final /,$p' until5.txt >b.txt
cmp -s a.txt b.txt || fail "--from 3 --until 5 ends in another state than --until 5"
# Times: absolute and relative to the first batch.
"$kevrr" replay boot.kev --until +2s | tops /dev/stdin | grep -c '^batch ' >n.txt
[ "$(cat n.txt)" = 6 ] || fail "--until +2s replayed $(cat n.txt) batches, expected 6"
"$kevrr" replay boot.kev --until 1700000002.007 | tops /dev/stdin | grep -c '^batch ' >n.txt
[ "$(cat n.txt)" = 7 ] || fail "--until 1700000002.007 replayed $(cat n.txt) batches, expected 7"
"$kevrr" replay boot.kev --from +130s | tops /dev/stdin | grep '^batch ' | head -1 >n.txt
grep -q '^batch 10 t=1700000132.010000000 ' n.txt || fail "--from +130s starts at: $(cat n.txt)"
# --step: one listing per batch, the last one the final store.
expect_rc 0 "$kevrr" replay boot.kev --step --until 4
[ "$(grep -c '^state after batch ' out.txt)" = 4 ] || fail "--step --until 4: not 4 listings"
has_text out.txt "state after batch 3 keys="
awk '/^state after batch 3 /{on=1; next} on && /^[^ ]/{on=0} on' out.txt >a.txt
awk '/^store keys=/{on=1; next} on && /^[^ ]/{on=0} on' out.txt >b.txt
[ -s a.txt ] && cmp -s a.txt b.txt || fail "the last --step listing is not the final store"
expect_rc 0 "$kevrr" replay mix.kev --step --profile v963
has_text out.txt "state after error 2 keys="
expect_rc 2 "$kevrr" replay boot.kev --until soon
expect_rc 2 "$kevrr" replay boot.kev --from 1.2.3

# ---- JSON lines -----------------------------------------------------------

for f in boot mix; do
    "$kevrr" replay --profile v963 --step --format json $f.kev >$f.json
    "$kevrr" replay --profile v963 --step $f.kev >$f.step.txt
    python3 - $f.json $f.step.txt <<'EOF' || fail "$f.json: not the report as JSON lines"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
text = open(sys.argv[2], encoding="utf-8").read().split("\n")[:-1]
assert [r["text"] for r in rows] == text, "the texts differ from the report"
assert [r["line"] for r in rows] == list(range(1, len(text) + 1))
assert all(list(r) == ["trace", "line", "batch", "kind", "key", "text"] for r in rows)
assert all(r["kind"] != "other" for r in rows), [r for r in rows if r["kind"] == "other"]
for r in rows:
    if r["kind"] in ("set", "set-direct", "remove", "notify", "store-entry"):
        assert r["key"] and r["key"] in r["text"], r
    if r["text"].startswith("batch "):
        assert r["batch"] == int(r["text"].split()[1]), r
kinds = {r["kind"] for r in rows}
assert {"header", "batch", "set", "commit", "state", "store-entry", "stats"} <= kinds, kinds
EOF
done

# ---- exit codes -----------------------------------------------------------

printf 'attach en0\nraw 00000000\nlink on en0\n' >d1.scn
"$kevrr" gen d1.scn -o d1.kev
expect_rc 4 "$kevrr" replay --profile v963 --fail-on-defect d1.kev
has_text out.txt "  defect D1 size-zero "
has_line err.txt "kevrr replay: d1.kev: 2 defects reported: D3 header-past-data at batch 1 event 0, D1 size-zero at batch 1 event 0 (--fail-on-defect)"
expect_rc 0 "$kevrr" replay --profile v963 d1.kev
expect_rc 0 "$kevrr" replay --profile hardened --fail-on-defect d1.kev
# The worst code wins: a divergence (1) over a defect (4).
"$kevrr" replay --profile v963 --expect-dir gd3 --update d1.kev >/dev/null
"$kevrr" replay --profile v963 --expect-dir gd3 --update boot.kev >/dev/null
sed -i 's/LinkQuality = 50}/LinkQuality = 51}/' gd3/boot.v963.report
expect_rc 1 "$kevrr" replay --profile v963 --fail-on-defect --expect-dir gd3 d1.kev boot.kev

# A trace of several members, damaged and torn.
{
    echo "attach en0"
    for i in $(seq 1 5000); do echo "lqm en0 $((i % 100))"; done
} >big.scn
"$kevrr" gen big.scn -o big.kev
off=0
total=$(wc -c <big.kev)
: >members.txt
while [ "$off" -lt "$total" ]; do
    size=$(($(od -An -tu2 -j $((off + 16)) -N2 big.kev) + 1))
    echo "$off $size" >>members.txt
    off=$((off + size))
done
read -r m1 m1size < <(sed -n 2p members.txt)
read -r m2 _ < <(sed -n 3p members.txt)
cp big.kev flip.kev
printf '\x55' | dd of=flip.kev bs=1 seek=$((m1 + m1size / 2)) conv=notrunc status=none
expect_rc 3 "$kevrr" replay flip.kev
has_text err.txt "kevrr replay: flip.kev: bad CRC: member 1 at offset $m1: CRC32 "
has_text err.txt "(the report stops there)"
has_line out.txt "end"
expect_rc 3 "$kevrr" replay --expect-dir gd --update flip.kev
[ ! -e gd/flip.hardened.report ] && [ ! -e gd/flip.hardened.report.tmp ] ||
    fail "--update of a damaged trace left a golden"
expect_rc 3 "$kevrr" replay --junit j3.xml flip.kev boot.kev
python3 - j3.xml <<'EOF' || fail "j3.xml: not one error and one pass"
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
errs = doc.getElementsByTagName("error")
assert len(errs) == 1 and "bad CRC" in errs[0].getAttribute("message")
assert len(doc.getElementsByTagName("testcase")) == 2
EOF
expect_rc 0 "$kevrr" replay --salvage flip.kev
has_text err.txt "lost to damage"
has_text err.txt "salvage: 1 member(s) skipped"
head -c $((m2 + 100)) big.kev >torn.kev
expect_rc 0 "$kevrr" replay torn.kev
has_text err.txt "kevrr replay: torn.kev: torn member: member 2 at offset $m2"
expect_rc 3 "$kevrr" replay missing.kev
has_line err.txt "kevrr replay: cannot open missing.kev: No such file or directory"
printf 'not a trace at all' >junk.kev
expect_rc 3 "$kevrr" replay junk.kev
has_text err.txt "kevrr replay: junk.kev: "

# A snapshot that does not load: the trace re-blocked as BGZF without the
# KV subfield (readable, docs/trace-format.md) with one word changed.
gzip -dc mix.kev | sed 's/media active lqm 50/media acTive lqm 50/' >bad.pcapng
python3 - bad.pcapng badsnap.kev <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as f:
    for i in range(0, len(data) + 1, 60000):
        chunk = data[i:i + 60000]
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = c.compress(chunk) + c.flush()
        head = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00"
        f.write(head + struct.pack("<H", len(head) + 2 + len(body) + 8 - 1) + body +
                struct.pack("<II", zlib.crc32(chunk), len(chunk)))
    f.write(bytes.fromhex("1f8b0804000000000000ff0600424302001b0003000000000000000000"))
EOF
expect_rc 3 "$kevrr" replay badsnap.kev
has_text err.txt "kevrr replay: badsnap.kev: snapshot: line 1: "

# Usage.
expect_rc 2 "$kevrr" replay
expect_rc 2 "$kevrr" replay --bogus boot.kev
expect_rc 2 "$kevrr" replay --profile v999 boot.kev
expect_rc 2 "$kevrr" replay --format xml boot.kev
expect_rc 2 "$kevrr" replay --recv-buffer 10 boot.kev
expect_rc 2 "$kevrr" replay --update boot.kev
expect_rc 2 "$kevrr" replay --expect g/boot.report boot.kev mix.kev
expect_rc 2 "$kevrr" replay --expect g/boot.report --report - boot.kev
expect_rc 0 "$kevrr" replay --help
has_text out.txt "usage: kevrr replay"

# ---- a truncated capture --------------------------------------------------

# 1,500 KEV_DL_LINK_ON events of 48 bytes: 72,000 bytes, which import cuts
# to 65,536 (origlen kept).
python3 -c '
import struct, sys
ev = struct.pack("<IIIIII", 48, 1, 1, 2, 1, 12) + b"en\0\0" + bytes(20)
sys.stdout.buffer.write(ev * 1500)' >big.bin
"$kevrr" import -o cut.kev big.bin 2>/dev/null
expect_rc 0 "$kevrr" replay --profile v963 cut.kev
grep -A1 '^batch 0 ' out.txt | tail -1 >n.txt
has_line n.txt "  capture truncated caplen=65536 origlen=72000 fed=65536"
has_text out.txt "defect D8 record-truncated"

# ---- the profiles come from the core's table ------------------------------

expect_rc 0 "$kevrr" replay --help
has_text out.txt "--profile P|LIST|all  the core's profile: hardened, v888, v963 or v1405"
expect_rc 0 "$kevrr" help run
has_text out.txt "1024 for v888, v963 or v1405)"
expect_rc 2 "$kevrr" replay --profile v2000 boot.kev
has_text err.txt "unknown profile 'v2000': hardened, v888, v963 or v1405"

# ---- a stop rolls back its step's messages --------------------------------

# The reproduction of issue 14: a tick stops (D9) after logging
# "update 1 (of 20) en0"; the next batch must not post that message.
cat >stop.scn <<'EOF'
at 1700000000.000000000
raw 3000000001000000010000000200000001000000090000000000000000000000656e00000000000000000000000000003000000001000000010000000200000002000000090000000000000000000000656ee900000000000000000000000000
at 1700000006.500000000
raw 30000000010000000100000002000000030000000d0000000000000000000000656e0000000000000000000000000000
EOF
expect_rc 0 "$kevrr" gen stop.scn -o stop.kev
for p in v963 v1405; do
    "$kevrr" replay --profile "$p" stop.kev >stop.$p.txt
    has_line stop.$p.txt "  stopped: queued store changes discarded"
    has_line stop.$p.txt "  State:/Network/Interface/en0/Link = {Active = true}"
    ! grep -q "KernelEventMonitor" stop.$p.txt || fail "a stopped tick's message was posted ($p)"
done

# ---- the progress bar -----------------------------------------------------

if command -v script >/dev/null 2>&1; then
    script -qc "'$kevrr' replay -o r.txt big.kev" /dev/null >bar.txt 2>&1 </dev/null
    grep -q "big.kev \[#*" bar.txt && grep -q "batches" bar.txt ||
        fail "no progress bar on a terminal: $(head -c 200 bar.txt)"
    script -qc "'$kevrr' replay -q -o r.txt big.kev" /dev/null >bar.txt 2>&1 </dev/null
    ! grep -q "batches" bar.txt || fail "a progress bar with --quiet"
fi
"$kevrr" replay -o /dev/null big.kev 2>bar.txt
[ ! -s bar.txt ] || fail "a progress bar when stderr is not a terminal"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "PASS: kevrr replay"
