#!/usr/bin/env bash
# bench_reduce.sh: kevrr reduce on a long field trace with one lost update in
# the middle (prints figures; asserts nothing). The trace: a Mac on Wi-Fi
# (en0) with a VPN (utun3, 10.8.0.2) whose Wi-Fi quality, link and router
# come and go for BATCHES batches, one event per recv(), 1 ms apart; in the
# middle configd's recv() fails (EAGAIN: v963 stops monitoring, D12) and the
# VPN's address goes right after, so the store keeps a stale utun3/IPv4.
# It times `kevrr reduce --predicate 'drift utun3/IPv4' --profile v963`
# and prints the reduced trace's batches, the evaluations and their rate.
#
# usage: tests/bench/bench_reduce.sh BUILD_DIR [BATCHES]   (default 150000)
# Target (issue 12): at most 5 batches within 60 s for 150,000 batches.
# Run it under `nice -n 10`, alone, and say what else the machine ran.
set -euo pipefail
build=${1:?usage: bench_reduce.sh BUILD_DIR [BATCHES]}
n=${2:-150000}
kevrr=$build/replay/kevrr
[ -x "$kevrr" ] || { echo "bench_reduce: no $kevrr (build first)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mid=$((n / 2))
awk -v n="$n" -v mid="$mid" 'BEGIN {
    print "kernel if lo0 flags 0x8049 media none"
    print "kernel inet lo0 127.0.0.1/8 peer 127.0.0.1"
    print "kernel if en0 flags 0x8863 media active lqm 100"
    print "kernel inet en0 192.168.1.23/24"
    print "attach utun3"
    print "inet add utun3 10.8.0.2/32 dest 10.8.0.1"
    split("lqm en0 50|lqm en0 100|arp rtr-alive en0|lqm en0 20|link off en0|link on en0", noise, "|")
    for (i = 2; i < n; i++) {
        if (i == mid) { print "error EAGAIN"; continue }
        if (i == mid + 1) { print "inet del utun3 10.8.0.2/32 dest 10.8.0.1"; continue }
        print noise[i % 6 + 1]
    }
}' >"$tmp/field.scn"
"$kevrr" gen "$tmp/field.scn" -o "$tmp/field.kev"

start=$(date +%s.%N)
"$kevrr" reduce "$tmp/field.kev" -o "$tmp/small.kev" --predicate 'drift utun3/IPv4' \
    --profile v963 -q >"$tmp/summary.txt"
end=$(date +%s.%N)
batches=$(awk '/^batches:/ { print $2 }' "$tmp/summary.txt")
small=$(awk '/^batches:/ { print $4 }' "$tmp/summary.txt")
evals=$(awk '/^evaluations:/ { print $2 }' "$tmp/summary.txt")
secs=$(echo "$end - $start" | bc)
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "trace: $batches batches, failed recv()s included (the recv() error at batch $mid, the lost update at $((mid + 1)))"
cat "$tmp/summary.txt"
printf 'reduce: %.2f s wall, %s evaluations (%.0f/s); %s batches left\n' "$secs" "$evals" \
    "$(echo "$evals / $secs" | bc -l)" "$small"
