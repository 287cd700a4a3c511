#!/usr/bin/env bash
# fuzz/make-seeds.sh: the seed corpora of the fuzz targets, made from the
# corpus traces with `kevrr export` (docs/fuzzing.md, "Seeds").
#
# For every target of fuzz/targets.list, by its input form:
#   single: every batch of every trace (`kevrr export -o`);
#   multi:  every trace as one multi-batch input (`kevrr export --multi -o`);
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

# The forms the targets use.
forms=$(awk '!/^#/ && NF { print $2 }' "$list" | sort -u)
for form in $forms; do
    case "$form" in single | multi | trace) ;; *)
        echo "make-seeds.sh: $list: unknown input form '$form'" >&2
        exit 2
        ;;
    esac
done
# One `kevrr export` per trace, for every form at once: the single-batch
# files in $tmp/single/GROUP/BASE/, the multi-batch file
# $tmp/multi/GROUP/BASE.bin.
for kev in "$corpus"/*/*.kev; do
    group=$(basename "$(dirname "$kev")")
    base=$(basename "$kev" .kev)
    if grep -qx single <<<"$forms"; then
        mkdir -p "$tmp/single/$group"
        "$kevrr" export "$kev" -o "$tmp/single/$group/$base" 2>/dev/null || exit 3
    fi
    if grep -qx multi <<<"$forms"; then
        mkdir -p "$tmp/multi/$group"
        "$kevrr" export "$kev" --multi -o "$tmp/multi/$group/$base.bin" 2>/dev/null || exit 3
    fi
done

# The rest in one process: per form the seeds named by SHA-1 and their zip
# (flat, sorted, fixed timestamps: the zip depends only on the corpus) and
# the regression inputs named after their trace; per target a copy, plus
# the findings kept as found in fuzz/regressions/TARGET/.
python3 - "$corpus" "$out" "$tmp" "$list" <<'PY'
import hashlib, os, shutil, sys, zipfile
corpus, out, tmp, listfile = sys.argv[1:5]

def inputs(form):
    """(group, name, path) of every input of `form`."""
    for kev in sorted(os.listdir(corpus)):
        gdir = os.path.join(corpus, kev)
        if not os.path.isdir(gdir):
            continue
        for f in sorted(os.listdir(gdir)):
            if not f.endswith(".kev"):
                continue
            base = f[:-4]
            if form == "trace":
                yield kev, base + ".kev", os.path.join(gdir, f)
            elif form == "multi":
                yield kev, base + ".bin", os.path.join(tmp, "multi", kev, base + ".bin")
            else:
                d = os.path.join(tmp, "single", kev, base)
                for b in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                    if b.startswith("batch-") and b.endswith(".bin"):
                        yield kev, base + "-" + b[len("batch-"):], os.path.join(d, b)

def make_form(form):
    fdir = os.path.join(tmp, "form-" + form)
    seeds, regs = os.path.join(fdir, "seeds"), os.path.join(fdir, "regressions")
    os.makedirs(seeds)
    os.makedirs(regs)
    for group, name, path in inputs(form):
        if group == "regressions":
            shutil.copyfile(path, os.path.join(regs, name))
        else:
            data = open(path, "rb").read()
            with open(os.path.join(seeds, hashlib.sha1(data).hexdigest()), "wb") as f:
                f.write(data)
    with zipfile.ZipFile(os.path.join(fdir, "seeds.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(os.listdir(seeds)):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(os.path.join(seeds, name), "rb") as f:
                z.writestr(info, f.read())
    return fdir

made, total = {}, 0
kept = os.path.join(corpus, "..", "fuzz", "regressions")
for line in open(listfile):
    w = line.split()
    if not w or w[0].startswith("#"):
        continue
    name, form = w[0], w[1]
    if form not in made:
        made[form] = make_form(form)
    fdir = made[form]
    shutil.copytree(os.path.join(fdir, "seeds"), os.path.join(out, "seeds", name))
    shutil.copytree(os.path.join(fdir, "regressions"), os.path.join(out, "regressions", name))
    k = os.path.join(kept, name)
    if os.path.isdir(k):
        for f in sorted(os.listdir(k)):
            if os.path.isfile(os.path.join(k, f)):
                shutil.copyfile(os.path.join(k, f), os.path.join(out, "regressions", name, f))
    tmpzip = os.path.join(out, name + "_seed_corpus.zip.tmp")
    shutil.copyfile(os.path.join(fdir, "seeds.zip"), tmpzip)
    os.replace(tmpzip, os.path.join(out, name + "_seed_corpus.zip"))
    total += len(os.listdir(os.path.join(out, "seeds", name)))
print(f"make-seeds.sh: {total} seed file(s) in {out}/seeds")
PY
