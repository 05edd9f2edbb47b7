#!/usr/bin/env bash
# test.sh - build and run every test: unit, property, cross-check (glpsol) and
# end-to-end CLI cases, with the services they need started on loopback and
# stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel 2

services=()
cleanup() {
  local s
  for s in "${services[@]}"; do bash "scripts/$s-ci.sh" stop >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
for s in postgres slurm; do
  if [ -f "scripts/$s-ci.sh" ]; then
    bash "scripts/$s-ci.sh" start
    services+=("$s")
    # shellcheck disable=SC1090
    [ -f "/tmp/fungible-$s-ci/env.sh" ] && . "/tmp/fungible-$s-ci/env.sh"
  fi
done

cd build
ctest --output-on-failure --timeout 300 "$@"
