#!/usr/bin/env bash
# bench_replay.sh: replay throughput and memory (prints figures; asserts
# nothing). For each size it generates a realistic trace with bench_trace
# (one kern_event_msg per recv() batch, the mix of docs/benchmarks.md), then
# times, in one run, `kevrr replay TRACE > /dev/null` (hardened and v963)
# beside `gzip -dc < TRACE > /dev/null`, the median of 3 runs each, and
# reads the replay's peak RSS from GNU time.
#
# usage: tests/bench/bench_replay.sh BUILD_DIR [EVENTS...]   (default 1000000 10000000)
# Targets (issue: replay): replay within 2x the time of gzip -dc; peak RSS
# at most 32 MiB whatever the trace length.
set -euo pipefail
build=${1:?usage: bench_replay.sh BUILD_DIR [EVENTS...]}
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
kevrr=$build/replay/kevrr
gen=$build/tests/bench_trace
timer=/usr/bin/time
[ -x "$timer" ] || { echo "bench_replay: needs GNU time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# median3 CMD...: the median wall time of 3 runs, in seconds; the last
# run's peak RSS (KiB) goes to $tmp/rss.
median3() {
    local t=()
    for _ in 1 2 3; do
        "$timer" -f '%e %M' -o "$tmp/time" "$@" >/dev/null
        read -r secs rss <"$tmp/time"
        t+=("$secs")
        echo "$rss" >"$tmp/rss"
    done
    printf '%s\n' "${t[@]}" | sort -n | sed -n 2p
}

printf '%-10s %-9s %10s %10s %8s %10s\n' events profile "replay s" "gzip -dc s" ratio "peak RSS"
for n in "${sizes[@]}"; do
    trace=$tmp/t$n.kev
    "$gen" "$n" "$trace" >/dev/null
    gz=$(median3 sh -c "gzip -dc < '$trace'")
    for p in hardened v963; do
        r=$(median3 "$kevrr" replay --profile "$p" "$trace")
        rss=$(cat "$tmp/rss")
        ratio=$(awk -v a="$r" -v b="$gz" 'BEGIN { printf "%.2f", a / b }')
        printf '%-10s %-9s %10s %10s %7sx %7.1f MiB\n' "$n" "$p" "$r" "$gz" "$ratio" \
            "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
    done
done
echo "targets: replay within 2x gzip -dc; peak RSS <= 32 MiB"
