#!/usr/bin/env bash
# test.sh - build and run every test: unit, property, cross-check (glpsol) and
# end-to-end CLI cases, with the services they need started on loopback and
# stopped afterwards.
#   bash scripts/test.sh [--with-sanitizers] [CTEST ARGS...]
# --with-sanitizers: then, with the same services up, scripts/sanitize.sh
# builds build-asan/ (AddressSanitizer + UndefinedBehaviorSanitizer) and runs
# the whole suite again there (.ci/run does this).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
with_sanitizers=0
if [ "${1:-}" = --with-sanitizers ]; then
  with_sanitizers=1
  shift
fi
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel 2

# Real services on loopback for the store and scheduler tests. If one cannot
# start here, its tests skip and say why; every other test still runs.
started=()
cleanup() {
  local s
  for s in "${started[@]}"; do bash "$root/scripts/$s-ci.sh" stop >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
if pg_env=$(bash scripts/postgres-ci.sh start); then
  eval "$pg_env"
  started+=(postgres)
else
  echo "test.sh: WARNING: PostgreSQL did not start; the PostgreSQL store tests will skip" >&2
fi
if bash scripts/slurm-ci.sh start; then
  started+=(slurm)
  # shellcheck disable=SC1091
  [ -f /tmp/fungible-slurm/env.sh ] && . /tmp/fungible-slurm/env.sh
else
  echo "test.sh: WARNING: Slurm did not start; the Slurm backend tests will skip" >&2
fi

rc=0
(cd build && ctest --output-on-failure --timeout 300 "$@") || rc=$?
if [ $with_sanitizers = 1 ]; then
  bash scripts/sanitize.sh "$@" || rc=$?
fi
exit $rc
