#!/usr/bin/env bash
# test_wireshark.sh: runs the Wireshark dissector (contrib/wireshark/kevrr.lua)
# under tshark on a pcapng file with one packet per row of the event table
# plus special batches (tests/cli/mkpcapng.c), and checks the info column of
# every frame, decoded fields, filter names, expert infos and the i386
# preference.
#
# Usage: test_wireshark.sh SOURCE_DIR MKPCAPNG
# Exits 0 on success, 1 on a failed check, 77 (skip) without tshark or
# without Lua support in it.
set -u

src=${1:?usage: test_wireshark.sh SOURCE_DIR MKPCAPNG}
mk=${2:?usage: test_wireshark.sh SOURCE_DIR MKPCAPNG}
lua=$src/contrib/wireshark/kevrr.lua

if ! command -v tshark >/dev/null 2>&1; then
    echo "SKIP: tshark is not installed (apt-get install tshark)"
    exit 77
fi
if ! tshark -v 2>/dev/null | grep -Eq 'with Lua|Lua [0-9]'; then
    echo "SKIP: this tshark has no Lua support"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pcap=$tmp/kevrr.pcapng
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# tshark with the dissector loaded, in UTC, with an empty home (so that a
# copy installed as a personal plugin, or personal preferences, cannot
# interfere); stderr kept for Lua errors.
ts() {
    HOME=$tmp TZ=UTC tshark -r "$pcap" -X lua_script:"$lua" "$@" 2>>"$tmp/stderr"
}

"$mk" "$pcap" "$tmp/expected-configd.txt" >"$tmp/expected-info.txt" ||
    { echo "FAIL: $mk did not run"; exit 1; }
frames=$(wc -l <"$tmp/expected-info.txt")

# (1) Frame count, and the info column of every frame.
count=$(ts -T fields -e frame.number | wc -l)
[ "$count" -eq "$frames" ] || fail "tshark shows $count frames, the file has $frames"
ts -T fields -e frame.number -e _ws.col.Info >"$tmp/info.txt"
if ! diff -u "$tmp/expected-info.txt" "$tmp/info.txt"; then
    fail "info column differs (expected -, tshark +)"
fi

# (1b) What each configd version runs for each row of the event table
# (kevrr.configd, from the table's handler columns).
ts -T fields -e frame.number -e kevrr.configd >"$tmp/configd.txt"
# The frames of the table rows, in their order, as tshark shows them.
awk -F'\t' 'NR == FNR { want[$1] = 1; next } ($1 in want)' \
    "$tmp/expected-configd.txt" "$tmp/configd.txt" >"$tmp/configd-rows.txt"
if ! diff -u "$tmp/expected-configd.txt" "$tmp/configd-rows.txt"; then
    fail "kevrr.configd differs from the event table (expected -, tshark +)"
fi

# (2) Decoded fields in the packet details.
ts -V >"$tmp/details.txt"
expect_line() {
    grep -Fq -- "$1" "$tmp/details.txt" || fail "no line with: $1"
}
expect_line "vendor_code: KEV_VENDOR_APPLE (1)"
expect_line "kev_class: KEV_NETWORK_CLASS (1)"
expect_line "kev_subclass: KEV_INET6_SUBCLASS (6)"
expect_line "event_code: KEV_DL_LINK_ON (13)"
expect_line "event_code: KEV_ND6_RTR_EXPIRED (9)"
expect_line "total_size: 62"
expect_line "if_name: en"
expect_line "[Interface (name and unit): en0]"
expect_line "ia_addr: 10.0.0.2"
expect_line "ia_netmask (host order): 255.0.0.0"
expect_line "ia_subnetmask (host order): 255.255.255.0"
expect_line "ia_netbroadcast: 10.255.255.255"
expect_line "ia_ipaddr: 10.0.0.2"
expect_line "hw_len: 6"
expect_line "hw_addr: 00:1b:63:84:45:e6"
expect_line "port (host order): 8080"
expect_line "req_pid: 4242"
expect_line "ia_addr (sockaddr_in6): fe80::1"
expect_line "sin6_family: 30"
expect_line "ia_prefixmask (sockaddr_in6): ffff:ffff:ffff:ffff::"
expect_line "ia_plen: 64"
expect_line "ia6_flags: 0x00000044 (DUPLICATED|AUTOCONF)"
expect_line ".1.. = DUPLICATED: True"
expect_line "(00:11:22:33:44:55)"
expect_line "proto_family: 2"
expect_line "proto_remaining_count: 1"
expect_line "link_quality_metric: POOR (50)"
expect_line "modid: 776966692d647269766572000000000000000000"
expect_line "timestamp: Nov 14, 2023 22:13:20.000000000 UTC (1700000000)"
expect_line "info: ab0000000000000000000000"
expect_line "rrc_state: 2"
expect_line "in6_address: fe80::1"
expect_line "val: 1800"
expect_line "[configd: ignored (v888, v963); interface_update_delegation (v1405)]"
expect_line "[configd: interface_update_ipv6 (v888); ignored (v963, v1405)]"
expect_line "Record 2 at offset 96: KEV_INET_NEW_ADDR (76 bytes)"
expect_line "ia_addr: 192.168.1.5"
expect_line "Payload: deadbeef"
expect_line "kev_subclass: 7"
expect_line 'if_name: e\001n'
expect_line "record 1 at offset 48: total_size 20 is below the 24-byte header"
expect_line "link_quality_metric missing: record ends at +24 (the field ends at +28)"
expect_line "kevrr: recv() failed: EBADF (errno 9) (no data)"
if grep -q "Lua Error" "$tmp/details.txt"; then
    grep "Lua Error" "$tmp/details.txt" | head -5
    fail "the dissector raised Lua errors"
fi

# (3) Filter names: how many frames each filter selects.
expect_count() {
    local n
    n=$(ts -Y "$1" -T fields -e frame.number | wc -l)
    [ "$n" -eq "$2" ] || fail "filter '$1' selects $n frames, expected $2"
}
expect_count 'kevrr' "$frames"
expect_count 'kevrr.hdr.total_size == 62' 1
expect_count 'kevrr.hdr.event_code == 13' 2
expect_count 'kevrr.dl.event_code == 13' 2
expect_count 'kevrr.event == "KEV_INET6_DEFROUTER"' 1
expect_count 'kevrr.configd contains "interface_update_delegation (v1405)"' 1
expect_count 'kevrr.inet.ia_addr == 10.0.0.2' 6
expect_count 'kevrr.inet.ia_subnetmask == 255.255.255.0' 7
expect_count 'kevrr.inet6.ia_addr == fe80::1' 7
expect_count 'kevrr.inet6.flags == 0x44' 7
expect_count 'kevrr.inet6.flags.duplicated == 1' 7
expect_count 'kevrr.inet6.ia_mac == 00:11:22:33:44:55' 7
# All but PORTINUSE, the 15 rows without a payload layout, the failed
# recv(), the unknown codes and the name with a control byte.
expect_count 'kevrr.dl.if_name == "en"' $((frames - 19))
expect_count 'kevrr.ifname == "en1"' 1
expect_count 'kevrr.lqm == 50' 1
expect_count 'kevrr.issues.timestamp == "Nov 14, 2023 22:13:20"' 1
expect_count 'kevrr.nd6.in6_address == fe80::1' 10
expect_count 'kevrr.malformed' 1
expect_count 'kevrr.short' 1
expect_count 'kevrr.recv_failed' 1
expect_count 'frame.len == 0' 1

# (4) The i386 preference moves the timestamp of KEV_DL_ISSUES to +44.
ts -o kevrr.ilp32:TRUE -V -Y 'kevrr.event == "KEV_DL_ISSUES"' >"$tmp/ilp32.txt"
grep -Fq "info: 00000000ab00000000000000" "$tmp/ilp32.txt" &&
    grep -Fq "Trailing bytes: 0000000000000000" "$tmp/ilp32.txt" ||
    fail "kevrr.ilp32 did not switch KEV_DL_ISSUES to the i386 layout"

if grep -Ei "lua.*(error|fail)" "$tmp/stderr"; then
    fail "tshark reported Lua errors on stderr"
fi
if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "PASS: $frames frames decoded as expected"
