# lib.sh: what the CLI test scripts share, sourced after they have read
# their arguments: a temporary working directory (removed on exit) that
# becomes the current one, a failure counter, and the assertions.
# shellcheck shell=bash

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect_rc WANT CMD...: runs CMD (stdout to out.txt, stderr to err.txt).
expect_rc() {
    local want=$1 rc
    shift
    "$@" >out.txt 2>err.txt
    rc=$?
    [ "$rc" -eq "$want" ] || { fail "'$*' exited $rc, expected $want"; cat out.txt err.txt; }
}

# has_line FILE LINE: FILE holds exactly LINE.
has_line() {
    grep -Fxq -- "$2" "$1" || { fail "$1 has no line: $2"; cat "$1"; }
}

# has_text FILE TEXT: FILE contains TEXT.
has_text() {
    grep -Fq -- "$2" "$1" || fail "$1 does not contain: $2"
}

# profiles SRC: the profile names of the core's table (SRC/src/world.c), in
# its order, one per line: no test lists the profiles by hand.
profiles() {
    sed -n 's/^ *\[KEV_PROFILE_[A-Z0-9]*\] = {\.name = "\([a-z0-9]*\)".*/\1/p' "$1/src/world.c"
}

# well_formed FILE: XML that parses (xmllint, else python3).
well_formed() {
    if command -v xmllint >/dev/null 2>&1; then
        xmllint --noout "$1" || fail "$1 is not well-formed XML"
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1" ||
            fail "$1 is not well-formed XML"
    else
        echo "note: neither xmllint nor python3: $1 not parsed"
    fi
}
