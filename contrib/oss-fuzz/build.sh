#!/bin/bash -eu
# OSS-Fuzz's build.sh for kevrr: kevrr's own ClusterFuzzLite build script,
# which reads only the builder's variables ($CC $CXX $CFLAGS $CXXFLAGS
# $LIB_FUZZING_ENGINE $FUZZING_ENGINE $SANITIZER $SRC $WORK $OUT) and
# $SRC/zlib (the Dockerfile fetches it), and puts every target of
# fuzz/targets.list into $OUT with its seed corpus, dictionary and options.
cd "$SRC/kevrr"
bash -eu .clusterfuzzlite/build.sh
