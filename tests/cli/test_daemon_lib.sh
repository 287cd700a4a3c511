# test_daemon_lib.sh: what the kevmond tests share, sourced after lib.sh
# (which provides the working directory, fail and expect_rc) with $kevrr
# and $kevmond set. One daemon at a time: its pid in $dpid, its name (the
# state directory, NAME.in the source socket, NAME.log its stderr) in $dname.
# shellcheck shell=bash

# start_daemon NAME [OPTIONS...]: starts kevmond on unix:$PWD/NAME.in with
# state directory NAME and waits until it answers a ping (10 s at most).
start_daemon() {
    dname=$1
    shift
    "$kevmond" --state-dir "$dname" "$@" "unix:$PWD/$dname.in" 2>"$dname.log" &
    dpid=$!
    local i
    for i in $(seq 100); do
        "$kevrr" query --socket "$dname/kevmond.sock" ping >/dev/null 2>&1 && return 0
        kill -0 "$dpid" 2>/dev/null || break
        sleep 0.1
    done
    fail "kevmond $dname did not start"
    cat "$dname.log"
    return 1
}

# stop_daemon: SIGTERM, and the daemon must exit 0.
stop_daemon() {
    kill -TERM "$dpid"
    wait "$dpid"
    local rc=$?
    [ "$rc" -eq 0 ] || { fail "kevmond $dname exited $rc after SIGTERM"; cat "$dname.log"; }
}

# stat_of NAME KEY: the value of one stats line.
stat_of() {
    "$kevrr" query --socket "$1/kevmond.sock" stats 2>/dev/null | awk -v k="$2" '$1 == k { print $2 }'
}

# stat_is NAME KEY VALUE
stat_is() {
    local got
    got=$(stat_of "$1" "$2")
    [ "$got" = "$3" ] || fail "kevmond $1: stats $2 is '$got', expected '$3'"
}

# wait_batches NAME N: until the daemon has fed N batches (60 s at most).
wait_batches() {
    local i got=0
    [ -n "$2" ] || { fail "wait_batches $1: no count"; return 1; }
    for i in $(seq 600); do
        got=$(stat_of "$1" world.batches)
        [ "${got:-0}" -ge "$2" ] && return 0
        sleep 0.1
    done
    fail "kevmond $1 fed ${got:-0} batches, expected $2"
    return 1
}

# wait_for GLOB: until a file matches (10 s at most).
wait_for() {
    local i f
    for i in $(seq 100); do
        for f in $1; do
            [ -e "$f" ] && return 0
        done
        sleep 0.1
    done
    fail "nothing matches $1"
    return 1
}

# final_of REPORT: its final sections, "final t=" to "end".
final_of() {
    sed -n '/^final t=/,$p' "$1"
}

# untimed: a state without the lines that carry receive times (the final
# time, the message log), which a replay of the sent trace cannot share.
untimed() {
    grep -v -e '^final t=' -e '^  Plugin:KernelEventMonitor = '
}

# merge_replay DIR OUT: the ring files in DIR (flight.K.kev, in K order),
# merged into one trace and replayed; the final sections into OUT.
merge_replay() {
    local files
    files=$(ls "$1"/*.kev | sort -t. -k2,2n)
    # shellcheck disable=SC2086
    "$kevrr" merge $files -o "$2.kev" >/dev/null 2>merge.err || {
        fail "merge of $1: $(cat merge.err)"
        return 1
    }
    "$kevrr" replay "$2.kev" -o "$2.report" || fail "replay of $1's ring"
    final_of "$2.report" >"$2"
}
