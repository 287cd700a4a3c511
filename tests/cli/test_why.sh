#!/usr/bin/env bash
# test_why.sh: kevrr why end to end on the stale-key scenarios of the
# corpus (docs/field-bugs.md): the history of utun3/IPv4 under v963 (the
# write committed, the recv() error, the batches not processed, the drift
# and the event the store missed), the D1 telling (the write discarded by
# the stopped batch), hardened (no drift), ticks and prime, JSON lines, -o,
# and the usage errors (an unknown key family among them).
#
# Usage: test_why.sh SOURCE_DIR KEVRR
set -u

src=${1:?usage: test_why.sh SOURCE_DIR KEVRR}
kevrr=${2:?usage: test_why.sh SOURCE_DIR KEVRR}
scn=$src/corpus/scenarios
. "$(dirname "$0")/lib.sh"
cp "$scn/vpn-reconnect-recv-error.kev" recv.kev
cp "$scn/vpn-reconnect-d1-stop.kev" d1.kev

# ---- the recv() error: D12, then the batches not processed -----------------
expect_rc 0 "$kevrr" why utun3/IPv4 recv.kev --profile v963
cat >want.txt <<'WANT'
why State:/Network/Interface/utun3/IPv4 in recv.kev (profile v963)
batch 1 t=1700000000.001000000 event 0 off=0 KEV_INET_NEW_ADDR utun3, handler ipv4_interface_update: set {Addresses = ["10.8.0.2"]; DestAddresses = ["10.8.0.1"]}: committed
error 14 t=1700001800.014000000: recv() failed (EAGAIN): monitoring stopped for good (D12)
batch 15 t=1700001800.015000000: not processed (monitoring stopped): event 0 off=0 KEV_INET_ADDR_DELETED
batch 16 t=1700001800.016000000: not processed (monitoring stopped): event 0 off=0 KEV_INET_NEW_ADDR
not processed after monitoring stopped: 3 batch(es), 15..17; 2 with events for utun3 (shown above)
store at the end: {Addresses = ["10.8.0.2"]; DestAddresses = ["10.8.0.1"]}
kernel at the end: {Addresses = ["10.8.0.6"]; DestAddresses = ["10.8.0.5"]}
drift since batch 15: address-gone (the store lists 10.8.0.2, the kernel does not have it)
the store missed: batch 15: event 0 off=0 KEV_INET_ADDR_DELETED (not processed: monitoring stopped)
WANT
cmp -s out.txt want.txt || { fail "why utun3/IPv4 recv.kev (v963)"; diff want.txt out.txt; }

# ---- the D1 stop: the queued write discarded --------------------------------
expect_rc 0 "$kevrr" why State:/Network/Interface/utun3/IPv4 d1.kev --profile v888
has_line out.txt 'batch 14 t=1700001800.014000000 event 0 off=0 KEV_INET_ADDR_DELETED utun3, handler ipv4_interface_update: set {Addresses = ["10.8.0.6"]; DestAddresses = ["10.8.0.5"]}: discarded (the batch stopped: D1 size-zero)'
has_line out.txt 'drift since batch 14: address-gone (the store lists 10.8.0.2, the kernel does not have it)'
has_line out.txt 'the store missed: batch 14: event 0 off=0 KEV_INET_ADDR_DELETED; event 1 off=76 KEV_INET_NEW_ADDR (its writes were discarded: the batch stopped: D1 size-zero)'

# ---- hardened follows: committed, no drift (and the default profile) --------
expect_rc 0 "$kevrr" why utun3/IPv4 d1.kev
has_line out.txt 'why State:/Network/Interface/utun3/IPv4 in d1.kev (profile hardened)'
has_line out.txt 'batch 14 t=1700001800.014000000 event 0 off=0 KEV_INET_ADDR_DELETED utun3, handler ipv4_interface_update: set {Addresses = ["10.8.0.6"]; DestAddresses = ["10.8.0.5"]}: committed'
has_line out.txt 'no drift: the store agrees with the kernel'

# ---- ticks, prime, the list, a key backed by nothing ------------------------
expect_rc 0 "$kevrr" why utun3/Link recv.kev --profile v963
has_line out.txt 'tick 20 (before batch 2): remove: committed'
has_line out.txt 'kernel at the end: (nothing)'
expect_rc 0 "$kevrr" why interfaces recv.kev
has_line out.txt 'prime: set {Interfaces = ["lo0", "en0"]}: committed'
has_line out.txt 'batch 0 t=1700000000.000000000 event 0 off=0 KEV_DL_IF_ATTACHED utun3, handler link_add: set {Interfaces = ["lo0", "en0", "utun3"]}: committed'
expect_rc 0 "$kevrr" why Plugin:KernelEventMonitor recv.kev
has_line out.txt 'kernel at the end: (not backed by the kernel)'
has_line out.txt 'no drift: the kernel backs nothing in this key'

# ---- JSON lines ---------------------------------------------------------------
expect_rc 0 "$kevrr" why utun3/IPv4 recv.kev --profile v963 --format json -o why.json
[ ! -s out.txt ] || fail "why -o wrote to stdout"
[ "$(wc -l <why.json)" -eq 7 ] || { fail "why.json has $(wc -l <why.json) lines, expected 7"; cat why.json; }
has_line why.json '{"kind":"key","key":"State:/Network/Interface/utun3/IPv4","trace":"recv.kev","profile":"v963"}'
has_line why.json '{"kind":"write","record":1,"t":"1700000000.001000000","op":"set","during":"event","event":0,"offset":0,"code":"KEV_INET_NEW_ADDR","ifname":"utun3","handler":"ipv4_interface_update","value":"{Addresses = [\"10.8.0.2\"]; DestAddresses = [\"10.8.0.1\"]}","outcome":"committed"}'
has_line why.json '{"kind":"end","store":"{Addresses = [\"10.8.0.2\"]; DestAddresses = [\"10.8.0.1\"]}","kernel":"{Addresses = [\"10.8.0.6\"]; DestAddresses = [\"10.8.0.5\"]}","backed":true,"drift":true,"reason":"address-gone","detail":"the store lists 10.8.0.2, the kernel does not have it","since":15,"missed_how":"not processed: monitoring stopped","events":[{"event":0,"offset":0,"code":"KEV_INET_ADDR_DELETED"}],"more_events":0}'
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' why.json || fail "why.json does not parse"
fi

# ---- replay --drift-each in JSON lines: the drift lines are classified ------
expect_rc 0 "$kevrr" replay --profile v963 --drift-each --format json recv.kev
has_line out.txt '{"trace":"recv.kev","line":180,"batch":15,"kind":"drift-change","key":"State:/Network/Interface/utun3/IPv4","text":"  drift State:/Network/Interface/utun3/IPv4 begins: address-gone (the store lists 10.8.0.2, the kernel has none)"}'
grep -q '"kind":"drift","key":null,"text":"drift keys=2"' out.txt || fail "no drift header in JSON"
grep -q '"kind":"drift-entry","key":"State:/Network/Interface/utun3/IPv4","text":"  State:/Network/Interface/utun3/IPv4 since batch 15: ' out.txt ||
    fail "no drift entry in JSON"
grep -q '"kind":"drift-store","key":null,"text":"    store: {Addresses' out.txt || fail "no drift-store line"
grep -q '"kind":"drift-kernel","key":null,"text":"    kernel: {Addresses' out.txt || fail "no drift-kernel line"
# Without --drift the report is the golden's.
expect_rc 0 "$kevrr" replay -q --profile v963 recv.kev --expect "$scn/vpn-reconnect-recv-error.v963.report"

# ---- a key only v1405 writes: the interface-delegation notification ------------
expect_rc 0 "$kevrr" why en0/InterfaceDelegation "$src/corpus/codes/dl-25-ifdelegate-changed.kev" --profile v1405
has_text out.txt "why State:/Network/Interface/en0/InterfaceDelegation in "
grep -q "KEV_DL_IFDELEGATE_CHANGED en0, handler interface_update_delegation: notify" out.txt ||
    { fail "why en0/InterfaceDelegation: no notify by interface_update_delegation"; cat out.txt; }

# ---- usage and input errors ----------------------------------------------------
expect_rc 2 "$kevrr" why utun3/IPV4 recv.kev
has_text err.txt "kevrr why: 'utun3/IPV4': unknown key family 'IPV4' (interfaces, Link, IPv4, IPv6, LinkQuality"
expect_rc 2 "$kevrr" why State:/Network/Global/IPv4 recv.kev
has_text err.txt "unknown key family 'State:/Network/Global/IPv4'"
# A known family spelled otherwise is not called unknown; a key of an
# interface's family with a MAC address in it is read as IF/ENTITY/...
for k in messages PortInUse en0/IPv4ARPCollision utun3/IPv4/extra; do
    expect_rc 2 "$kevrr" why "$k" recv.kev
    grep -q "unknown key family" err.txt && fail "why $k: a known family called unknown: $(cat err.txt)"
    has_text err.txt "kevrr why: '$k' is no key of family "
done
expect_rc 0 "$kevrr" why en0/IPv4ARPCollision/10.0.0.1/00:11:22:33:44:55 recv.kev
has_text out.txt "why State:/Network/Interface/en0/IPv4ARPCollision/10.0.0.1/00:11:22:33:44:55 in "
expect_rc 2 "$kevrr" why /IPv4 recv.kev
has_text err.txt "kevrr why: '/IPv4': no interface name before '/'"
expect_rc 2 "$kevrr" why recv.kev
expect_rc 2 "$kevrr" why utun3/IPv4 recv.kev --profile v999
expect_rc 2 "$kevrr" why utun3/IPv4 recv.kev -o recv.kev
cmp -s recv.kev "$scn/vpn-reconnect-recv-error.kev" || fail "why -o destroyed its input"
expect_rc 3 "$kevrr" why utun3/IPv4 missing.kev

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "test_why: all checks passed"
