#!/usr/bin/env bash
# scripts/run-example.sh: the quick start's main job. Installs what is
# missing, builds the release preset, and replays the bundled trace (a Mac
# booting with Wi-Fi and a VPN, corpus/examples/boot.kev) through the core,
# printing the report. Extra arguments go to `kevrr replay` (e.g.
# --profile v963, or --expect-dir corpus/examples to check it against its
# goldens).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default >/dev/null
exec ./build/default/replay/kevrr replay "$@" corpus/examples/boot.kev
