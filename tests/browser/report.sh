#!/usr/bin/env bash
# report.sh FUNGIBLE ARTIFACTS - the report of the bundled example, rebuilt
# from fixed seeds: runs the commands whose outputs feed it, builds the report,
# checks that the figures it embeds are the commands' (compare_figures.py) and
# that it loads and draws in headless Chromium (page_check.js), leaving the
# screenshots in ARTIFACTS. Every piece missing (chromium, node, web/
# packages) is a failure, never a skip.
set -euo pipefail
bin=$(realpath "$1")
mkdir -p "$2"
art=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
spec=$root/examples/frontier-lab.yaml
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cd "$d"
q() { "$@" >/dev/null; }
# Outputs of each command (seeds are the spec's; the run's is fixed here).
"$bin" forecast "$spec" --json forecast.json >/dev/null
"$bin" validate "$spec" --json - >validate.json
q "$bin" plan "$spec" --json plan.json
q "$bin" evaluate "$spec" --offer tpu-v7-5gw --quantity 1000 --json evaluate.json
q "$bin" allocate "$spec" --from 2026-04-06T00:00Z --window 7d --lp-only --json allocate.json
q "$bin" simulate "$spec" --length 61d --from 2026-04-01T00:00Z --policy all --scenario random:7 --seed 7 --horizon 24h \
  --out run --quiet
q "$bin" review run --month 2026-05 --json review.json
"$bin" report "$spec" --plan plan.json --evaluate evaluate.json --allocate allocate.json --run run \
  --review review.json -o report.html --json figures.json
cp report.html "$art/report.html"
python3 "$here/compare_figures.py" report.html "$d"
node "$here/page_check.js" --file report.html --shots "$art" \
  --expect cone-demand,cone-revenue,layer-cake,cash,mismatch-value,mismatch-cash-profit,mismatch-unserved,value-spread,evaluate-scenarios,alloc-workloads,alloc-utilization,alloc-prices,roc-horizon,roc-team,roc-chip,fungibility,team-usage,tokens-model,days,waterfall,unit-economics
