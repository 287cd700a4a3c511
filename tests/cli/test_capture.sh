#!/usr/bin/env bash
# test_capture.sh: kevrr capture and kevrr send with real sockets and real
# processes: send into capture over a unix socket (byte-for-byte equal, in
# order) and over UDP; SIGINT (a whole trace), SIGHUP (two whole files that
# add up), -c, --duration, -C/-W (a ring); SIGKILL at random moments of a
# 100,000-batch run (the recovered batches are exactly a prefix, and hold
# every batch flushed before the kill); a file size limit (a clear error,
# exit 5, a readable trace); a datagram longer than --buffer (cut, true
# length kept); -Z (as root); usage and source errors.
#
# Usage: test_capture.sh SOURCE_DIR KEVRR [KILL_TRIALS]
# KILL_TRIALS (default 20) is the number of SIGKILL trials.
set -u

src=${1:?usage: test_capture.sh SOURCE_DIR KEVRR [KILL_TRIALS]}
kevrr=${2:?usage: test_capture.sh SOURCE_DIR KEVRR [KILL_TRIALS]}
trials=${3:-20}

. "$(dirname "$0")/lib.sh"
chmod 755 "$tmp" # -Z: the unprivileged user must reach its files

# The batches of a trace as text: per batch its length and its bytes in
# hex, without index or time, so that two traces compare byte for byte.
batches() {
    "$kevrr" dump --hex "$1" 2>/dev/null | grep -vE '^(record|  \+)' |
        sed -E 's/^batch [0-9]+ at .*\): /batch: /'
}

# The batches a trace holds so far (a live or killed one included).
records() {
    "$kevrr" info "$1" 2>/dev/null | sed -nE 's/^batches: +([0-9]+)$/\1/p'
}

# start_capture ARGS...: runs kevrr capture in the background (pid in $cap),
# then waits until its socket or output exists.
start_capture() {
    "$kevrr" capture -q "$@" 2>cap_err.txt &
    cap=$!
    for _ in $(seq 100); do
        [ -S s.sock ] && [ -e "$out" ] && return 0
        sleep 0.02
    done
    fail "capture $* did not start"
    cat cap_err.txt
}

# stop_capture SIGNAL: sends SIGNAL and waits; the exit status in $cap_rc.
stop_capture() {
    kill "-$1" "$cap" 2>/dev/null
    wait "$cap"
    cap_rc=$?
}

# Waits until the capture's file holds N records (flushed), at most ~4 s.
wait_records() {
    for _ in $(seq 200); do
        [ "$(records "$out")" = "$1" ] && return 0
        sleep 0.02
    done
    fail "$out never held $1 records"
}

# ---- traces to send -------------------------------------------------------

"$kevrr" gen "$src/corpus/examples/boot.scn" -o boot.kev || fail "gen boot.scn"
# 100,000 batches, each numbered by its event id.
seq 0 99999 | awk '{ print "lqm en0 " ($1 % 100) }' >big.scn
"$kevrr" gen big.scn -o big.kev || fail "gen big.scn"
batches boot.kev >boot.hex
batches big.kev >big.hex
[ "$(grep -c '^batch:' big.hex)" -eq 100000 ] || fail "big.kev does not hold 100000 batches"

# ---- send into capture over a unix socket: equal, in order, whole ---------

out=cap.kev
start_capture -i unix:s.sock -o cap.kev --flush-interval 50ms
expect_rc 0 "$kevrr" send boot.kev -o unix:s.sock --topspeed
has_text err.txt "kevrr send: 16 batches, "
wait_records 16
stop_capture INT
[ "$cap_rc" -eq 0 ] || fail "capture after SIGINT exited $cap_rc"
expect_rc 0 "$kevrr" verify cap.kev
has_text out.txt "cap.kev: whole: 16 records, "
batches cap.kev >cap.hex
cmp -s boot.hex cap.hex || fail "captured batches differ from the sent ones"
[ ! -e s.sock ] || fail "capture left its socket file behind"
expect_rc 0 "$kevrr" info cap.kev
has_line out.txt "source:             unix:s.sock"
has_line out.txt "tool:               kevrr $("$kevrr" version | cut -d' ' -f2)"
has_text out.txt "os:                 $(uname -s) $(uname -r)"
has_text out.txt "stats block:        16 records"
# The snapshot: by default this host's on Darwin, none elsewhere (a Linux
# host's interfaces are not a Mac's); the report says which.
expect_rc 0 "$kevrr" replay cap.kev
if [ "$(uname -s)" = Darwin ]; then
    grep -Eq '^snapshot interfaces=[1-9]' out.txt || fail "replay did not load the snapshot"
    has_text out.txt "snapshot-source host getifaddrs ("
else
    has_line out.txt "snapshot-source none (no interfaces: --snapshot none)"
    grep -q '^snapshot interfaces=' out.txt && fail "a snapshot by default off Darwin"
fi
# --snapshot host: this host's interfaces, and the snapshot loads.
start_capture -i unix:s.sock -w cap.kev --snapshot host
"$kevrr" send boot.kev -o unix:s.sock --topspeed 2>/dev/null
wait_records 16
stop_capture TERM
expect_rc 0 "$kevrr" info cap.kev
grep -Eq '^snapshot: +[0-9]+ bytes, [1-9][0-9]* interface' out.txt ||
    fail "no interface snapshot with --snapshot host"
expect_rc 0 "$kevrr" replay cap.kev
grep -Eq '^snapshot interfaces=[1-9]' out.txt || fail "replay did not load the host snapshot"
has_text out.txt "snapshot-source host getifaddrs ($(hostname)"
# --snapshot FILE: the file's interfaces; one that does not load is refused.
printf 'if en0 up media active\ninet en0 10.0.0.2/24\n' >snap.txt
start_capture -i unix:s.sock -w cap.kev --snapshot snap.txt
"$kevrr" send boot.kev -o unix:s.sock --topspeed 2>/dev/null
wait_records 16
stop_capture INT
expect_rc 0 "$kevrr" replay cap.kev
has_line out.txt "snapshot-source file snap.txt"
has_line out.txt "snapshot interfaces=1"
printf 'if en0 up\ninet en9 10.0.0.2/24\n' >bad.txt
expect_rc 3 "$kevrr" capture -i unix:s2.sock -w bad.kev --snapshot bad.txt -c 1
has_line err.txt "kevrr capture: --snapshot bad.txt: line 2: inet: no interface en9 (an if line must define it first)"
[ ! -e bad.kev ] || fail "a capture with a bad snapshot left bad.kev"

# The whole big trace, with a loop: 2 x 100,000 batches, in order.
start_capture -i unix:s.sock -o cap.kev
expect_rc 0 "$kevrr" send big.kev -o unix:s.sock --topspeed --loop 2
wait_records 200000
stop_capture TERM
[ "$cap_rc" -eq 0 ] || fail "capture after SIGTERM exited $cap_rc"
batches cap.kev >cap.hex
cat big.hex big.hex | cmp -s - cap.hex || fail "captured 2 x big.kev differs from the sent"

# ---- -c and --duration end the capture by themselves ----------------------

start_capture -i unix:s.sock -o cap.kev -c 10
# The capture may stop before the last batches are sent: send then fails.
"$kevrr" send boot.kev -o unix:s.sock --topspeed 2>/dev/null
wait "$cap" || fail "capture -c 10 exited $?"
batches cap.kev >cap.hex
head -n "$(grep -n '^batch:' boot.hex | sed -n 11p | cut -d: -f1 | awk '{print $1 - 1}')" \
    boot.hex | cmp -s - cap.hex || fail "capture -c 10 did not keep the first 10 batches"
expect_rc 0 "$kevrr" verify cap.kev
has_text out.txt "cap.kev: whole: 10 records, "

start=$(date +%s%N)
expect_rc 0 "$kevrr" capture -q -i unix:s.sock -o dur.kev --duration 300ms
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 300 ] && [ "$ms" -lt 3000 ] || fail "--duration 300ms took $ms ms"
expect_rc 0 "$kevrr" verify dur.kev
has_text out.txt "dur.kev: whole: 0 records, "

# ---- the recorded pace, and --speed --------------------------------------

printf 'attach en0\nat +400ms\nlqm en0 1\nat +400ms\nlqm en0 2\n' >paced.scn
"$kevrr" gen paced.scn -o paced.kev
start=$(date +%s%N)
"$kevrr" send paced.kev -o unix:nowhere.sock 2>err.txt
[ $? -eq 5 ] || fail "send to a missing socket did not exit 5"
has_text err.txt "kevrr send: unix:nowhere.sock: "
out=cap.kev
start_capture -i unix:s.sock -o cap.kev
start=$(date +%s%N)
expect_rc 0 "$kevrr" send paced.kev -o unix:s.sock
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 800 ] && [ "$ms" -lt 2500 ] || fail "send at the recorded pace took $ms ms, not ~800"
start=$(date +%s%N)
expect_rc 0 "$kevrr" send paced.kev -o unix:s.sock --speed 4
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 200 ] && [ "$ms" -lt 700 ] || fail "send --speed 4 took $ms ms, not ~200"
wait_records 6
stop_capture INT

# ---- SIGHUP: two whole files whose batches add up -------------------------

out=hup.kev
start_capture -i unix:s.sock -o hup.kev
expect_rc 0 "$kevrr" send boot.kev -o unix:s.sock --topspeed
wait_records 16
kill -HUP "$cap"
out=hup.1.kev
for _ in $(seq 100); do [ -e hup.1.kev ] && break; sleep 0.02; done
expect_rc 0 "$kevrr" send big.kev -o unix:s.sock --topspeed
wait_records 100000
stop_capture INT
[ "$cap_rc" -eq 0 ] || fail "capture after SIGHUP, SIGINT exited $cap_rc"
[ ! -e hup.kev ] || fail "after SIGHUP hup.kev should be renamed hup.0.kev"
expect_rc 0 "$kevrr" verify hup.0.kev
has_text out.txt "hup.0.kev: whole: 16 records, "
expect_rc 0 "$kevrr" verify hup.1.kev
has_text out.txt "hup.1.kev: whole: 100000 records"
{ batches hup.0.kev; batches hup.1.kev; } >cap.hex
cat boot.hex big.hex | cmp -s - cap.hex || fail "the two files do not add up to what was sent"

# ---- -C and -W: a ring of the last 3 files --------------------------------

out=ring.0.kev
start_capture -i unix:s.sock -o ring.kev -C 100k -W 3
expect_rc 0 "$kevrr" send big.kev -o unix:s.sock --topspeed
sleep 0.3
stop_capture INT
[ "$cap_rc" -eq 0 ] || fail "capture -C -W exited $cap_rc"
ls ring.*.kev >ring.txt
[ "$(wc -l <ring.txt)" -eq 3 ] || { fail "the ring holds $(wc -l <ring.txt) files, not 3"; cat ring.txt; }
[ ! -e ring.0.kev ] || fail "the ring kept its first file"
# The ring's files are whole, each under -C plus one member, and in order
# they hold the last batches sent.
: >cap.hex
for f in $(ls ring.*.kev | sort -t. -k2 -n); do
    expect_rc 0 "$kevrr" verify "$f"
    has_text out.txt "$f: whole: "
    [ "$(wc -c <"$f")" -le 170000 ] || fail "$f is over -C 100k plus a member"
    batches "$f" >>cap.hex
done
tail -n "$(wc -l <cap.hex)" big.hex | cmp -s - cap.hex || fail "the ring is not the last batches sent"

# ---- UDP ------------------------------------------------------------------

port=$((20000 + RANDOM % 20000))
"$kevrr" capture -q -i "udp:127.0.0.1:$port" -o udp.kev -c 16 2>cap_err.txt &
cap=$!
sleep 0.3
expect_rc 0 "$kevrr" send boot.kev -o "udp:127.0.0.1:$port" --topspeed
wait "$cap" || { fail "capture over UDP exited $?"; cat cap_err.txt; }
batches udp.kev >cap.hex
cmp -s boot.hex cap.hex || fail "batches over UDP differ"
expect_rc 0 "$kevrr" info udp.kev
has_line out.txt "source:             udp:127.0.0.1:$port"

# ---- a datagram longer than the buffer: cut, its true length kept ---------

printf 'attach en0\nlqm en0 5 pad 300\nlqm en0 6\n' >long.scn
"$kevrr" gen long.scn -o long.kev
out=trunc.kev
start_capture -i unix:s.sock -o trunc.kev --buffer 100
expect_rc 0 "$kevrr" send long.kev -o unix:s.sock --topspeed
wait_records 3
stop_capture INT
expect_rc 0 "$kevrr" info trunc.kev
has_line out.txt "truncated batches:  1"
expect_rc 0 "$kevrr" dump trunc.kev --json
sed -n 2p out.txt | grep -q '"caplen":100' || { fail "batch 1 not cut to 100 bytes"; sed -n 2p out.txt; }
sed -n 2p out.txt | grep -q '"origlen":352' || fail "batch 1 lost its true length 352"
sed -n 3p out.txt | grep -q '"caplen":52' || fail "batch 2 after the cut one is wrong"

# ---- a file size limit: a clear error, exit 5, a readable trace -----------

out=fsize.kev
(
    ulimit -f 64 # 64 KiB
    exec "$kevrr" capture -q -i unix:s.sock -o fsize.kev
) 2>fsize_err.txt &
cap=$!
for _ in $(seq 100); do [ -S s.sock ] && break; sleep 0.02; done
"$kevrr" send big.kev -o unix:s.sock --topspeed 2>/dev/null
wait "$cap"
rc=$?
[ "$rc" -eq 5 ] || fail "capture over RLIMIT_FSIZE exited $rc, not 5"
has_text fsize_err.txt "kevrr capture: fsize.kev: write: File too large; the trace is readable up to there"
[ "$(wc -c <fsize.kev)" -le 65536 ] || fail "fsize.kev is over the 64 KiB limit"
"$kevrr" verify fsize.kev >out.txt 2>&1
has_text out.txt "fsize.kev: cut short:"
batches fsize.kev >cap.hex
n=$(wc -l <cap.hex)
[ "$n" -gt 0 ] || fail "nothing readable in fsize.kev"
head -n "$n" big.hex | cmp -s - cap.hex || fail "fsize.kev is not a prefix of what was sent"

# ---- SIGKILL at random moments: a prefix, every flushed batch -------------

# Idle after a burst: a kill two flush intervals later loses nothing.
out=idle.kev
start_capture -i unix:s.sock -o idle.kev --flush-interval 100ms
expect_rc 0 "$kevrr" send boot.kev -o unix:s.sock --topspeed
sleep 0.3
stop_capture KILL
expect_rc 1 "$kevrr" verify idle.kev
has_text out.txt "idle.kev: cut short: no EOF member"
batches idle.kev >cap.hex
cmp -s boot.hex cap.hex || fail "a kill after a flush interval lost batches"

# Under load: kill at a random point of the 100,000-batch run. Just
# before the kill, count what the file holds (flushed); after, the file
# must hold at least that, exactly a prefix of what was sent.
for trial in $(seq "$trials"); do
    out=kill.kev
    rm -f kill.kev
    start_capture -i unix:s.sock -o kill.kev --flush-interval 20ms
    # 150 x the recorded 1 ms pace: the run lasts ~670 ms whatever the
    # machine, and the kill falls inside it.
    "$kevrr" send big.kev -o unix:s.sock --speed 150 2>/dev/null &
    sender=$!
    sleep "0.$(printf '%03d' $((RANDOM % 600)))"
    before=$(records kill.kev)
    kill -KILL "$cap"
    wait "$cap" 2>/dev/null
    wait "$sender" 2>/dev/null
    "$kevrr" verify kill.kev >verify.txt 2>&1
    vrc=$?
    [ "$vrc" -le 1 ] || { fail "trial $trial: verify exited $vrc"; cat verify.txt; }
    batches kill.kev >cap.hex
    n=$(grep -c '^batch:' cap.hex)
    [ "$n" -ge "${before:-0}" ] || fail "trial $trial: $n batches recovered, $before were flushed"
    head -n "$(wc -l <cap.hex)" big.hex | cmp -s - cap.hex ||
        fail "trial $trial: the recovered batches are not a prefix of those sent"
    echo "kill trial $trial: $n batches recovered (${before:-0} flushed before the kill)"
done
rm -f s.sock

# ---- People: SIGUSR1 statistics, the summary, the terminal's status line ---

out=people.kev
"$kevrr" capture -i unix:s.sock -o people.kev --flush-interval 50ms 2>people_err.txt &
cap=$!
for _ in $(seq 100); do [ -S s.sock ] && [ -e people.kev ] && break; sleep 0.02; done
expect_rc 0 "$kevrr" send boot.kev -o unix:s.sock --topspeed
wait_records 16
kill -USR1 "$cap"
for _ in $(seq 100); do grep -q "16 batches" people_err.txt && break; sleep 0.02; done
grep -q "^kevrr capture: 16 batches, 0 failed recv(), 1484 bytes" people_err.txt ||
    fail "SIGUSR1 printed no statistics: $(cat people_err.txt)"
stop_capture TERM
[ "$cap_rc" -eq 0 ] || fail "capture after SIGTERM exited $cap_rc"
[ "$(grep -c '^kevrr capture: 16 batches' people_err.txt)" -eq 2 ] ||
    fail "no final summary after the SIGUSR1 statistics: $(cat people_err.txt)"
grep -q "now people.kev" people_err.txt || fail "the statistics do not name the file"
grep -q $'\r' people_err.txt && fail "a status line without a terminal"
# On a terminal (script(1) gives it one): a status line, rewritten in place.
if command -v script >/dev/null 2>&1; then
    rm -f tty.kev s.sock
    script -qfec "'$kevrr' capture -i unix:s.sock -o tty.kev --duration 1.5s" tty.txt \
        >/dev/null 2>&1 </dev/null &
    scr=$!
    for _ in $(seq 100); do [ -S s.sock ] && break; sleep 0.02; done
    "$kevrr" send boot.kev -o unix:s.sock --topspeed 2>/dev/null
    wait "$scr"
    grep -q $'\r16 batches  0.0 MB  [0-9]*/s  0 errors  tty.kev' tty.txt ||
        fail "no status line on a terminal: $(od -c tty.txt | head)"
else
    echo "script(1) missing: the terminal status line is not checked"
fi
rm -f s.sock

# ---- -Z: drop root after opening the source -------------------------------

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    mkdir zdir && chmod 777 zdir
    out=zdir/z.kev
    start_capture -i unix:s.sock -o zdir/z.kev -Z nobody
    expect_rc 0 "$kevrr" send boot.kev -o unix:s.sock --topspeed
    wait_records 16
    stop_capture INT
    [ "$cap_rc" -eq 0 ] || fail "capture -Z nobody exited $cap_rc"
    [ "$(stat -c %U zdir/z.kev)" = nobody ] || fail "-Z nobody: the trace is not owned by nobody"
    rm -f s.sock
else
    echo "skipped: -Z (not root, or no user nobody)"
fi

# ---- usage and source errors ----------------------------------------------

expect_rc 2 "$kevrr" capture -o x.kev
has_line err.txt "kevrr capture: no source: -i SOURCE; see kevrr help capture"
expect_rc 2 "$kevrr" capture -i unix:s.sock
has_line err.txt "kevrr capture: no output: -o FILE; see kevrr help capture"
expect_rc 2 "$kevrr" capture -i unix:s.sock -o x.kev -C 10X
has_line err.txt "kevrr capture: -C takes a size (1000000, 500k, 10M), not '10X'"
expect_rc 2 "$kevrr" capture -i unix:s.sock -o x.kev --buffer 70000
has_line err.txt "kevrr capture: --buffer: 1 to 65536 bytes"
expect_rc 5 "$kevrr" capture -i unix:s.sock -o - -C 1M
has_line err.txt "kevrr capture: standard output cannot be rotated"
if [ "$(uname -s)" != Darwin ]; then
    expect_rc 3 "$kevrr" capture -i pf_system -o x.kev
    has_text err.txt "kevrr capture: pf_system: Darwin's kernel event socket does not exist on this system"
fi
expect_rc 3 "$kevrr" capture -i fd:0 -o x.kev </dev/null
has_text err.txt "kevrr capture: fd:0: not a socket"
expect_rc 3 "$kevrr" capture -i tcp:1 -o x.kev
has_text err.txt "kevrr capture: tcp:1: unknown source"
expect_rc 3 "$kevrr" capture -i udp:nope -o x.kev
has_text err.txt "kevrr capture: udp:nope: expected udp:HOST:PORT"
expect_rc 2 "$kevrr" send boot.kev -o unix:s.sock --speed 0
has_line err.txt "kevrr send: --speed takes a number above 0 (0.5, 2, 100), not '0'"
expect_rc 2 "$kevrr" send boot.kev
has_line err.txt "kevrr send: no destination: -o DEST; see kevrr help send"
expect_rc 2 "$kevrr" capture -i unix:s.sock -o x.kev --level 10
has_line err.txt "kevrr capture: --level: 1 (fastest) to 9 (smallest)"
expect_rc 0 "$kevrr" capture --help
for opt in -i -o -w -C -G -W -c --duration --flush-interval --fsync --level --buffer --rcvbuf \
    --comment -Z --quiet pf_system unix: udp: fd:; do
    grep -q -- "$opt" out.txt || fail "capture --help does not mention $opt"
done

[ "$failures" -eq 0 ] && echo "test_capture: all passed"
[ "$failures" -eq 0 ]
