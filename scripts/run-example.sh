#!/usr/bin/env bash
# scripts/run-example.sh: the quick start's main job. Installs what is
# missing, builds the release preset, and feeds the bundled example (a Mac
# booting with Wi-Fi and a VPN) through the core, printing the report.
# Extra arguments go to `kevrr run` (e.g. --profile v963).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default >/dev/null
exec ./build/default/replay/kevrr run "$@" corpus/examples/boot.scn
