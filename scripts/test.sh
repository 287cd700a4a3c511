#!/usr/bin/env bash
# scripts/test.sh: the whole test suite, as CI runs it. Installs what is
# missing, then builds and runs every test twice: the release preset, and
# the asan-ubsan preset (AddressSanitizer, LeakSanitizer, UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
for preset in default asan-ubsan; do
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "== $preset: test" >&2
  ctest --preset "$preset"
done
