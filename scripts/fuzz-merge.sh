#!/usr/bin/env bash
# scripts/fuzz-merge.sh: merges and minimizes corpora for one target
# (docs/fuzzing.md): libFuzzer -merge=1 keeps the smallest set of inputs
# that covers what all of them cover, resumable through a control file if
# killed; the kept inputs are renamed to the SHA-1 of their contents, and
# with --zip packed as TARGET_seed_corpus.zip (the OSS-Fuzz name).
#
# Usage: scripts/fuzz-merge.sh [--out OUT] [--zip ZIP] TARGET DEST SRC...
#   OUT: a libFuzzer build (default build/fuzz-libfuzzer, built when missing or older than the sources)
#   DEST: the minimized corpus folder (created; must be empty or missing)
#   SRC: corpus folders, e.g. a campaign's corpus, an AFL++ queue, each
#     machine's corpus of a campaign run on several, or a ClusterFuzzLite
#     storage repository's corpus/TARGET (docs/fuzzing.md, "Corpora")
# Exit: 0 done; 2 usage; else libFuzzer's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/fuzz-lib.sh
. "$root/scripts/fuzz-lib.sh"
usage() {
    sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//'
}
out=$root/build/fuzz-libfuzzer
zip=""
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out=$2; shift 2 ;;
    --zip) zip=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "fuzz-merge.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 3 ]; then
    usage >&2
    exit 2
fi
target=$1
dest=$2
shift 2
if [ -d "$dest" ] && [ -n "$(ls -A "$dest")" ]; then
    echo "fuzz-merge.sh: $dest is not empty" >&2
    exit 2
fi
if kev_fuzz_stale "$out/$target"; then bash "$root/scripts/fuzz-build.sh" libfuzzer address "$out"; fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
max_len=$(awk -v t="$target" '$1 == t { print $3 }' "$root/fuzz/targets.list")
# The legacy targets must not stop the merge at their first defect.
KEV_FUZZ_DEFECTS=none "$out/$target" -merge=1 -merge_control_file="$dest.merge-control" \
    -max_len="${max_len:-65536}" "$tmp" "$@" 2>"$dest.merge.log"
rm -f "$dest.merge-control"
for f in "$tmp"/*; do
    [ -f "$f" ] && cp "$f" "$dest/$(sha1sum "$f" | cut -c1-40)"
done
in=$(find "$@" -type f | wc -l)
kept=$(find "$dest" -type f | wc -l)
echo "fuzz-merge.sh: $target: $in inputs -> $kept in $dest"
if [ -n "$zip" ]; then
    python3 - "$dest" "$zip" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        with open(os.path.join(src, name), "rb") as f:
            z.writestr(info, f.read(), zipfile.ZIP_DEFLATED)
PY
    echo "fuzz-merge.sh: wrote $zip"
fi
