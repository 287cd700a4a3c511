#!/usr/bin/env bash
# test_pf_system.sh: the live smoke test of Darwin's kernel event socket
# (docs/capture.md): `kevrr capture -i pf_system` records the real kernel
# while an address alias is added to lo0 and removed again; the capture must
# hold the matching KEV_INET_NEW_ADDR and KEV_INET_ADDR_DELETED records
# (lo0, that address), and its replay through the hardened core must show
# the key State:/Network/Interface/lo0/IPv4 gaining the address and then
# losing it.
#
# It needs macOS (PF_SYSTEM) and sudo without a password (ifconfig), as
# GitHub's hosted macOS runners have (.github/workflows/ci.yml, job macos).
# Anywhere else it exits 77, which CTest shows as skipped.
#
# Usage: test_pf_system.sh KEVRR
set -u
kevrr=${1:?usage: test_pf_system.sh KEVRR}
kevrr=$(cd "$(dirname "$kevrr")" && pwd)/$(basename "$kevrr")

if [ "$(uname -s)" != Darwin ]; then
    echo "skipped: no PF_SYSTEM on $(uname -s): this live test of Darwin's kernel event socket runs on macOS (CI's macOS job)"
    exit 77
fi
if ! sudo -n true 2>/dev/null; then
    echo "skipped: adding an address to lo0 needs sudo without a password"
    exit 77
fi

. "$(dirname "$0")/lib.sh"

# An address no one else uses, in 127/8 (lo0 answers for it once added).
addr=127.77.$((RANDOM % 200 + 20)).$((RANDOM % 200 + 20))
cleanup_alias() { sudo -n ifconfig lo0 -alias "$addr" 2>/dev/null || true; }

# capture_start [sudo]: kevrr capture in the background; waits until its
# file exists (the socket is open and filtering by then).
pid=""
capture_start() {
    rm -f cap.kev
    "$@" "$kevrr" capture -i pf_system -w cap.kev -q 2>capture.err &
    pid=$!
    for _ in $(seq 1 100); do
        [ -s cap.kev ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
as=()
if ! capture_start; then
    # Some systems keep the kernel event socket to root.
    wait "$pid" 2>/dev/null
    as=(sudo -n)
    capture_start "${as[@]}" || { cat capture.err; echo "FAIL: kevrr capture -i pf_system did not start"; exit 1; }
fi
sleep 1
sudo -n ifconfig lo0 alias "$addr" netmask 255.255.255.255 up || fail "ifconfig lo0 alias $addr"
sleep 1
sudo -n ifconfig lo0 -alias "$addr" || { fail "ifconfig lo0 -alias $addr"; cleanup_alias; }
# The recorder flushes at least once a second.
sleep 2
${as[@]+"${as[@]}"} kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] || { fail "kevrr capture exited $rc"; cat capture.err; }
${as[@]+"${as[@]}"} chmod a+r cap.kev 2>/dev/null

expect_rc 0 "$kevrr" verify cap.kev
"$kevrr" dump --json cap.kev >dump.json 2>dump.err || fail "kevrr dump: $(cat dump.err)"
# The records of lo0 with the alias, in the order they came: NEW, DELETED.
python3 - "$addr" dump.json >events.txt <<'PY' || fail "no dump to read"
import json, sys
addr = sys.argv[1]
for line in open(sys.argv[2]):
    b = json.loads(line)
    for r in b.get("records", []):
        f = {x["name"]: x.get("value") for x in r.get("fields", [])}
        if f.get("if_name") == "lo" and f.get("if_unit") == 0 and f.get("ia_addr") == addr:
            print(r.get("event"))
PY
grep -qx KEV_INET_NEW_ADDR events.txt || { fail "no KEV_INET_NEW_ADDR for lo0 $addr"; cat events.txt; }
grep -qx KEV_INET_ADDR_DELETED events.txt || { fail "no KEV_INET_ADDR_DELETED for lo0 $addr"; cat events.txt; }
[ "$(grep -m1 -n KEV_INET_NEW_ADDR events.txt | cut -d: -f1)" -lt \
    "$(grep -m1 -n KEV_INET_ADDR_DELETED events.txt | cut -d: -f1)" ] ||
    fail "KEV_INET_ADDR_DELETED came before KEV_INET_NEW_ADDR"

# The replay: after the NEW_ADDR event the IPv4 key of lo0 lists the
# address; after the DELETED event it is set without it, or removed.
"$kevrr" replay cap.kev >report.txt 2>replay.err || fail "kevrr replay: $(cat replay.err)"
awk -v a="\"$addr\"" '
    /^  event .* KEV_INET_NEW_ADDR$/ { ev = "new"; next }
    /^  event .* KEV_INET_ADDR_DELETED$/ { ev = "del"; next }
    /^  event / { ev = ""; next }
    ev == "new" && /^  set State:\/Network\/Interface\/lo0\/IPv4 = / && index($0, a) { added = 1 }
    ev == "del" && added && /^  (set|remove) State:\/Network\/Interface\/lo0\/IPv4( |$)/ && !index($0, a) { gone = 1 }
    END { exit !(added && gone) }' report.txt ||
    { fail "the replay does not show lo0's IPv4 key gaining and losing $addr"; grep -n 'lo0' report.txt | head -20; }

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "ok: pf_system recorded lo0 gaining and losing $addr; the replay shows the key"
