#!/usr/bin/env bash
# fuzz.sh - a long fuzz run of every target (fuzz/README.md): N mutations per
# target (default 100000) from seed S (default: the date, so each night's run
# differs), in the sanitizer build when it exists (scripts/sanitize.sh), else
# in build/. Crashing inputs land in CRASH_DIR (default /tmp/fungible-fuzz):
# keep each in fuzz/regressions/<target>/.
#   bash bench/fuzz.sh [N] [S]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
seed=${2:-$(date +%Y%m%d)}
build=build
[ -x build-asan/fuzz/fuzz_spec ] && build=build-asan
crash_dir=${CRASH_DIR:-/tmp/fungible-fuzz}
mkdir -p "$crash_dir"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:hard_rss_limit_mb=6144}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run() {
  local t=$1; shift
  local start=$SECONDS
  "$build/fuzz/fuzz_$t" --iterations "$n" --seed "$seed" --crash-dir "$crash_dir" "$@"
  echo "fuzz_$t: $n mutations in $((SECONDS - start)) s ($build)"
}
run spec examples tests/cases/spec
run actuals tests/cases/forecast/*.csv
run trace fuzz/seeds/trace
run http fuzz/seeds/http
