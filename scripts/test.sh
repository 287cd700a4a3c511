#!/usr/bin/env bash
# scripts/test.sh: the whole test suite, as CI runs it. Installs what is
# missing, then builds and runs every test twice: the release preset, and
# the asan-ubsan preset (AddressSanitizer, LeakSanitizer, UBSan), each
# writing a JUnit file, build/PRESET/junit.xml; then the regression corpus
# with kevrr built by clang and by gcc -O0; then the workflow lint
# (scripts/lint-workflows.sh); then the fuzzing stage (scripts/fuzz-ci.sh:
# the ClusterFuzzLite/OSS-Fuzz contract emulated for every engine and
# sanitizer, short runs).
#
# KEV_SKIP_SOAK=1 leaves out the tests labelled soak (the GitHub workflow
# runs them in a job of their own: .github/workflows/ci.yml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
skip=()
if [ "${KEV_SKIP_SOAK:-0}" = 1 ]; then
  skip=(-LE soak)
fi
for preset in default asan-ubsan; do
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "== $preset: test" >&2
  ctest --preset "$preset" ${skip[@]+"${skip[@]}"} --output-junit "$PWD/build/$preset/junit.xml"
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
# The GitHub workflows: actionlint and yamllint.
echo "== workflows: scripts/lint-workflows.sh" >&2
bash scripts/lint-workflows.sh
# Fuzzing: .clusterfuzzlite/build.sh as ClusterFuzzLite and OSS-Fuzz run it,
# for libFuzzer with every sanitizer and for AFL++, their checks, a short
# run of each target (docs/fuzzing.md).
echo "== fuzz: scripts/fuzz-ci.sh" >&2
bash scripts/fuzz-ci.sh
