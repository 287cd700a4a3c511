#!/usr/bin/env bash
# scripts/fuzz-triage.sh: groups the crash files of campaigns by target and
# cause, keeps one representative per group and prints the counts
# (docs/fuzzing.md, "From a crash to a regression").
#
# Usage: scripts/fuzz-triage.sh [--target T] [--defects LIST] [--bin DIR]
#                               [--keep DIR] [--timeout S] CRASH|DIR...
#   CRASH|DIR      crash files, or folders searched for them: libFuzzer's
#                  crash-*, leak-*, timeout-*, oom-*, slow-unit-* and AFL++'s
#                  crashes/id:* (e.g. build/fuzz-campaign/TARGET/artifacts,
#                  build/fuzz-campaign/TARGET-afl, or build/fuzz-campaign)
#   --target T     the target of every file (default: the fuzz_* name of
#                  fuzz/targets.list in the file's path, as the campaign
#                  scripts lay them out)
#   --defects LIST KEV_FUZZ_DEFECTS for the legacy targets (default: the
#                  campaign's, from campaign.env in a folder above the file,
#                  else all)
#   --bin DIR      the builds that replay a file (a regression-mode or
#                  libFuzzer binary DIR/TARGET; default build/asan-ubsan/fuzz,
#                  with ASan and UBSan, else build/default/fuzz)
#   --keep DIR     copy each group's representative to DIR/TARGET/NAME,
#                  NAME after its cause (dNN-CODE-SHA8 for a defect)
#   --timeout S    a replay that runs longer is a timeout (default 25)
# The cause of a file is the first line its replay prints that says what
# went wrong: "kevrr defect DN (CODE)", "kevrr invariant: ..." (numbers and
# names blanked), a sanitizer's report (its kind and the first three frames
# of our code: ASan, LSan, MSan, UBSan's file:line), a timeout, or "does not
# reproduce". The representative is the smallest file of the group.
# Exit: 0 done (whatever was found); 2 usage; 3 no binary to replay with.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
    sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//'
}
target_opt=""
defects_opt=""
bin_opt=""
keep=""
tmo=25
while [ $# -gt 0 ]; do
    case "$1" in
    --target) target_opt=${2:?}; shift 2 ;;
    --defects) defects_opt=${2:?}; shift 2 ;;
    --bin) bin_opt=${2:?}; shift 2 ;;
    --keep) keep=${2:?}; shift 2 ;;
    --timeout) tmo=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "fuzz-triage.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 1 ]; then
    usage >&2
    exit 2
fi
targets=$(awk '!/^#/ && NF { print $1 }' "$root/fuzz/targets.list")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The crash files named or found.
for a in "$@"; do
    if [ -d "$a" ]; then
        find "$a" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
            -o -name 'oom-*' -o -name 'slow-unit-*' -o -path '*/crashes/id:*' \
            -o -path '*/hangs/id:*' \)
    elif [ -f "$a" ]; then
        echo "$a"
    else
        echo "fuzz-triage.sh: $a: no such file or folder" >&2
        exit 2
    fi
done | LC_ALL=C sort -u >"$tmp/files"

# target_of FILE: --target, else the first component of FILE's path that
# is a target's name (TARGET or TARGET-afl, as the campaigns name folders).
target_of() {
    if [ -n "$target_opt" ]; then
        echo "$target_opt"
        return
    fi
    local p c
    p=$(cd "$(dirname "$1")" && pwd)
    IFS=/ read -r -a parts <<<"$p"
    for ((i = ${#parts[@]} - 1; i >= 0; i--)); do
        c=${parts[i]%-afl}
        if grep -qx "$c" <<<"$targets"; then
            echo "$c"
            return
        fi
    done
}

# defects_of FILE: --defects, else KEV_FUZZ_DEFECTS of the nearest
# campaign.env above FILE, else all.
defects_of() {
    if [ -n "$defects_opt" ]; then
        echo "$defects_opt"
        return
    fi
    local d
    d=$(cd "$(dirname "$1")" && pwd)
    while [ "$d" != / ]; do
        if [ -f "$d/campaign.env" ]; then
            sed -n 's/^KEV_FUZZ_DEFECTS=//p' "$d/campaign.env"
            return
        fi
        d=$(dirname "$d")
    done
    echo all
}

bin_of() {
    local d
    for d in $bin_opt "$root/build/asan-ubsan/fuzz" "$root/build/default/fuzz"; do
        if [ -x "$d/$1" ]; then
            echo "$d/$1"
            return
        fi
    done
}

# cause LOG RC: one line naming what LOG (a replay's output) shows.
cause() {
    local log=$1 rc=$2 k
    if [ "$rc" -eq 124 ]; then
        echo "timeout (over ${tmo}s)"
        return
    fi
    k=$(grep -m1 -oE '^kevrr defect D[0-9]+ \([a-z0-9-]+\)' "$log" || true)
    if [ -n "$k" ]; then
        echo "${k#kevrr }"
        return
    fi
    k=$(grep -m1 '^kevrr invariant: ' "$log" || true)
    if [ -n "$k" ]; then
        # The kind of violation, not its values.
        echo "${k#kevrr }" | sed -E 's/"[^"]*"/"…"/g; s/[0-9]+/N/g' | cut -c1-90
        return
    fi
    k=$(grep -m1 -oE 'runtime error: .*' "$log" || true)
    if [ -n "$k" ]; then
        local at
        at=$(grep -m1 -oE '[^ /]+\.c:[0-9]+:[0-9]+: runtime error' "$log" | sed 's/: runtime error//' || true)
        echo "UBSan ${at:-?}: $(echo "${k#runtime error: }" | sed -E "s/'[^']*'/'…'/g; s/-?[0-9]+/N/g" | cut -c1-60)"
        return
    fi
    k=$(grep -m1 -oE '(AddressSanitizer|MemorySanitizer|LeakSanitizer|ThreadSanitizer): [a-zA-Z-]+' "$log" || true)
    if [ -n "$k" ]; then
        local frames
        frames=$(grep -E '^ *#[0-9]+ 0x[0-9a-f]+ in ' "$log" |
            sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in ([^ ]+).*/\1/' |
            grep -vE '^(__asan|__msan|__lsan|__ubsan|__sanitizer|__interceptor|_?_?GI_|fuzzer::|main$|__libc|_start|abort|raise|malloc|calloc|realloc|free|memcpy|memmove|memset|strlen|LLVMFuzzerTestOneInput)' |
            head -n 3 | paste -sd '<' - | sed 's/</ < /g')
        echo "${k/: / } in ${frames:-?}"
        return
    fi
    if [ "$rc" -eq 0 ]; then
        echo "does not reproduce"
    else
        echo "exit $rc without a report"
    fi
}

n=0
: >"$tmp/rows"
while IFS= read -r f; do
    [ -n "$f" ] || continue
    case "$(basename "$f")" in README.txt) continue ;; esac
    t=$(target_of "$f")
    if [ -z "$t" ]; then
        echo "fuzz-triage.sh: $f: no target in its path (--target)" >&2
        exit 2
    fi
    b=$(bin_of "$t")
    if [ -z "$b" ]; then
        echo "fuzz-triage.sh: no build of $t (cmake --build --preset asan-ubsan, or --bin DIR)" >&2
        exit 3
    fi
    d=$(defects_of "$f")
    rc=0
    # The group's stderr takes bash's own "Aborted ..." line for each crash.
    { KEV_FUZZ_DEFECTS=$d ASAN_OPTIONS=detect_leaks=1:symbolize=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        timeout "$tmo" "$b" "$f" >"$tmp/log" 2>&1 </dev/null; } 2>/dev/null || rc=$?
    c=$(cause "$tmp/log" "$rc")
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$c" "$(wc -c <"$f")" "$f" "$d" >>"$tmp/rows"
    n=$((n + 1))
done <"$tmp/files"
if [ "$n" -eq 0 ]; then
    echo "fuzz-triage.sh: no crash files in $*"
    exit 0
fi

python3 - "$tmp/rows" "$keep" "$root" <<'PY'
import collections, hashlib, os, re, shutil, sys
rows, keep, root = sys.argv[1], sys.argv[2], sys.argv[3]
groups = collections.defaultdict(list)
for line in open(rows, encoding="utf-8"):
    t, cause, size, path, defects = line.rstrip("\n").split("\t")
    groups[(t, cause)].append((int(size), path, defects))
files = sum(len(v) for v in groups.values())
targets = len({t for t, _ in groups})
print(f"fuzz-triage: {files} crash file(s), {targets} target(s), {len(groups)} group(s)")
order = sorted(groups, key=lambda k: (k[0], -len(groups[k]), k[1]))
w = max(len(c) for _, c in order)
print(f"{'target':18} {'files':>5}  {'cause':{w}}  representative")
def rel(p):
    p = os.path.abspath(p)
    return os.path.relpath(p) if not os.path.relpath(p).startswith("../..") else p
nexts = []
for t, c in order:
    g = sorted(groups[(t, c)])
    size, rep, defects = g[0]
    print(f"{t:18} {len(g):5d}  {c:{w}}  {rel(rep)} ({size} bytes)")
    sha = hashlib.sha1(open(rep, "rb").read()).hexdigest()[:8]
    m = re.match(r"defect D(\d+) \(([a-z0-9-]+)\)", c)
    if m:
        name = f"d{int(m.group(1)):02d}-{m.group(2)}-{sha}"
        nexts.append(f"scripts/fuzz-regress.sh --defect {m.group(1)} {t} {rel(rep)}")
    elif c == "does not reproduce":
        name = f"unreproduced-{sha}"
    else:
        slug = re.sub(r"[^a-z0-9]+", "-", c.lower()).strip("-")[:40].strip("-")
        name = f"{slug}-{sha}"
        nexts.append(f"scripts/fuzz-regress.sh {t} {rel(rep)}")
    if keep:
        os.makedirs(os.path.join(keep, t), exist_ok=True)
        shutil.copyfile(rep, os.path.join(keep, t, name))
if keep:
    print(f"representatives copied to {keep}/TARGET/")
if nexts:
    print("next, one group at a time (docs/fuzzing.md):")
    for n in nexts:
        print("  " + n)
PY
