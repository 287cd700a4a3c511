#!/usr/bin/env bash
# test_plot.sh: kevrr plot for diagnosis, on the stale-key scenarios of the
# corpus: the band from where monitoring stopped (also when it stopped
# before the window), drift marked on the interface's lane, marks at one
# instant stacked rather than drawn over each other, the --from/--to window
# (the batches before it replayed, not drawn), -o never an input, and a
# FIFO refused before anything blocks.
#
# Usage: test_plot.sh SOURCE_DIR KEVRR
set -u

src=${1:?usage: test_plot.sh SOURCE_DIR KEVRR}
kevrr=${2:?usage: test_plot.sh SOURCE_DIR KEVRR}
. "$(dirname "$0")/lib.sh"
cp "$src/corpus/scenarios/vpn-reconnect-recv-error.kev" recv.kev
cp "$src/corpus/scenarios/vpn-reconnect-d1-stop.kev" d1.kev

# ---- the band, drift on the lane ----------------------------------------------
expect_rc 0 "$kevrr" plot recv.kev -o recv.svg --profile v963
well_formed recv.svg
has_text recv.svg '<title>monitoring stopped at record 14: configd processes no batch after it (D12)</title></rect>'
has_text recv.svg '>monitoring stopped</text>'
has_text recv.svg '<title>record 15: drift begins: State:/Network/Interface/utun3/IPv4: address-gone (the store lists 10.8.0.2, the kernel has none)</title></path>'
has_text recv.svg 'Drift: 2 key(s) began drifting from the kernel. Monitoring stopped at record 14 (+1800.014 s).'
# The drift mark is on utun3's lane: its y lies within that lane's row.
row=$(grep -B1 '>utun3</text>' recv.svg | sed -n 's/.*class="row[01]" x="[0-9]*" y="\([0-9]*\)".*/\1/p')
mark=$(grep 'utun3/IPv4: address-gone' recv.svg | sed -n 's/.*d="M[0-9.]* \([0-9]*\)l5 9h-10z".*/\1/p')
if [ -z "$row" ] || [ -z "$mark" ] || [ "$mark" -lt "$row" ] || [ "$mark" -ge $((row + 24)) ]; then
    fail "the drift mark (y=$mark) is not on utun3's lane (y=$row..)"
fi
# en0's lane comes from the snapshot when replaying (no event names lo0).
has_text recv.svg '>lo0</text>'
# hardened follows: no band, no drift.
expect_rc 0 "$kevrr" plot recv.kev -o recv-h.svg --profile hardened
grep -q '<title>monitoring stopped at record' recv-h.svg &&
    fail "hardened: a monitoring-stopped band"
has_text recv-h.svg 'Drift: 0 key(s) began drifting from the kernel.'

# ---- marks at one instant are stacked ---------------------------------------------
# The D1 batch: an address deletion and addition on utun3 at one instant,
# two kinds of marks (hollow and filled IPv4): at two heights, not one.
expect_rc 0 "$kevrr" plot d1.kev -o d1.svg --profile v963
well_formed d1.svg
y1=$(grep 'KEV_INET_ADDR_DELETED' d1.svg | sed -n 's/.*cy="\([0-9]*\)".*/\1/p' | head -1)
y2=$(grep 'KEV_INET_NEW_ADDR (record 2 of the batch)' d1.svg | sed -n 's/.*cy="\([0-9]*\)".*/\1/p')
[ -n "$y1" ] && [ -n "$y2" ] && [ "$y1" != "$y2" ] ||
    fail "marks of one instant share a place (y=$y1 and y=$y2)"
x1=$(grep 'KEV_INET_ADDR_DELETED' d1.svg | sed -n 's/.*cx="\([0-9.]*\)".*/\1/p' | head -1)
x2=$(grep 'KEV_INET_NEW_ADDR (record 2 of the batch)' d1.svg | sed -n 's/.*cx="\([0-9.]*\)".*/\1/p')
[ "$x1" = "$x2" ] || fail "stacked marks moved in time ($x1, $x2)"

# ---- the window ----------------------------------------------------------------------
expect_rc 0 "$kevrr" plot recv.kev -o win.svg --profile v963 --from 15 --to 17
well_formed win.svg
has_text win.svg '2 records over '
has_text win.svg '; batches 15..16 of the trace; replayed with v963'
# Monitoring stopped before the window: the band starts with it.
has_text win.svg 'monitoring stopped at record 14'
has_text win.svg 'Monitoring stopped at record 14, before the window.'
grep -q 'KEV_INET_NEW_ADDR' win.svg || fail "the window lost batch 16"
grep -q '<title>record 17 at' win.svg && fail "the window drew batch 17"
grep -q '<title>record 14 at' win.svg && fail "the window drew batch 14"
expect_rc 0 "$kevrr" plot recv.kev -o tw.svg --from +1800s
has_text tw.svg '; batches 14..17 of the trace'
expect_rc 2 "$kevrr" plot recv.kev -o x.svg --from 5 --to 5
expect_rc 2 "$kevrr" plot recv.kev -o x.svg --from 10 --to +1s
has_text err.txt "is empty"

# ---- outputs and inputs ---------------------------------------------------------------
expect_rc 2 "$kevrr" plot recv.kev -o recv.kev
cmp -s recv.kev "$src/corpus/scenarios/vpn-reconnect-recv-error.kev" || fail "plot destroyed its input"
ln -s recv.kev link.kev
expect_rc 2 "$kevrr" plot recv.kev -o link.kev
mkfifo fifo.kev
expect_rc 2 timeout 10 "$kevrr" plot fifo.kev -o f.svg
has_text err.txt "fifo.kev is not a regular file (a FIFO or a device): plot reads the trace twice"
[ ! -e f.svg ] || fail "a refused plot left f.svg"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "test_plot: all checks passed"
