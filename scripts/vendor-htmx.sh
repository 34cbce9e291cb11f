#!/usr/bin/env bash
# Copies htmx from its npm package (the version pinned in package.json and
# package-lock.json) into static/vendor/, with its license, where the
# binary embeds it: the pages fetch nothing from another site, and
# `cargo run` needs no npm. Run after changing htmx.org's version, and
# commit what it copied.
#
#   npm ci && scripts/vendor-htmx.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=node_modules/htmx.org
if [[ ! -f "$PKG/dist/htmx.min.js" ]]; then
  echo "vendor-htmx: $PKG is missing; run npm ci first" >&2
  exit 1
fi
version=$(node -p "require('./$PKG/package.json').version")
mkdir -p static/vendor
cp "$PKG/dist/htmx.min.js" static/vendor/htmx.min.js
cp "$PKG/LICENSE" static/vendor/htmx.LICENSE
echo "$version" >static/vendor/htmx.VERSION
echo "vendor-htmx: htmx $version copied to static/vendor/"
