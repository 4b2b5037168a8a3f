#!/bin/sh
# Render report.html in headless Chromium and save a screenshot, to check the Chinese labels
# and the charts. Needs the Debian packages chromium and fonts-noto-cjk
# (or fonts-wqy-zenhei):  apt-get update && apt-get install -y chromium fonts-noto-cjk
# Run from the repository root: sh docs/render-report.sh [OUT_DIR]
set -eu
out="${1:-/tmp/rep}"
cargo run --release -- run --out "$out" --quiet
profile="$(mktemp -d)"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size=1280,3000 \
  --screenshot=docs/report-screenshot.png "file://$out/report.html"
rm -rf "$profile"
echo "screenshot: docs/report-screenshot.png"
