#!/usr/bin/env bash
# Refresh the book's own copy of the ipywidgets HTML manager (the JavaScript
# that draws the explorers' embedded widget state on the static pages).
#
# The copy is committed under _ext/static/jupyter-widgets/ and served from the
# site's _static/, so the pages load no widget JavaScript from a CDN and the
# book builds offline. Run this only to change the version: it downloads the
# pinned npm package with `npm pack`, checks its integrity against the pin
# below and copies the standalone bundle (dist/embed.js: base, controls and
# output widgets, no require.js needed), its package.json (licence BSD-3-Clause) and the icon fonts.
#
#   scripts/vendor_widgets_js.sh        # then commit _ext/static/jupyter-widgets/
#
# The version must draw the widget state that the installed ipywidgets
# writes: html-manager 1.x goes with ipywidgets 8 (@jupyter-widgets/controls 2.0).
set -euo pipefail

PACKAGE="@jupyter-widgets/html-manager"
VERSION="1.0.15"
INTEGRITY="sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA=="

cd "$(dirname "$0")/.."
TARGET="_ext/static/jupyter-widgets"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
TARBALL="$(ls "$WORK"/*.tgz)"
ACTUAL="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | base64 -w0)"
if [ "$ACTUAL" != "$INTEGRITY" ]; then
    echo "integrity mismatch for $PACKAGE@$VERSION: got $ACTUAL" >&2
    exit 1
fi
tar -xzf "$TARBALL" -C "$WORK"

rm -rf "$TARGET"
mkdir -p "$TARGET"
cp "$WORK/package/dist/embed.js" "$WORK/package/dist/embed.js.LICENSE.txt" "$WORK/package/package.json" "$TARGET/"
# Font Awesome, which the widget CSS references relative to embed.js (only woff2/woff: every browser we test reads them)
cp "$WORK"/package/dist/*.woff2 "$WORK"/package/dist/*.woff "$TARGET/"
printf '%s@%s %s\n' "$PACKAGE" "$VERSION" "$INTEGRITY" > "$TARGET/VERSION"
echo "copied $PACKAGE@$VERSION into $TARGET"
