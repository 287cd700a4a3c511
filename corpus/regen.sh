#!/usr/bin/env bash
# corpus/regen.sh: regenerates the regression corpus from its scenarios, or
# checks that it is up to date (corpus/README.md).
#
# Every corpus/DIR/NAME.scn has next to it the trace NAME.kev (`kevrr gen`)
# and one golden report per profile of the core's table (src/world.c),
# NAME.PROFILE.report (`kevrr replay
# --update`), replayed with the options of NAME.opts when that sidecar
# exists. A file is replaced only when its bytes change, so running the
# script twice changes nothing, and traces, goldens and sidecars left
# without a scenario are removed.
#
# With --check nothing is written: it fails when a trace differs from what
# gen makes of its scenario now, when a golden or a scenario is missing, a
# file has no scenario, a sidecar holds an option replay should not get,
# or corpus/codes/ does not hold exactly one scenario per row of the event
# table (src/events.c) whose trace carries that event. CTest runs it as
# corpus.traces-match-scenarios; the goldens themselves are checked by the
# corpus.DIR.NAME.PROFILE tests.
#
# Usage: corpus/regen.sh [--check] [KEVRR]
#   KEVRR: the kevrr binary (default: build/default/replay/kevrr).
# Exit: 0 done (or up to date); 1 --check found a difference; 2 usage;
# 3 a scenario does not compile or a replay failed.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
check=0
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
case "${1:-}" in
-*)
    echo "usage: corpus/regen.sh [--check] [KEVRR]" >&2
    exit 2
    ;;
esac
kevrr=${1:-$root/build/default/replay/kevrr}
if [ ! -x "$kevrr" ]; then
    echo "regen.sh: $kevrr: not an executable (build first)" >&2
    exit 2
fi
if [ "$check" -eq 0 ] && ! "$kevrr" replay --help >/dev/null 2>&1; then
    echo "regen.sh: $kevrr has no replay command" >&2
    exit 2
fi

export LC_ALL=C
# The profiles: the names of the core's profile table, in its order.
profiles=$(sed -n 's/^ *\[KEV_PROFILE_[A-Z0-9]*\] = {\.name = "\([a-z0-9]*\)".*/\1/p' \
    "$root/src/world.c" | tr '\n' ' ')
if [ -z "$profiles" ]; then
    echo "regen.sh: no profiles found in src/world.c" >&2
    exit 2
fi
corpus=$root/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
changed=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# opts_of SCN: prints the replay options of SCN's sidecar, one per line.
# The sidecar holds options separated by blanks; '#' starts a comment.
opts_of() {
    local sidecar=${1%.scn}.opts
    [ -f "$sidecar" ] || return 0
    sed -e 's/#.*//' "$sidecar" | tr -s ' \t' '\n' | sed '/^$/d'
}

# check_opts SCN: the sidecar holds only options that select what the core
# emulates (the others belong to the test, not to the corpus).
check_opts() {
    local want_value=0 o sidecar=${1%.scn}.opts
    sidecar=${sidecar#"$root"/}
    while read -r o; do
        if [ "$want_value" -eq 1 ]; then
            case "$o" in
            [0-9]*) ;;
            *) fail "$sidecar: --recv-buffer needs a number, not '$o'" ;;
            esac
            want_value=0
            continue
        fi
        case "$o" in
        --ilp32 | --verbose) ;;
        --recv-buffer) want_value=1 ;;
        *) fail "$sidecar: '$o' is not a corpus option (--ilp32, --verbose, --recv-buffer N)" ;;
        esac
    done < <(opts_of "$1")
    [ "$want_value" -eq 0 ] || fail "$sidecar: --recv-buffer needs a number"
}

# put NEW DEST: moves NEW to DEST when the bytes differ (or DEST is missing).
put() {
    if [ -f "$2" ] && cmp -s "$1" "$2"; then
        return 0
    fi
    mv -f "$1" "$2"
    echo "regen.sh: wrote ${2#"$root"/}"
    changed=$((changed + 1))
}

# The scenarios, in a fixed order.
scenarios=()
while IFS= read -r f; do
    scenarios+=("$f")
done < <(find "$corpus" -mindepth 2 -maxdepth 2 -name '*.scn' | sort)
if [ ${#scenarios[@]} -eq 0 ]; then
    echo "regen.sh: no scenarios under $corpus" >&2
    exit 3
fi

for scn in "${scenarios[@]}"; do
    base=${scn%.scn}
    rel=${base#"$root"/}
    name=$(basename "$base")
    trace=$base.kev
    # Each scenario into its own folder: gen names the source after the
    # scenario's file name, which must stay NAME.scn.
    work=$tmp/$(basename "$(dirname "$scn")")/$name
    mkdir -p "$work"
    if ! "$kevrr" gen "$scn" -o "$work/$name.kev" 2>"$tmp/err"; then
        echo "regen.sh: $rel.scn: $(cat "$tmp/err")" >&2
        exit 3
    fi
    check_opts "$scn"
    if [ "$check" -eq 0 ] && [ "$failures" -ne 0 ]; then
        exit 3
    fi
    opts=()
    while read -r o; do opts+=("$o"); done < <(opts_of "$scn")

    if [ "$check" -eq 1 ]; then
        if [ ! -f "$trace" ]; then
            fail "$rel.kev is missing (run corpus/regen.sh)"
        elif ! cmp -s "$work/$name.kev" "$trace"; then
            fail "$rel.kev differs from what 'kevrr gen $rel.scn' makes now (run corpus/regen.sh)"
        fi
        for p in $profiles; do
            [ -f "$base.$p.report" ] || fail "$rel.$p.report is missing (run corpus/regen.sh)"
        done
        continue
    fi

    put "$work/$name.kev" "$trace"
    for p in $profiles; do
        golden=$base.$p.report
        new=$work/$name.$p.report
        if ! "$kevrr" replay -q --profile "$p" ${opts[@]+"${opts[@]}"} --update \
            --expect "$new" "$trace" 2>"$tmp/err"; then
            echo "regen.sh: $rel.kev ($p): $(cat "$tmp/err")" >&2
            exit 3
        fi
        put "$new" "$golden"
    done
done

# Files without a scenario: traces, goldens, sidecars.
while IFS= read -r f; do
    case "$f" in
    *.kev) base=${f%.kev} ;;
    *.opts) base=${f%.opts} ;;
    *.report) base=${f%.*.report} ;;
    esac
    if [ ! -f "$base.scn" ]; then
        if [ "$check" -eq 1 ]; then
            fail "${f#"$root"/} has no scenario ${base#"$root"/}.scn"
        else
            rm -f "$f"
            echo "regen.sh: removed ${f#"$root"/} (no scenario)"
            changed=$((changed + 1))
        fi
    fi
done < <(find "$corpus" -mindepth 2 -maxdepth 2 \
    \( -name '*.kev' -o -name '*.opts' -o -name '*.report' \) | sort)
if [ "$check" -eq 1 ]; then
    # A golden for a profile that does not exist.
    while IFS= read -r f; do
        p=${f%.report}
        p=${p##*.}
        case " $profiles " in
        *" $p "*) ;;
        *) fail "${f#"$root"/}: unknown profile '$p'" ;;
        esac
    done < <(find "$corpus" -mindepth 2 -maxdepth 2 -name '*.report' | sort)
fi

# corpus/regressions/dNN-*: a faithful golden (any profile but hardened)
# still reports defect DNN, so
# that a regeneration cannot quietly accept a core that no longer
# reproduces it.
for scn in "$corpus"/regressions/d[0-9][0-9]-*.scn; do
    [ -f "$scn" ] || continue
    base=${scn%.scn}
    nn=$(basename "$base")
    nn=$((10#${nn:1:2}))
    goldens=()
    for p in $profiles; do
        [ "$p" = hardened ] || goldens+=("$base.$p.report")
    done
    if ! cat "${goldens[@]}" 2>/dev/null | grep -q "^  defect D$nn "; then
        if [ "$check" -eq 1 ]; then
            fail "${base#"$root"/}: no faithful profile reports D$nn"
        else
            echo "regen.sh: warning: ${base#"$root"/}: no faithful profile reports D$nn" >&2
        fi
    fi
done

# corpus/codes/: one scenario per row of the event table, named
# SUBCLASS-NN-NAME after the row's KEV_SUBCLASS_NAME and code NN, whose
# trace carries that event. The names come from src/events.c: the second
# argument of a row macro, or the quoted name of the rows that spell it.
if [ "$check" -eq 1 ] && [ -f "$root/src/events.c" ]; then
    sed -n '/^static const kev_event_def table\[\] = {/,/^};/p' "$root/src/events.c" |
        grep -E '^[[:space:]]*([A-Z0-9_]+\(|\{)[A-Z][A-Z0-9_]*,' |
        while IFS= read -r row; do
            q=$(printf '%s\n' "$row" | grep -oE '"KEV_[A-Z0-9_]+"' | head -n 1 | tr -d '"')
            if [ -z "$q" ]; then
                q=$(printf '%s\n' "$row" | sed -E 's/^[^(]*\([[:space:]]*[A-Z0-9_]+,[[:space:]]*(KEV_[A-Z0-9_]+).*/\1/')
            fi
            printf '%s\n' "$q"
        done | sort >"$tmp/table"
    for scn in "$corpus"/codes/*.scn; do
        name=$(basename "$scn" .scn)
        sub=${name%%-*}
        rest=${name#*-}
        nn=${rest%%-*}
        ev=KEV_$(printf '%s_%s' "$sub" "${rest#*-}" | tr 'a-z-' 'A-Z_')
        printf '%s\n' "$ev" >>"$tmp/files"
        case "$nn" in
        [0-9][0-9]) ;;
        *)
            fail "corpus/codes/$name.scn: not named SUBCLASS-NN-NAME"
            continue
            ;;
        esac
        if [ -f "${scn%.scn}.kev" ] &&
            ! "$kevrr" info --format json "${scn%.scn}.kev" |
            grep -Fq "\"event_code\":$((10#$nn)),\"name\":\"$ev\""; then
            fail "corpus/codes/$name.kev has no $ev with code $((10#$nn))"
        fi
    done
    sort -o "$tmp/files" "$tmp/files"
    rows=$(wc -l <"$tmp/table")
    [ "$rows" -gt 0 ] || fail "src/events.c: no table rows found"
    comm -23 "$tmp/table" "$tmp/files" | while read -r ev; do
        echo "FAIL: corpus/codes/ has no scenario for $ev (a row of src/events.c)"
    done
    comm -13 "$tmp/table" "$tmp/files" | while read -r ev; do
        echo "FAIL: corpus/codes/ names $ev, which src/events.c does not know"
    done
    if ! cmp -s "$tmp/table" "$tmp/files"; then
        failures=$((failures + 1))
    fi
fi

if [ "$check" -eq 1 ]; then
    if [ "$failures" -ne 0 ]; then
        echo "regen.sh --check: $failures problem(s)"
        exit 1
    fi
    echo "regen.sh --check: ${#scenarios[@]} scenarios, traces and goldens up to date"
    exit 0
fi
echo "regen.sh: ${#scenarios[@]} scenarios, $changed file(s) changed"
