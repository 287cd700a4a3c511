#!/usr/bin/env bash
# test_daemon.sh: kevmond end to end, with real processes and sockets.
#
#  - a generated scenario sent with `kevrr send` to kevmond: its state
#    (`kevrr query state`) equals the final sections of `kevrr replay` on the
#    same trace, but for the two lines that carry receive times (the `final
#    t=` line and the message log key); store and kernel are its sections;
#  - the flight recorder: a finding keeps the ring aside (rate-limited: a
#    second finding within the interval is skipped), SIGUSR2 and `query keep`
#    keep it, and the kept ring, merged, replays to exactly the daemon's
#    state, every line; SIGUSR1 writes state.txt; after SIGTERM the ring is
#    whole and replays to the same state; a restart keeps the previous ring;
#  - --keep-max caps keeps; the pidfile is written, locked and removed; a
#    second daemon on the same pidfile or control socket is refused;
#  - usage and query errors and their exit codes; the protocol's refusals
#    (a request too long, not ASCII, unknown) with a raw client (python3);
#  - SIGTERM mid-stream: exit 0, every ring file whole, and the ring holds
#    exactly the batches the daemon received.
#
# Usage: test_daemon.sh SOURCE_DIR KEVRR KEVMOND
# Exits 0 on success, 1 on a failed check.
set -u

src=${1:?usage: test_daemon.sh SOURCE_DIR KEVRR KEVMOND}
kevrr=${2:?usage: test_daemon.sh SOURCE_DIR KEVRR KEVMOND}
kevmond=${3:?usage: test_daemon.sh SOURCE_DIR KEVRR KEVMOND}

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_daemon_lib.sh"

# ---- the comparison scenario ----------------------------------------------

# Less than 6 s of trace time: no startup tick falls between its batches,
# live or replayed. One malformed batch (raw) makes a diagnostic.
cat >live.scn <<'EOF'
kernel if lo0 flags 0x8049 media none
kernel inet lo0 127.0.0.1/8
attach en0
link on en0
inet add en0 10.0.0.2/24
arp collision en0 10.0.0.9 00:11:22:33:44:66
inet6 add en0 fe80::1/64 flags 0x4 mac 00:11:22:33:44:55
lqm en0 50
at +1s
attach utun0
inet add utun0 10.8.0.2/32 peer 10.8.0.1
raw 00000000
link off en0
lqm en0 10
at +2s
inet del utun0 10.8.0.2
detach utun0
EOF
expect_rc 0 "$kevrr" gen live.scn -o live.kev
# The snapshot the scenario starts from, for --snapshot.
printf 'if lo0 flags 0x8049 media none\ninet lo0 127.0.0.1/8\n' >snap.txt
n_live=$("$kevrr" info live.kev | awk '/^batches:/ { print $2 }')
[ "$n_live" -ge 10 ] || fail "live.kev has $n_live batches"
expect_rc 0 "$kevrr" replay live.kev -o replay.txt
final_of replay.txt >replay.final

# A state directory left 0755 by an older kevmond is closed to 0700.
mkdir -m 0755 a
start_daemon a --snapshot snap.txt --pidfile "$PWD/a.pid"
[ "$(cat a.pid)" = "$dpid" ] || fail "a.pid holds '$(cat a.pid)', not $dpid"
expect_rc 0 "$kevrr" send --topspeed -q live.kev -o "unix:$PWD/a.in"
wait_batches a "$n_live"
expect_rc 0 "$kevrr" query --socket a/kevmond.sock state
cp out.txt live.state
# Equal but for the lines of receive times.
grep -c . live.state | grep -qx '[0-9]*' || fail "no state"
has_text live.state "store keys="
has_text live.state "  State:/Network/Interface/en0/IPv4 = "
has_text live.state "stats batches=$n_live errors=0 "
untimed <live.state >live.untimed
untimed <replay.final >replay.untimed
cmp -s live.untimed replay.untimed || {
    fail "kevmond's state differs from kevrr replay's final sections"
    diff replay.untimed live.untimed
}
# What was cut: exactly those two lines, one each.
[ "$(($(wc -l <live.state) - $(wc -l <live.untimed)))" -eq 2 ] ||
    fail "the untimed state lost more than the final and message-log lines"
grep -q '^  Plugin:KernelEventMonitor = \[' live.state || fail "no message log in the state"

# store and kernel: the sections of the state.
expect_rc 0 "$kevrr" query --socket a/kevmond.sock store -o store.txt
sed -n '/^store keys=/,/^kernel interfaces=/p' live.state | sed '$d' >want_store.txt
cmp -s store.txt want_store.txt || fail "query store is not the state's store section"
expect_rc 0 "$kevrr" query --socket a/kevmond.sock kernel -o kernel.txt
sed -n '/^kernel interfaces=/,/^notifications keys=/p' live.state | sed '$d' >want_kernel.txt
cmp -s kernel.txt want_kernel.txt || fail "query kernel is not the state's kernel section"
has_line kernel.txt "kernel interfaces=2"
# drift: hardened follows the kernel here; the answer has the report's form.
expect_rc 0 "$kevrr" query --socket a/kevmond.sock drift -o drift.txt
has_line drift.txt "drift keys=0"

# stats: the figures agree with the state.
expect_rc 0 "$kevrr" query --socket a/kevmond.sock stats -o stats.txt
has_line stats.txt "recv.batches $n_live"
has_line stats.txt "world.batches $n_live"
has_line stats.txt "recorder.batches $n_live"
has_line stats.txt "world.diagnostics 1"
has_line stats.txt "keep.kept 1"
has_line stats.txt "store.backend sim"
# The log: the report's recent lines, the malformed batch's diagnostic in it.
expect_rc 0 "$kevrr" query --socket a/kevmond.sock log -o log.txt
has_text log.txt "  diag short-header (fixes D3) event=0 offset=0: "

# The finding kept the ring: the batches up to the malformed one.
kept_auto=$(ls -d a/kept/*-diag-short-header 2>/dev/null)
[ -d "$kept_auto" ] || fail "no kept ring for the diagnostic in a/kept: $(ls a/kept)"
has_text "$kept_auto/kept.txt" "reason diag-short-header"
has_text "$kept_auto/kept.txt" "detail diag short-header batch 8 event 0 offset 0: "
# The ring says where its snapshot came from (docs/report-format.md).
"$kevrr" replay "$kept_auto"/flight.0.kev >ring.report 2>/dev/null
has_line ring.report "snapshot-source file snap.txt"
expect_rc 0 "$kevrr" verify "$kept_auto"/flight.0.kev
has_text out.txt "whole: 9 records"

# A second finding within the keep interval is not kept again.
printf 'raw 0000\n' >bad.scn
expect_rc 0 "$kevrr" gen bad.scn -o bad.kev
expect_rc 0 "$kevrr" send --topspeed -q bad.kev -o "unix:$PWD/a.in"
wait_batches a $((n_live + 1))
stat_is a keep.skipped_interval 1
stat_is a keep.kept 1

# SIGUSR2 keeps the whole ring; merged, it replays to the state, every line.
expect_rc 0 "$kevrr" query --socket a/kevmond.sock state -o now.state
kill -USR2 "$dpid"
wait_for "a/kept/*-sigusr2/kept.txt"
kept_usr2=$(ls -d a/kept/*-sigusr2)
merge_replay "$kept_usr2" usr2.final
cmp -s usr2.final now.state || {
    fail "the SIGUSR2 ring does not replay to the daemon's state"
    diff now.state usr2.final
}

# query keep: the same, with a reason; it prints where.
expect_rc 0 "$kevrr" query --socket a/kevmond.sock keep field-bug
kept_q=$(sed 's/ (.*//' out.txt)
case "$kept_q" in
a/kept/*-field-bug) ;;
*) fail "query keep printed '$(cat out.txt)'" ;;
esac
[ -f "$kept_q/kept.txt" ] || fail "query keep: no $kept_q/kept.txt"

# SIGUSR1: the state and the statistics in state.txt.
kill -USR1 "$dpid"
wait_for a/state.txt
head -n "$(wc -l <now.state)" a/state.txt >usr1.state
cmp -s usr1.state now.state || fail "state.txt does not start with the state"
has_text a/state.txt "recv.batches $((n_live + 1))"

# The host's network history is the daemon's user's only: every directory
# 0700, every file 0600 (ring, kept rings and kept.txt, state.txt), the
# socket 0600; the pidfile stays readable (0644).
modes_ok=1
while IFS= read -r f; do
    want=600
    [ -d "$f" ] && want=700
    [ -S "$f" ] && want=600
    got=$(stat -c %a "$f")
    [ "$got" = "$want" ] || { fail "$f has mode $got, expected $want"; modes_ok=0; }
done < <(find a)
[ "$(stat -c %a a.pid)" = 644 ] || fail "a.pid has mode $(stat -c %a a.pid), expected 644"
[ "$modes_ok" = 1 ] && [ -n "$(find a/ring -name '*.kev')" ] && [ -n "$(find a/kept -name kept.txt)" ] ||
    fail "no ring or kept files to check the modes of"

# Refusals while it runs: the same pidfile, the same control socket.
expect_rc 1 "$kevmond" --state-dir b --pidfile "$PWD/a.pid" "unix:$PWD/b.in"
has_text err.txt "a.pid: another kevmond (pid $dpid) is running"
expect_rc 1 "$kevmond" --state-dir b --control a/kevmond.sock "unix:$PWD/b.in"
has_text err.txt "a/kevmond.sock: another kevmond answers there"

# Query errors.
expect_rc 1 "$kevrr" query --socket a/kevmond.sock frobnicate
has_line err.txt "kevrr query: kevmond: unknown command; try help"
expect_rc 3 "$kevrr" query --socket nowhere.sock ping
has_text err.txt "kevrr query: cannot reach kevmond at nowhere.sock: "
expect_rc 2 "$kevrr" query --socket a/kevmond.sock
expect_rc 2 "$kevrr" query --socket a/kevmond.sock "$(printf 'x%.0s' $(seq 300))"
expect_rc 0 env KEVMOND_SOCKET=a/kevmond.sock "$kevrr" query ping
has_line out.txt "pong"
expect_rc 0 "$kevrr" query --socket a/kevmond.sock help
has_text out.txt "state   the final-state sections"

# The protocol, raw: refusals, and a silent client does not block others.
if command -v python3 >/dev/null 2>&1; then
    python3 - a/kevmond.sock >raw.txt 2>&1 <<'EOF' || fail "raw protocol client: $(cat raw.txt)"
import socket, sys
path = sys.argv[1]
def ask(data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(data)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b
silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
silent.connect(path)  # says nothing: must not hold the daemon
assert ask(b"x" * 300) == b"error the request line is too long\n", "long"
assert ask(b"st\x01ate\n") == b"error the request is not printable ASCII\n", "ascii"
assert ask(b"\n") == b"error empty request\n", "empty"
assert ask(b"ping\r\n") == b"ok 5\npong\n", "crlf"
st = ask(b"state\n")
head, body = st.split(b"\n", 1)
assert head == b"ok %d" % len(body), "length"
print("ok")
EOF
    has_line raw.txt "ok"
    # Busy: with every connection taken by silent clients, each further
    # client gets "error busy" before the close, never a reset, even when it
    # writes its request first (and then reads), or writes nothing at all.
    python3 - a/kevmond.sock >busy.txt 2>&1 <<'EOF' || fail "busy control socket: $(cat busy.txt)"
import socket, sys, time
path = sys.argv[1]
held = []
for _ in range(8):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    held.append(s)
time.sleep(0.3)
def client(send, wait):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    if wait:
        time.sleep(wait)
    if send:
        s.sendall(send)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out
want = b"error busy: too many connections\n"
answers = []
for i in range(60):
    send = [b"ping\n", b"state\n" * 40, b""][i % 3]
    wait = 0.05 if i % 5 == 4 else 0
    try:
        answers.append(client(send, wait))
    except OSError as e:
        answers.append(repr(e).encode())
bad = [a for a in answers if a != want]
assert not bad, "%d of %d clients got something else: %r" % (len(bad), len(answers), bad[:3])
for s in held:
    s.close()
time.sleep(0.3)
assert client(b"ping\n", 0) == b"ok 5\npong\n", "served again once the silent clients left"
print("ok")
EOF
    has_line busy.txt "ok"
fi

# SIGTERM: exit 0; pidfile and socket gone; the ring whole, and replayed it
# gives the state, every line.
expect_rc 0 "$kevrr" query --socket a/kevmond.sock state -o last.state
stop_daemon
[ ! -e a.pid ] || fail "a.pid left behind"
[ ! -e a/kevmond.sock ] || fail "a/kevmond.sock left behind"
has_text a.log "stopped after $((n_live + 1)) batches"
for f in a/ring/*.kev; do
    expect_rc 0 "$kevrr" verify "$f"
    has_text out.txt ": whole: "
done
merge_replay a/ring ring.final
cmp -s ring.final last.state || {
    fail "the ring after SIGTERM does not replay to the daemon's state"
    diff last.state ring.final
}

# A restart keeps the previous run's ring aside.
n_ring=$(ls a/ring/*.kev | wc -l)
start_daemon a
prev=$(ls -d a/kept/*-previous-run 2>/dev/null)
[ -d "$prev" ] || fail "no previous-run ring after the restart: $(ls a/kept)"
[ "$(ls "$prev"/*.kev | wc -l)" -eq "$n_ring" ] || fail "the previous-run ring lost files"
has_text a.log "a previous run's ring ($n_ring files) kept in a/kept/"
stop_daemon

# --keep-max: the cap counts kept rings already there.
start_daemon c --keep-max 1 --no-keep-on-finding
expect_rc 0 "$kevrr" query --socket c/kevmond.sock keep
expect_rc 1 "$kevrr" query --socket c/kevmond.sock keep
has_text err.txt "1 kept rings in c/kept: the cap (--keep-max) is reached"
stat_is c keep.skipped_cap 1
stop_daemon
# --no-record: no ring, keeps refused.
start_daemon d --no-record
expect_rc 1 "$kevrr" query --socket d/kevmond.sock keep
has_text err.txt "the flight recorder is off (--no-record)"
stat_is d recorder off
stop_daemon
[ ! -e d/ring ] || fail "--no-record made d/ring"

# Usage errors.
expect_rc 2 "$kevmond" --state-dir e
has_text err.txt "kevmond: no SOURCE given"
expect_rc 2 "$kevmond" --ring-files 1 "unix:$PWD/e.in"
has_text err.txt "kevmond: --ring-files takes a number from 2 to "
expect_rc 2 "$kevmond" --bogus "unix:$PWD/e.in"
has_text err.txt "kevmond: unknown option '--bogus'"
expect_rc 1 "$kevmond" --state-dir e "nosuch:thing"
expect_rc 1 "$kevmond" --state-dir e --store real "unix:$PWD/e.in"
has_text err.txt "--store real: no such backend (built: sim)"
expect_rc 0 "$kevmond" --help
has_text out.txt "usage: kevmond [OPTIONS] SOURCE"

# ---- SIGTERM mid-stream ---------------------------------------------------

start_daemon m --ring-file-bytes 32768 --ring-files 1000
"$kevrr" send --topspeed --loop 0 -q live.kev -o "unix:$PWD/m.in" 2>/dev/null &
spid=$!
wait_batches m 20000
stop_daemon
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
got=$(sed -n 's/.*stopped after \([0-9]*\) batches.*/\1/p' m.log)
[ -n "$got" ] && [ "$got" -ge 20000 ] || fail "m.log: no 'stopped after N batches': $(cat m.log)"
records=0
files=0
for f in m/ring/*.kev; do
    "$kevrr" verify "$f" >v.txt 2>&1 || { fail "$f is not whole"; cat v.txt; }
    r=$(sed -n 's/.*: whole: \([0-9]*\) records\{0,1\},.*/\1/p' v.txt)
    records=$((records + ${r:-0}))
    files=$((files + 1))
done
[ "$files" -ge 2 ] || fail "the mid-stream ring did not rotate ($files files)"
[ "$records" -eq "$got" ] || fail "the ring holds $records records, the daemon received $got"

exit $((failures > 0))
