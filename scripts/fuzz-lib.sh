# shellcheck shell=bash
# scripts/fuzz-lib.sh: what the fuzz scripts share; sourced, not run
# (`. "$root/scripts/fuzz-lib.sh"` after setting root).

# kev_fuzz_stale BIN: true (0) when the fuzz build holding BIN must be
# (re)made: BIN is missing, or a file it is made from (src/, fuzz/, the
# corpus its seeds come from, the build scripts) is newer. A campaign or a
# measurement on a stale build would run code that is gone.
kev_fuzz_stale() {
    [ -x "$1" ] || return 0
    [ -n "$(find "${root:?}/src" "$root/fuzz" "$root/corpus" "$root/scripts/fuzz-build.sh" \
        "$root/.clusterfuzzlite/build.sh" -type f -newer "$1" -print -quit)" ]
}
