#!/usr/bin/env bash
# fuzz/make-seeds.sh: the seed corpora of the fuzz targets, made from the
# corpus traces with `kevrr export` (docs/fuzzing.md, "Seeds").
#
# For every target of fuzz/targets.list, by its input form:
#   single: every batch of every trace (`kevrr export -o`);
#   multi:  every trace as one multi-batch input (`kevrr export --multi`);
#   trace:  the .kev files themselves.
# Seeds come from corpus/{codes,scenarios,examples}: they are named by the
# SHA-1 of their contents (duplicates collapse) in OUT/seeds/TARGET/ and
# packed as OUT/TARGET_seed_corpus.zip (flat, sorted, fixed timestamps: the
# zip depends only on the corpus). The traces of corpus/regressions go to
# OUT/regressions/TARGET/ instead, named after the trace (NAME.bin, or
# NAME-NNNNNN.bin for its batch NNNNNN; NAME.kev), never into a seed zip:
# they are the past findings CI replays, and in a seed corpus they would
# hand the fuzzers every defect at start-up. So do the inputs kept in
# fuzz/regressions/TARGET/ (scripts/fuzz-regress.sh).
#
# Usage: fuzz/make-seeds.sh KEVRR CORPUS_DIR OUT [TARGETS_LIST]
# Exit: 0 done; 2 usage; 3 an export failed.
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: fuzz/make-seeds.sh KEVRR CORPUS_DIR OUT [TARGETS_LIST]" >&2
    exit 2
fi
kevrr=$1
corpus=$2
out=$3
list=${4:-$(dirname "$0")/targets.list}
export LC_ALL=C

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out/seeds" "$out/regressions"
mkdir -p "$out/seeds" "$out/regressions"

# export_trace KEV FORM DEST BASE: writes KEV's inputs of FORM into DEST,
# named BASE.bin / BASE-NNNNNN.bin / BASE.kev.
export_trace() {
    local kev=$1 form=$2 dest=$3 base=$4 f
    case "$form" in
    single)
        rm -rf "$tmp/x"
        "$kevrr" export "$kev" -o "$tmp/x" 2>/dev/null || exit 3
        for f in "$tmp"/x/batch-*.bin; do
            [ -f "$f" ] || continue
            f=${f##*/batch-}
            cp "$tmp/x/batch-$f" "$dest/$base-$f"
        done
        ;;
    multi) "$kevrr" export "$kev" --multi "$dest/$base.bin" 2>/dev/null || exit 3 ;;
    trace) cp "$kev" "$dest/$base.kev" ;;
    *)
        echo "make-seeds.sh: $list: unknown input form '$form'" >&2
        exit 2
        ;;
    esac
}

# sha1_names DIR DEST: copies the files of DIR into DEST named by SHA-1.
sha1_names() {
    local f
    for f in "$1"/*; do
        [ -f "$f" ] || continue
        cp "$f" "$2/$(sha1sum "$f" | cut -c1-40)"
    done
}

# zip_dir DIR ZIP: a flat zip of DIR's files, sorted, timestamps fixed.
zip_dir() {
    python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(src, name), "rb") as f:
            z.writestr(info, f.read())
os.replace(dst + ".tmp", dst)
PY
}

seeds=0
while read -r name form _; do
    case "$name" in '' | '#'*) continue ;; esac
    rm -rf "$tmp/all"
    mkdir -p "$tmp/all" "$out/seeds/$name" "$out/regressions/$name"
    for kev in "$corpus"/*/*.kev; do
        group=$(basename "$(dirname "$kev")")
        base=$(basename "$kev" .kev)
        if [ "$group" = regressions ]; then
            export_trace "$kev" "$form" "$out/regressions/$name" "$base"
        else
            export_trace "$kev" "$form" "$tmp/all" "$group-$base"
        fi
    done
    # Findings kept as they were found (scripts/fuzz-regress.sh).
    if [ -d "$corpus/../fuzz/regressions/$name" ]; then
        cp "$corpus/../fuzz/regressions/$name"/* "$out/regressions/$name/" 2>/dev/null || true
    fi
    sha1_names "$tmp/all" "$out/seeds/$name"
    if command -v python3 >/dev/null 2>&1; then
        zip_dir "$out/seeds/$name" "$out/${name}_seed_corpus.zip"
    fi
    seeds=$((seeds + $(find "$out/seeds/$name" -type f | wc -l)))
done <"$list"
echo "make-seeds.sh: $seeds seed file(s) in $out/seeds"
