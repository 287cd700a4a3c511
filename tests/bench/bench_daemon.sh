#!/usr/bin/env bash
# bench_daemon.sh: kevmond's sustained live processing rate from a unix
# datagram socket, with the flight recorder on and off, in one run (prints
# figures; asserts nothing).
#
# The input is bench_trace's realistic mix (one kern_event_msg per batch,
# docs/benchmarks.md), 100,000 batches cycled by bench_daemon_send, which
# sends with blocking send()s: a full receive queue makes it wait, so no
# batch is lost and the rate is the daemon's. A run is timed from the first
# send until the daemon reports (kevrr query stats) that it has fed the
# last batch. For each mode: the median and best of 3 runs, batches/s, MB/s
# of batch bytes, the daemon's CPU time per batch (user + system, from
# /proc/PID/stat), and with the recorder on the compressed bytes written
# per batch. Optionally a share of malformed batches (the soak's kinds).
#
# usage: tests/bench/bench_daemon.sh BUILD_DIR [BATCHES [MALFORMED_PERCENT]]
#        (default 2000000 batches, 0 % malformed)
set -euo pipefail
build=${1:?usage: bench_daemon.sh BUILD_DIR [BATCHES [MALFORMED_PERCENT]]}
n=${2:-2000000}
pct=${3:-0}
kevrr=$build/replay/kevrr
kevmond=$build/daemon/kevmond
sender=$build/tests/cli/bench_daemon_send
gen=$build/tests/bench_trace
for x in "$kevrr" "$kevmond" "$sender" "$gen"; do
    [ -x "$x" ] || { echo "bench_daemon: $x is not built" >&2; exit 1; }
done
tmp=$(mktemp -d)
dpid=
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
"$gen" 100000 "$tmp/mix.kev" >/dev/null

stat_of() { "$kevrr" query --socket "$tmp/st/kevmond.sock" stats | awk -v k="$1" '$1 == k { print $2 }'; }

# one_run MODE_OPTS...: prints "SECONDS CPU_TICKS FILE_BYTES BATCH_BYTES".
one_run() {
    rm -rf "$tmp/st"
    "$kevmond" -q --state-dir "$tmp/st" --keep-interval 86400 "$@" "unix:$tmp/in.sock" \
        2>"$tmp/d.log" &
    dpid=$!
    until "$kevrr" query --socket "$tmp/st/kevmond.sock" ping >/dev/null 2>&1; do sleep 0.05; done
    local t0 t1 fed=0
    t0=$(date +%s.%N)
    "$sender" "$tmp/mix.kev" "$tmp/in.sock" "$n" "$pct" >"$tmp/send.txt"
    while [ "$fed" -lt "$n" ]; do
        fed=$(stat_of world.batches)
        [ "$fed" -lt "$n" ] && sleep 0.02
    done
    t1=$(date +%s.%N)
    local ticks file
    ticks=$(awk '{ print $14 + $15 }' "/proc/$dpid/stat")
    file=$(stat_of recorder.file_bytes)
    kill -TERM "$dpid"
    wait "$dpid" || true
    dpid=
    local sent
    sent=$(sed -n 's/.*malformed, \([0-9]*\) bytes.*/\1/p' "$tmp/send.txt")
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $ticks ${file:-0} $sent"
}

printf '%-9s %12s %12s %8s %12s %10s %14s\n' recorder "batches/s" "best b/s" "MB/s" \
    "CPU ns/batch" "seconds" "file B/batch"
for mode in on off; do
    opts=()
    [ "$mode" = off ] && opts=(--no-record)
    : >"$tmp/runs"
    for _ in 1 2 3; do
        one_run "${opts[@]}" >>"$tmp/runs"
    done
    sort -n "$tmp/runs" | awk -v n="$n" -v hz="$hz" -v mode="$mode" '
        { s[NR] = $1; cpu[NR] = $2; file[NR] = $3; bytes[NR] = $4 }
        END {
            m = 2
            printf "%-9s %12.0f %12.0f %8.1f %12.0f %10.2f %14s\n", mode, n / s[m], n / s[1],
                bytes[m] / s[m] / 1e6, cpu[m] / hz * 1e9 / n, s[m],
                mode == "on" ? sprintf("%.1f", file[m] / n) : "-"
        }'
done
echo "input: bench_trace's mix, $n batches a run, $pct % malformed; median of 3 runs (best beside)"
