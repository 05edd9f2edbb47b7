#!/usr/bin/env bash
# report-screenshots.sh - the screenshots in docs/report.md: runs the browser
# tests (tests/browser/report.sh and dashboard.sh, which build the bundled
# example's report and open it and serve's /ui in headless Chromium) and copies
# a few of their screenshots to docs/img/. Needs a built fungible.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/src/cli/fungible}
out=build/test-artifacts
bash tests/browser/report.sh "$bin" "$out/report"
bash tests/browser/dashboard.sh "$bin" "$out/dashboard"
mkdir -p docs/img
for f in cone layer-cake plan allocation run review economics; do
  cp "$out/report/$f.png" "docs/img/report-$f.png"
done
cp "$out/dashboard/dashboard-live.png" docs/img/dashboard-live.png
echo "report-screenshots: docs/img/ updated"
