#!/usr/bin/env bash
# test_field_bugs.sh: docs/field-bugs.md runs. Every ```sh block of the
# page runs (bash -e, in a scratch directory where corpus/ and contrib/ are
# the repository's and kevrr is on PATH, as from the repository root), and
# its standard output must equal the ```text block that follows it, when
# one does. A block whose first line is "# needs tshark" is skipped
# without tshark. With --update the text blocks are rewritten from what
# the commands print (after a change the page should show).
#
# Usage: test_field_bugs.sh SOURCE_DIR KEVRR [--update]
set -u

src=${1:?usage: test_field_bugs.sh SOURCE_DIR KEVRR [--update]}
kevrr=${2:?usage: test_field_bugs.sh SOURCE_DIR KEVRR [--update]}
update=${3:-}
page=$src/docs/field-bugs.md
kevrr=$(cd "$(dirname "$kevrr")" && pwd)/$(basename "$kevrr")
. "$(dirname "$0")/lib.sh"
ln -s "$src/corpus" corpus
ln -s "$src/contrib" contrib
mkdir bin
ln -s "$kevrr" bin/kevrr
export PATH="$PWD/bin:$PATH" TZ=UTC LC_ALL=C HOME="$PWD"

# The blocks: blockN.sh, and blockN.want when a text block follows it.
mkdir blocks
awk -v dir=blocks '
    /^```sh$/ { n++; f = dir "/block" n ".sh"; printf "" > f; insh = 1; next }
    /^```text$/ && after == n && n > 0 { f = dir "/block" n ".want"; printf "" > f; intext = 1; next }
    /^```/ && (insh || intext) { if (insh) after = n; insh = intext = 0; close(f); next }
    insh || intext { print > f; next }
    /[^ ]/ { after = -1 }
' "$page"
n=$(ls blocks/*.sh 2>/dev/null | wc -l)
[ "$n" -ge 10 ] || fail "docs/field-bugs.md has $n sh blocks, expected at least 10"

for i in $(seq 1 "$n"); do
    b=blocks/block$i
    if head -1 "$b.sh" | grep -q '^# needs tshark' && ! command -v tshark >/dev/null 2>&1; then
        echo "skip: block $i needs tshark"
        cp "$b.want" "$b.got" 2>/dev/null
        continue
    fi
    if ! bash -e "$b.sh" >"$b.got" 2>"$b.err"; then
        fail "block $i exited non-zero:"
        cat "$b.sh" "$b.err"
        continue
    fi
    [ -z "$update" ] || continue
    if [ -e "$b.want" ] && ! cmp -s "$b.want" "$b.got"; then
        fail "block $i prints something else than the page shows:"
        cat "$b.sh"
        diff "$b.want" "$b.got"
    fi
done

if [ -n "$update" ] && [ "$failures" -eq 0 ]; then
    # The page again, each sh block followed by a text block of its output.
    awk -v dir=blocks '
        function emit_output(   line, f, got) {
            f = dir "/block" n ".got"; got = 0
            while ((getline line < f) > 0) {
                if (!got) print "\n```text"
                print line; got = 1
            }
            close(f)
            if (got) print "```"
        }
        /^```sh$/ { n++; insh = 1; print; next }
        /^```$/ && insh { insh = 0; print; emit_output(); skipping = 1; next }
        skipping && /^$/ { held = held "\n"; next }
        skipping && /^```text$/ { intext = 1; next }
        intext { if (/^```$/) { intext = 0; skipping = 0; held = "" } ; next }
        skipping { skipping = 0; printf "%s", held; held = "" }
        { print }
    ' "$page" >page.new
    cp page.new "$page"
    echo "updated $page"
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "test_field_bugs: $n blocks ran"
