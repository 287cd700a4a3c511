#!/usr/bin/env bash
# test_doctest.sh SRC BUILD: the doc-test runner (doctest.py) itself, on a
# document made for it: a good example passes, a wrong path fails (the
# point of it all), marks skip, need a tool, expect a status; transcripts
# run their "$ " lines only; a background job does not outlive its block.
set -u
src=$1
build=$2
# shellcheck source=lib.sh
. "$src/tests/cli/lib.sh"

{
    echo '# A document'
    echo '```sh'
    echo 'kevrr gen boot.scn -o ok.kev && kevrr verify ok.kev'
    echo '```'
    echo '```'
    echo '$ kevrr info ok.kev'
    echo 'trace:   ok.kev (output, not run)'
    echo '```'
    echo '```sh'
    echo 'kevrr replay corpus/goldens/boot.kev     # a path that does not exist'
    echo '```'
    echo '<!-- doctest: skip: a Mac only -->'
    echo '```sh'
    echo 'kevrr capture -i pf_system -o cap.kev'
    echo '```'
    echo '<!-- doctest: needs: no-such-tool-kevrr -->'
    echo '```sh'
    echo 'no-such-tool-kevrr --flag'
    echo '```'
    echo '<!-- doctest: exit: 1 -->'
    echo '```'
    echo '$ kevrr verify flip.kev'
    echo '```'
    echo '```sh'
    echo 'sleep 300 &'
    echo 'echo $! >"$HOME/bg.pid"; cp "$HOME/bg.pid" /tmp/kevrr-doctest-bg.$PPID'
    echo '```'
    echo '```'
    echo 'kevrr replay not-a-command-example.kev'
    echo '```'
} >doc.md
expect_rc 1 python3 "$src/tests/cli/doctest.py" "$src" "$build" "$PWD/doc.md"
has_text out.txt "ok   doc.md:2"
has_text out.txt "ok   doc.md:5"
has_text out.txt "FAIL doc.md:9: exited 3, expected 0"
has_text out.txt "kevrr replay: cannot open corpus/goldens/boot.kev: No such file or directory"
has_text out.txt "skip doc.md:13 (a Mac only)"
has_text out.txt "skip doc.md:17 (needs no-such-tool-kevrr, not installed here)"
has_text out.txt "ok   doc.md:21"
has_text out.txt "ok   doc.md:24"
has_text out.txt "doc.md: 4 block(s) ran, 2 skipped, 1 failed"
grep -q "not-a-command-example" out.txt && fail "a block without commands was run"
# The background job of doc.md:24 was killed with its block.
for f in /tmp/kevrr-doctest-bg.*; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    rm -f "$f"
    state=$(ps -o stat= -p "$pid" 2>/dev/null)
    if [ -n "$state" ] && [ "${state#Z}" = "$state" ]; then   # a zombie is dead
        fail "the example's background job ($pid) outlived its block"
        kill "$pid"
    fi
done

# An unknown mark is an error, not a silent pass.
printf '<!-- doctest: sikp: typo -->\n```sh\ntrue\n```\n' >bad.md
expect_rc 1 python3 "$src/tests/cli/doctest.py" "$src" "$build" "$PWD/bad.md"
has_text out.txt "unknown doctest mark 'sikp'"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "doc-test runner checks passed"
