#!/usr/bin/env bash
# scripts/fuzz-zlib.sh: fetches the zlib source that the fuzz builds compile
# with the engine's compiler and flags (docs/fuzzing.md, "zlib from
# source"), at the version pinned in fuzz/zlib.version.
#
# Usage: scripts/fuzz-zlib.sh [--from auto|debian|upstream] DEST
#   --from debian    Debian's source package of the machine's own archive
#                    (`apt-get source --download-only zlib`) through a
#                    private sources list with a deb-src entry for every
#                    deb entry of the system's (or KEV_ZLIB_DEB_SRC, one
#                    sources.list line), a private package list and cache
#                    in a scratch folder: the system's apt configuration
#                    and state are left as they are;
#   --from upstream  the release tarball, checked against ZLIB_SHA256
#                    (what the Dockerfiles do: the builder image has network);
#   --from auto      (default) debian, then upstream.
#   DEST: the source folder to make (zlib.h at its top); when it already
#         holds the pinned version nothing is fetched.
# Prints DEST on success. Exit: 0 done; 1 not to be had here (the message
# says why); 2 usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
    sed -n '/^# Usage:/,/^# Prints/p' "$0" | sed 's/^# \{0,1\}//' | sed '$d'
}
from=auto
while [ $# -gt 0 ]; do
    case "$1" in
    --from) from=${2:-}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "fuzz-zlib.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -ne 1 ] || ! [[ "$from" =~ ^(auto|debian|upstream)$ ]]; then
    usage >&2
    exit 2
fi
dest=$1
pin=$(awk -F= '$1 == "ZLIB_VERSION" { print $2 }' "$root/fuzz/zlib.version")
sha=$(awk -F= '$1 == "ZLIB_SHA256" { print $2 }' "$root/fuzz/zlib.version")

# version_of DIR: ZLIB_VERSION of DIR/zlib.h, or nothing.
version_of() {
    sed -n 's/^#define ZLIB_VERSION "\(.*\)"$/\1/p' "$1/zlib.h" 2>/dev/null | head -n1
}
if [ "$(version_of "$dest")" = "$pin" ]; then
    echo "$dest"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# deb_src_lines: one "deb-src ..." line for every "deb ..." source of the
# system, from sources.list, *.list and deb822 *.sources files.
deb_src_lines() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "")
                    for (i = 1; i <= nu; i++)
                        for (j = 1; j <= ns; j++)
                            printf "deb-src %s%s %s %s\n", (signed != "" ? "[signed-by=" signed "] " : ""),
                                u[i], s[j], comps
                types = uris = suites = comps = signed = enabled = ""
            }
            /^[[:space:]]*#/ { next }
            /^[[:space:]]*$/ { flush(); next }
            {
                key = tolower($1); sub(/:$/, "", key)
                val = $0; sub(/^[^:]*:[[:space:]]*/, "", val)
                if (key == "types") types = val
                else if (key == "uris") { uris = val; nu = split(val, u, /[[:space:]]+/) }
                else if (key == "suites") { suites = val; ns = split(val, s, /[[:space:]]+/) }
                else if (key == "components") comps = val
                else if (key == "signed-by") signed = val
                else if (key == "enabled") enabled = tolower(val)
            }
            END { flush() }' "$f"
    done
}

from_debian() {
    command -v apt-get >/dev/null 2>&1 || { echo "fuzz-zlib.sh: no apt-get here" >&2; return 1; }
    local a=$tmp/apt
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/src"
    if [ -n "${KEV_ZLIB_DEB_SRC:-}" ]; then
        printf '%s\n' "$KEV_ZLIB_DEB_SRC" >"$a/sources.list"
    else
        deb_src_lines >"$a/sources.list"
    fi
    if [ ! -s "$a/sources.list" ]; then
        echo "fuzz-zlib.sh: the system has no deb source to derive a deb-src entry from" >&2
        return 1
    fi
    local o=(-o "Dir::Etc::sourcelist=$a/sources.list" -o Dir::Etc::sourceparts=-
        -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache"
        -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root -q)
    # A source without deb-src indexes only warns; what counts is whether
    # zlib's source is then found.
    apt-get "${o[@]}" update >"$a/update.log" 2>&1 || true
    # Every version the lists know, newest first: a newer one may sit in an
    # archive that is not reachable (security updates), and every one of
    # the same upstream version has the same orig tarball.
    local v versions got=""
    versions=$(apt-cache "${o[@]}" showsrc zlib 2>/dev/null | sed -n 's/^Version: //p' |
        sort -u -r -V)
    for v in $versions; do
        if (cd "$a/src" && apt-get "${o[@]}" source --download-only "zlib=$v") \
            >"$a/source.log" 2>&1; then
            got=$v
            break
        fi
    done
    if [ -z "$got" ]; then
        echo "fuzz-zlib.sh: apt-get source zlib failed (versions: ${versions:-none}):" \
            "$(tail -n 2 "$a/source.log" 2>/dev/null | tr '\n' ' ')" >&2
        return 1
    fi
    local orig
    orig=$(find "$a/src" -maxdepth 1 -name 'zlib_*.orig.tar.*' | head -n1)
    [ -n "$orig" ] || { echo "fuzz-zlib.sh: Debian's zlib source has no orig tarball" >&2; return 1; }
    mkdir -p "$tmp/x"
    tar -xf "$orig" -C "$tmp/x" --strip-components=1
}

from_upstream() {
    command -v curl >/dev/null 2>&1 || { echo "fuzz-zlib.sh: no curl here" >&2; return 1; }
    local url=https://github.com/madler/zlib/releases/download/v$pin/zlib-$pin.tar.gz
    if ! curl -fsSL --retry 3 -o "$tmp/zlib.tar.gz" "$url"; then
        echo "fuzz-zlib.sh: cannot download $url" >&2
        return 1
    fi
    if ! echo "$sha  $tmp/zlib.tar.gz" | sha256sum -c --status; then
        echo "fuzz-zlib.sh: $url does not have the SHA-256 of fuzz/zlib.version" >&2
        return 1
    fi
    mkdir -p "$tmp/x"
    tar -xzf "$tmp/zlib.tar.gz" -C "$tmp/x" --strip-components=1
}

ok=1
for way in debian upstream; do
    [ "$from" = auto ] || [ "$from" = "$way" ] || continue
    rm -rf "$tmp/x"
    if "from_$way"; then
        got=$(version_of "$tmp/x")
        if [ "$got" = "$pin" ]; then
            ok=0
            break
        fi
        echo "fuzz-zlib.sh: $way's zlib is ${got:-unknown}, fuzz/zlib.version pins $pin" >&2
    fi
done
if [ "$ok" -ne 0 ]; then
    echo "fuzz-zlib.sh: no zlib $pin source to be had here" >&2
    exit 1
fi
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp/x" "$dest"
echo "$dest"
