#!/usr/bin/env bash
# scripts/fuzz-ttd.sh: the time-to-defect benchmark (docs/fuzzing.md): for
# every defect the legacy and ILP32 targets can reach, how long libFuzzer
# takes to report it, from an empty corpus and from the seeds, with and
# without the structure-aware mutator; the median over TRIALS trials of at
# most CAP seconds each, one process on one core (-jobs is not used).
#
# Each trial: KEV_FUZZ_DEFECTS=N (only DN aborts), KEV_MUTATOR=on|off,
# libFuzzer -seed=TRIAL -max_total_time=CAP with the target's dictionary
# and max_len, a fresh corpus folder (and the unzipped seeds for "seeds");
# the time is the wall-clock time until the process reported "kevrr
# defect DN (" (start-up and seed loading included), or CAP when it did
# not. A cell stops early once its median is decided: when more than half
# of its trials hit the cap, the median is the cap.
#
# The rows are the fuzz_legacy_PROFILE targets of fuzz/targets.list (row
# PROFILE) and the fuzz_ilp32_PROFILE ones (row PROFILE-ilp32); a row's
# defects are those of the regression traces corpus/regressions/dNN-*
# whose golden for that profile reports DN, replayed on LP64 for a legacy
# row and with --ilp32 (the trace's .opts) for an ILP32 row (D13, D14); not
# D18 (it needs an interface snapshot). A new target of either kind is
# measured with no change here.
#
# Usage: scripts/fuzz-ttd.sh [--cap S] [--trials N] [--only ROW:ID,...] OUT RESULTS
#   OUT: a libFuzzer build of the targets (scripts/fuzz-build.sh libfuzzer none OUT)
#   RESULTS: a TSV file, appended to: row, defect, corpus, mutator,
#     trial, seconds, found (a cell already there is skipped, so a killed
#     run resumes)
#        scripts/fuzz-ttd.sh [--cap S] [--trials N] --table RESULTS: the markdown table
# Exit: 0 done; 2 usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

cap=60
trials=5
only=""
# target_of ROW: the target of a row (above).
target_of() {
    case "$1" in
    *-ilp32) echo "fuzz_ilp32_${1%-ilp32}" ;;
    *) echo "fuzz_legacy_$1" ;;
    esac
}

# defects_of ROW: the defect ids ROW's target can reach (above).
defects_of() {
    local k b n ilp32 want=0 profile=${1%-ilp32}
    [ "$profile" = "$1" ] || want=1
    for k in "$root"/corpus/regressions/d[0-9][0-9]-*.kev; do
        b=${k%.kev}
        n=$((10#$(basename "$b" | cut -c2-3)))
        [ "$n" -ne 18 ] || continue
        ilp32=0
        if [ -f "$b.opts" ] && grep -q -- --ilp32 "$b.opts"; then
            ilp32=1
        fi
        [ "$ilp32" -eq "$want" ] || continue
        if [ -f "$b.$profile.report" ] && grep -q "^  defect D$n " "$b.$profile.report"; then
            echo "$n"
        fi
    done | sort -un
}

# table RESULTS: one row per defect and profile, one column per condition:
# the median in seconds ("≥ CAP" when it is the cap) and the trials found.
table() {
    python3 - "$1" "$cap" "$trials" <<'PY'
import sys, collections, re
cells = collections.defaultdict(list)
cap, trials = float(sys.argv[2]), int(sys.argv[3])
for line in open(sys.argv[1]):
    p, d, corpus, mut, trial, sec, found = line.split()
    cells[(p, int(d), corpus, mut)].append((float(sec), found == "1"))
conds = [("empty", "on"), ("empty", "off"), ("seeds", "on"), ("seeds", "off")]
print("| profile | defect | " + " | ".join(f"{c} corpus, mutator {m}" for c, m in conds) + " |")
print("|---|---|" + "---|" * len(conds))
rows = sorted({(p, d) for p, d, _, _ in cells},
              key=lambda r: (int(re.sub(r"\D", "", r[0]) or 0), r[1]))
for p, d in rows:
    out = []
    for c, m in conds:
        t = cells.get((p, d, c, m))
        if not t:
            out.append("–")
            continue
        found = sum(f for _, f in t)
        # Trials left out by the early stop count as capped, not found.
        padded = sorted(t + [(cap, False)] * (trials - len(t)))
        med, med_found = padded[len(padded) // 2]
        mark = "" if med_found else "≥ "
        out.append(f"{mark}{med:.1f} s ({found}/{len(t)})")
    print(f"| {p} | D{d} | " + " | ".join(out) + " |")
PY
}

while [ $# -gt 0 ]; do
    case "$1" in
    --cap) cap=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --table) table "$2"; exit 0 ;;
    -h | --help) sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz-ttd.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -ne 2 ]; then
    echo "usage: scripts/fuzz-ttd.sh [--cap S] [--trials N] [--only ROW:ID,...] OUT RESULTS" >&2
    exit 2
fi
out=$(cd "$1" && pwd)
results=$2
touch "$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# trial PROFILE ID CORPUS MUTATOR N: one run; prints "SECONDS FOUND".
trial() {
    local name t dir=$tmp/run start end found=0 extra=() max_len
    name=$(target_of "$1")
    t=$out/$name
    max_len=$(awk -v t="$name" '$1 == t { print $3 }' "$root/fuzz/targets.list")
    rm -rf "$dir" && mkdir -p "$dir/corpus"
    if [ "$3" = seeds ]; then
        extra=("$tmp/seeds_$1")
    fi
    start=$(date +%s.%N)
    KEV_FUZZ_DEFECTS=$2 KEV_MUTATOR=$4 timeout $((cap + 30)) "$t" -seed="$5" \
        -max_total_time="$cap" -timeout=10 -max_len="$max_len" -dict="$t.dict" \
        -artifact_prefix="$dir/" -print_final_stats=0 "$dir/corpus" ${extra[@]+"${extra[@]}"} \
        >"$dir/log" 2>&1 || true
    end=$(date +%s.%N)
    if grep -q "^kevrr defect D$2 (" "$dir/log"; then
        found=1
    fi
    python3 -c "import sys; print(f'{min(float(sys.argv[2]) - float(sys.argv[1]), $cap):.2f}', '$found')" "$start" "$end"
}

profiles=$(awk '$1 ~ /^fuzz_legacy_/ { sub(/^fuzz_legacy_/, "", $1); print $1 }
    $1 ~ /^fuzz_ilp32_/ { sub(/^fuzz_ilp32_/, "", $1); print $1 "-ilp32" }' \
    "$root/fuzz/targets.list")
for p in $profiles; do
    mkdir -p "$tmp/seeds_$p"
    (cd "$tmp/seeds_$p" && python3 -m zipfile -e "$out/$(target_of "$p")_seed_corpus.zip" .)
    for d in $(defects_of "$p"); do
        if [ -n "$only" ] && [[ ",$only," != *",$p:$d,"* ]]; then
            continue
        fi
        for cond in "empty on" "empty off" "seeds on" "seeds off"; do
            read -r corpus mut <<<"$cond"
            if grep -q "^$p	$d	$corpus	$mut	" "$results"; then
                continue
            fi
            capped=0
            for n in $(seq 1 "$trials"); do
                read -r sec found < <(trial "$p" "$d" "$corpus" "$mut" "$n")
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$d" "$corpus" "$mut" "$n" "$sec" \
                    "$found" >>"$results"
                echo "ttd: $p D$d $corpus mutator=$mut trial $n: ${sec}s found=$found" >&2
                [ "$found" = 1 ] || capped=$((capped + 1))
                if [ $((capped * 2)) -gt "$trials" ]; then
                    break
                fi
            done
        done
    done
done
table "$results"
