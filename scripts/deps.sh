#!/usr/bin/env bash
# scripts/deps.sh: installs what kevrr needs to build on Debian 12, and with
# --test what the test suite needs as well (tshark, for the Wireshark and
# interoperability tests; python3, for the trace tools' test; clang with
# libFuzzer's runtime, AFL++ and objdump, for the fuzzing stage), only what is
# missing (so it is quick, and works offline when nothing is). Runs apt-get
# as root, or through sudo.
set -euo pipefail

pkgs=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || pkgs+=("$2"); }
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || pkgs+=("$1"); }

need_cmd cmake cmake
need_cmd make make
need_cmd gcc gcc
need_pkg libc6-dev
need_pkg zlib1g-dev
need_cmd python3 python3 # the build's fuzz seeds (fuzz/make-seeds.sh)
if [ "${1:-}" = "--test" ]; then
  need_cmd tshark tshark
  need_cmd clang clang     # scripts/test.sh: the corpus goldens, built with clang
  # scripts/fuzz-ci.sh: libFuzzer's runtime, AFL++, objdump.
  need_pkg libclang-rt-14-dev
  need_cmd afl-fuzz afl++
  need_cmd objdump binutils
fi

if [ ${#pkgs[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${pkgs[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${pkgs[@]}"
