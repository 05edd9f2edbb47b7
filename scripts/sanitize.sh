#!/usr/bin/env bash
# sanitize.sh - build the whole tree with AddressSanitizer and
# UndefinedBehaviorSanitizer in a second build directory and run every ctest
# there (unit, property, fuzz budgets, end-to-end CLI cases, browser and
# calibration tests). Any sanitizer report fails the test that triggered it.
#
#   bash scripts/sanitize.sh                 # configure, build, run all tests
#   bash scripts/sanitize.sh -R spec         # extra arguments go to ctest
#   FUNGIBLE_ASAN_BUILD=/tmp/b bash scripts/sanitize.sh   # another build dir
#
# Services: like scripts/test.sh's ctest run, the PostgreSQL and Slurm tests
# use the services named in the environment (PG*, SLURM_CONF) and skip when
# absent; `scripts/test.sh --with-sanitizers` (what .ci/run does) runs this
# script while its services are still up. This script starts none itself.
#
# Suppressions (third-party code only, each with its reason):
# scripts/sanitizers/lsan.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${FUNGIBLE_ASAN_BUILD:-build-asan}
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# -O1 -g1: what the sanitizers' authors advise (fast enough, exact stacks with
# line numbers), and a cold build about a third cheaper than -O2 -g; without
# NDEBUG, so assert() and Eigen's range checks are on as well.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$build" --parallel "${FUNGIBLE_BUILD_JOBS:-2}"

# halt at the first report, with a stack; leaks checked at exit (LSan).
# hard_rss_limit_mb: unbounded allocation is a failure, as RLIMIT_AS is without ASan.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:hard_rss_limit_mb=6144}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/sanitizers/lsan.supp:print_suppressions=0}
cd "$build"
ctest --output-on-failure --timeout 900 "$@"
