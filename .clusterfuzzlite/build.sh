#!/bin/bash -eu
# .clusterfuzzlite/build.sh: builds every fuzz target of fuzz/targets.list
# for the engine the environment names, the OSS-Fuzz/ClusterFuzzLite way
# (docs/fuzzing.md; spec: prior-art.md s4). It reads only the documented
# variables: $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $FUZZING_ENGINE
# $SRC $WORK $OUT, and runs the same inside the builder image and without
# Docker (scripts/fuzz-build.sh sets the variables up locally).
#
# Into $OUT, per target NAME: the binary NAME (the core compiled with
# $CFLAGS, linked with $LIB_FUZZING_ENGINE; for libFuzzer the
# structure-aware mutator is compiled in), NAME_seed_corpus.zip,
# NAME.dict and NAME.options. For AFL++ also kevrr_mutator.so, the same
# mutator for AFL_CUSTOM_MUTATOR_LIBRARY. FUZZING_ENGINE=regression links
# fuzz/regression_driver.c instead of an engine.
#
# Seeds and the dictionary need a kevrr built for the build host: CMake
# builds it uninstrumented under $WORK (HOST_CC, default cc; in
# $KEV_FUZZ_HOST_BUILD when set, so that local builds of several engines and
# sanitizers share it), with the system's zlib. Compiles run $(nproc) at a
# time.
#
# zlib: the fuzz targets link a zlib compiled from source with $CC $CFLAGS
# into $WORK, from $ZLIB_SRC (default $SRC/zlib, where the Dockerfiles put
# it), at the version fuzz/zlib.version pins; MemorySanitizer needs that
# (an uninstrumented zlib's writes would look uninitialized to it). Without
# a source folder the other sanitizers fall back to the system's libz.a,
# with a note; memory stops with a message.

# The checkout: the working directory (the Dockerfile's WORKDIR, or the
# repository root when run by hand), else $SRC/kevrr.
root=$PWD
[ -f "$root/fuzz/targets.list" ] || root=$SRC/kevrr
list=$root/fuzz/targets.list
work=$WORK/kevrr-fuzz-build
mkdir -p "$work/core" "$OUT"
host_cc=${HOST_CC:-cc}
host=${KEV_FUZZ_HOST_BUILD:-$work/host}
engine=${FUZZING_ENGINE:-libfuzzer}

# spawn CMD...: runs CMD in the background, at most $(nproc) at once; drain
# waits for them all. A failed command fails the build (bash -e).
pids=()
spawn() {
    "$@" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$(nproc)" ]; then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
    fi
}
drain() {
    local p
    for p in ${pids[@]+"${pids[@]}"}; do
        wait "$p"
    done
    pids=()
}

# 1. zlib from source (above), else the system's.
zsrc=${ZLIB_SRC:-$SRC/zlib}
zpin=$(awk -F= '$1 == "ZLIB_VERSION" { print $2 }' "$root/fuzz/zlib.version")
zinc=()
if [ -f "$zsrc/zlib.h" ]; then
    zhave=$(sed -n 's/^#define ZLIB_VERSION "\(.*\)"$/\1/p' "$zsrc/zlib.h" | head -n1)
    if [ "$zhave" != "$zpin" ]; then
        echo "build.sh: $zsrc holds zlib $zhave; fuzz/zlib.version pins $zpin" >&2
        exit 1
    fi
    mkdir -p "$work/zlib"
    zobjs=()
    for z in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast \
        inflate inftrees trees uncompr zutil; do
        spawn $CC $CFLAGS -DHAVE_UNISTD_H -DHAVE_STDARG_H -I"$zsrc" -c "$zsrc/$z.c" \
            -o "$work/zlib/$z.o"
        zobjs+=("$work/zlib/$z.o")
    done
    drain
    rm -f "$work/zlib/libz.a"
    ar rcs "$work/zlib/libz.a" "${zobjs[@]}"
    zlib=$work/zlib/libz.a
    zinc=(-I"$zsrc")
    echo "build.sh: zlib $zpin compiled from $zsrc" >&2
elif [ "${SANITIZER:-}" = memory ]; then
    echo "build.sh: memory needs zlib's source in \$ZLIB_SRC or \$SRC/zlib" \
        "(scripts/fuzz-zlib.sh fetches it; docs/fuzzing.md)" >&2
    exit 1
else
    # Statically when it can, so $OUT runs on a bare runner.
    zlib=-lz
    for a in /usr/lib/x86_64-linux-gnu/libz.a /usr/lib/libz.a; do
        if [ -f "$a" ]; then
            zlib=$a
            break
        fi
    done
    echo "build.sh: no zlib source in ${zsrc}: the system's zlib ($zlib)" >&2
fi

# 2. The core, compiled with the engine's compiler and flags.
core_objs=()
for c in "$root"/src/*.c; do
    o=$work/core/$(basename "$c" .c).o
    spawn $CC $CFLAGS -std=c11 ${zinc[@]+"${zinc[@]}"} -I"$root/src/include" -I"$root/src" \
        -c "$c" -o "$o"
    core_objs+=("$o")
done
# libAFLDriver's warm-up call must not count as a finding (fuzz/kev_fuzz.c).
afl_def=()
[ "$engine" = afl ] && afl_def=(-DKEV_FUZZ_AFL_DRIVER)
spawn $CC $CFLAGS -std=c11 ${afl_def[@]+"${afl_def[@]}"} -I"$root/src/include" \
    -c "$root/fuzz/kev_fuzz.c" -o "$work/kev_fuzz.o"

# 3. The engine side: libFuzzer gets the mutator's hooks; regression mode
# the replaying main().
engine_objs=()
if [ "$engine" = regression ]; then
    spawn $CC $CFLAGS -std=c11 -I"$root/src/include" -c "$root/fuzz/regression_driver.c" \
        -o "$work/regression_driver.o"
    engine_objs+=("$work/regression_driver.o")
    LIB_FUZZING_ENGINE=
fi

# 4. Host tools: kevrr (seeds) and the dictionary generator, uninstrumented.
env -u CFLAGS -u CXXFLAGS -u LDFLAGS CC="$host_cc" cmake -S "$root" -B "$host" \
    -DCMAKE_BUILD_TYPE=Release -DKEV_BUILD_TESTS=OFF -DKEV_BUILD_BENCH=OFF \
    -DKEV_BUILD_FUZZ=ON >/dev/null
cmake --build "$host" --target kevrr kev_fuzz_dict fuzz_seeds -j "$(nproc)" >/dev/null
"$host/fuzz/kev_fuzz_dict" >"$work/kevrr.dict"
drain

# 5. One binary per target, with its seeds, dictionary and options; then
# the extra targets KEV_FUZZ_EXTRA names ("fuzz_empty single 65536": the
# benchmarks' baseline), which reuse the seeds of the first target.
targets=$(grep -v '^#' "$list")
if [ -n "${KEV_FUZZ_EXTRA:-}" ]; then
    targets=$(printf '%s\n%s\n' "$targets" "$KEV_FUZZ_EXTRA")
fi
first=$(awk 'NF { print $1; exit }' <<<"$targets")
# link NAME FORM: compiles the target (and for libFuzzer its mutator) and
# links it.
link() {
    local name=$1 form=$2 objs=("$work/$1.o")
    $CC $CFLAGS -std=c11 -I"$root/src/include" -I"$root/fuzz" -c "$root/fuzz/$name.c" \
        -o "$work/$name.o"
    if [ "$engine" = libfuzzer ]; then
        $CC $CFLAGS -std=c11 -I"$root/src/include" -DKEV_MUTATOR_LIBFUZZER \
            -DKEV_MUTATOR_FORM="\"$form\"" -c "$root/fuzz/mutator.c" -o "$work/$name.mut.o"
        objs+=("$work/$name.mut.o")
    fi
    # shellcheck disable=SC2086 # $LIB_FUZZING_ENGINE and $CXXFLAGS are word lists
    $CXX $CXXFLAGS "${objs[@]}" "$work/kev_fuzz.o" ${engine_objs[@]+"${engine_objs[@]}"} \
        "${core_objs[@]}" $LIB_FUZZING_ENGINE "$zlib" -pthread -o "$OUT/$name"
}
while read -r name form max_len _; do
    case "$name" in '' | '#'*) continue ;; esac
    spawn link "$name" "$form"
    seeds=$host/fuzz/${name}_seed_corpus.zip
    [ -f "$seeds" ] || seeds=$host/fuzz/${first}_seed_corpus.zip
    cp "$seeds" "$OUT/${name}_seed_corpus.zip"
    cp "$work/kevrr.dict" "$OUT/$name.dict"
    printf '[libfuzzer]\nmax_len = %s\n' "$max_len" >"$OUT/$name.options"
done <<<"$targets"
drain

# 6. AFL++: the mutator as a shared library (uninstrumented: it is the
# fuzzer's code, not the target's).
if [ "$engine" = afl ]; then
    core_pic=()
    for c in events.c fuzzin.c wire.c error.c; do
        $host_cc -O2 -fPIC -std=c11 -I"$root/src/include" -I"$root/src" \
            -c "$root/src/$c" -o "$work/core/$c.pic.o"
        core_pic+=("$work/core/$c.pic.o")
    done
    $host_cc -O2 -fPIC -shared -std=c11 -I"$root/src/include" -DKEV_MUTATOR_AFL \
        "$root/fuzz/mutator.c" "${core_pic[@]}" -Wl,--no-undefined -o "$OUT/kevrr_mutator.so"
fi
echo "build.sh: $engine targets in $OUT" >&2
