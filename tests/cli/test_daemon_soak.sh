#!/usr/bin/env bash
# test_daemon_soak.sh: kevmond under a long flood: 10,000,000 batches, 10 %
# of them malformed (bench_daemon_send's six kinds of damage), through a
# unix datagram socket, with the flight recorder on (a small ring, so it
# rotates all the time). Checks: the daemon never stops and fed every batch;
# every finding asked for a keep and all but the first were rate-limited;
# its RSS sampled every second after a warm-up of 1,000,000 batches never
# exceeds the warm-up figure by more than 1 MiB; it still answers, stops
# cleanly on SIGTERM, and leaves every ring file whole. Prints the figures.
#
# Release builds only: under the sanitizers (last argument 1) it is skipped
# (exit 77) with a message, as it is where /proc/PID/status is missing.
#
# Usage: test_daemon_soak.sh SOURCE_DIR KEVRR KEVMOND SENDER SANITIZED [TOTAL]
set -u

src=${1:?usage: test_daemon_soak.sh SOURCE_DIR KEVRR KEVMOND SENDER SANITIZED [TOTAL]}
kevrr=${2:?}
kevmond=${3:?}
sender=${4:?}
sanitized=${5:-0}
total=${6:-10000000}
warmup=$((total / 10))

if [ "$sanitized" = 1 ]; then
    echo "skipped: the soak runs in release builds only (this build has KEV_SANITIZE=ON)"
    exit 77
fi
if [ ! -r /proc/self/status ]; then
    echo "skipped: the soak reads RSS from /proc/PID/status, which this system lacks"
    exit 77
fi

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_daemon_lib.sh"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$dpid/status"; }

# One cycle brings every interface back to where it started: the state
# stays the same size whatever the number of cycles.
cat >soak.scn <<'EOF'
attach en0
link on en0
inet add en0 10.0.0.2/24
inet6 add en0 fe80::1/64 flags 0x4 mac 00:11:22:33:44:55
lqm en0 50
lqm en0 10
attach en1
link on en1
inet add en1 192.168.1.7/24
arp collision en1 192.168.1.9 00:11:22:33:44:66
lqm en1 100
inet del en0 10.0.0.2
inet6 del en0 fe80::1
link off en0
detach en0
link off en1
detach en1
EOF
expect_rc 0 "$kevrr" gen soak.scn -o soak.kev

start_daemon s -q --ring-file-bytes 4194304 --ring-files 4 --keep-interval 3600 || exit 1
t0=$(date +%s.%N)
"$sender" soak.kev "$PWD/s.in" "$warmup" 10 1 >warm.txt || fail "sender (warm-up): $(cat warm.txt)"
wait_batches s "$warmup"
base=$(rss)
max=$base
"$sender" soak.kev "$PWD/s.in" $((total - warmup)) 10 2 >main.txt &
spid=$!
while kill -0 "$spid" 2>/dev/null; do
    r=$(rss)
    [ -n "$r" ] || { fail "kevmond died during the soak"; cat s.log; break; }
    [ "$r" -gt "$max" ] && max=$r
    sleep 1
done
wait "$spid" || fail "sender (main): $(cat main.txt)"
wait_batches s "$total"
t1=$(date +%s.%N)
end=$(rss)
[ "$end" -gt "$max" ] && max=$end

stat_is s recv.batches "$total"
stat_is s world.batches "$total"
stat_is s recorder.batches "$total"
stat_is s world.monitoring yes
findings=$(stat_of s findings)
[ "${findings:-0}" -ge $((total / 20)) ] || fail "only ${findings:-0} findings for $((total / 10)) malformed batches"
stat_is s keep.kept 1
stat_is s keep.skipped_interval $((findings - 1))
expect_rc 0 "$kevrr" query --socket s/kevmond.sock state
has_text out.txt "stats batches=$total "
stop_daemon
for f in s/ring/*.kev s/kept/*/*.kev; do
    "$kevrr" verify "$f" >v.txt 2>&1 || { fail "$f is not whole"; cat v.txt; }
done
[ "$(ls s/ring/*.kev | wc -l)" -le 4 ] || fail "the ring holds more than 4 files"

growth=$((max - base))
awk -v n="$total" -v a="$t0" -v b="$t1" -v base="$base" -v max="$max" -v end="$end" \
    -v g="$growth" -v f="$findings" 'BEGIN {
    printf "soak: %d batches (10%% malformed, %d findings) in %.1f s: %.0f batches/s\n", n, f, b - a, n / (b - a)
    printf "soak: RSS after warm-up %d KiB, max %d KiB, at the end %d KiB: growth %d KiB (limit 1024)\n", base, max, end, g
}'
[ "$growth" -le 1024 ] || fail "RSS grew by $growth KiB after the warm-up (limit 1024)"

exit $((failures > 0))
