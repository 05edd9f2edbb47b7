#!/usr/bin/env bash
# bootstrap.sh - on a fresh Debian 12 machine: install every package, build,
# and run the main job (week-ahead allocation of the bundled example).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel 2
./build/src/cli/fungible allocate examples/frontier-lab.yaml --from 2026-04-06T00:00Z --window 7d \
  --json build/frontier-lab-week.json
