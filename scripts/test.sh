#!/usr/bin/env bash
# scripts/test.sh: the whole test suite, as CI runs it. Installs what is
# missing, then builds and runs every test twice: the release preset, and
# the asan-ubsan preset (AddressSanitizer, LeakSanitizer, UBSan), each
# writing a JUnit file, build/PRESET/junit.xml; then the regression corpus
# with kevrr built by clang and by gcc -O0; then the fuzzing stage
# (scripts/fuzz-ci.sh: libFuzzer and AFL++ builds, OSS-Fuzz-style checks,
# short runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
for preset in default asan-ubsan; do
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "== $preset: test" >&2
  ctest --preset "$preset" --output-junit "$PWD/build/$preset/junit.xml"
done
# The regression corpus from other compilers and optimisation levels: the
# goldens were made by the default build (gcc, Release); kevrr built with
# clang -O2 and with gcc -O0 must reproduce them byte for byte
# (corpus/README.md). Only kevrr is built, so this takes seconds.
for variant in "clang RelWithDebInfo clang-O2" "gcc Debug gcc-O0"; do
  read -r cc type name <<<"$variant"
  if ! command -v "$cc" >/dev/null 2>&1; then
    echo "== corpus with $name: skipped, $cc is not installed" >&2
    continue
  fi
  echo "== corpus with $name: build kevrr, test" >&2
  cmake -S . -B "build/ci-$name" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE="$type" \
    -DKEV_WERROR=ON -DKEV_BUILD_BENCH=OFF >/dev/null
  cmake --build "build/ci-$name" --target kevrr -j 2
  ctest --test-dir "build/ci-$name" -R '^(corpus\.|cli\.determinism$)' -j 2 \
    --output-on-failure --output-junit "$PWD/build/ci-$name/junit.xml"
done
# Fuzzing: .clusterfuzzlite/build.sh for libFuzzer + ASan and for AFL++,
# every target checked over its seeds, a short run of each (docs/fuzzing.md).
echo "== fuzz: scripts/fuzz-ci.sh" >&2
bash scripts/fuzz-ci.sh
