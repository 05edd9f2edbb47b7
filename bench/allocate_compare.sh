#!/usr/bin/env bash
# Week-ahead allocation benchmark, side by side on one machine: fungible's
# Solve() (bench/allocate_bench: build + solve + whole-chip plan) against the
# standalone Clp binary (Debian coinor-clp) and GLPK's glpsol (glpk-utils) on
# the very MPS file fungible exports. Prints medians and ratios.
#
#   bench/allocate_compare.sh [allocate_bench flags...]
#   env: BUILD (default build-bench), REPEAT (3), OUT (/tmp/fungible-allocate-bench),
#        CLP_FLAGS (the method Solve() uses: "-barrier"), GLPSOL_TIMEOUT (900 s)
#
# The MPS is a MINIMISATION of -value (MPS has no objective sense): clp and
# glpsol must report -objective_usd; the script checks they agree.
set -euo pipefail

BUILD=${BUILD:-build-bench}
REPEAT=${REPEAT:-3}
OUT=${OUT:-/tmp/fungible-allocate-bench}
CLP_FLAGS=${CLP_FLAGS:--barrier}
GLPSOL_TIMEOUT=${GLPSOL_TIMEOUT:-900}
BENCH="$BUILD/bench/allocate_bench"

command -v clp >/dev/null || { echo "clp not found (apt-get install coinor-clp)" >&2; exit 2; }
command -v glpsol >/dev/null || { echo "glpsol not found (apt-get install glpk-utils)" >&2; exit 2; }
[ -x "$BENCH" ] || { echo "$BENCH not built (cmake -DFUNGIBLE_BUILD_BENCH=ON; ninja allocate_bench)" >&2; exit 2; }
mkdir -p "$OUT"
MPS="$OUT/week.mps"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BENCH" --repeat 0 --mps "$MPS" "$@"
echo "mps: $MPS ($(du -h "$MPS" | cut -f1))"

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }

# Alternate fungible and clp runs so that load changes on a shared machine hit
# both alike.
ours_times=()
clp_times=()
clp_obj=""
for _ in $(seq "$REPEAT"); do
  ours=$("$BENCH" --repeat 1 "$@")
  ours_times+=("$(echo "$ours" | awk '$1 == "end_to_end_s" { print $2 }')")
  t0=$(now)
  log=$(clp "$MPS" $CLP_FLAGS 2>&1)
  t1=$(now)
  clp_times+=("$(echo "$t1 - $t0" | bc -l)")
  clp_obj=$(echo "$log" | awk '/^Optimal objective/ { print $3 }' | tail -1)
done
echo "$ours" | grep -v end_to_end_s | sed 's/^/fungible /'
ours_e2e=$(printf '%s\n' "${ours_times[@]}" | median)
ours_obj=$(echo "$ours" | awk '$1 == "objective_min" { print $2 }')
clp_s=$(printf '%s\n' "${clp_times[@]}" | median)
echo "fungible end-to-end: median ${ours_e2e}s of ${ours_times[*]}"
echo "clp $CLP_FLAGS: median ${clp_s}s of ${clp_times[*]} objective $clp_obj"

t0=$(now)
if timeout "$GLPSOL_TIMEOUT" glpsol --freemps "$MPS" -o "$OUT/glpsol.out" >"$OUT/glpsol.log" 2>&1; then
  t1=$(now)
  glp_s=$(echo "$t1 - $t0" | bc -l)
  glp_obj=$(awk '/^Objective:/ { print $4 }' "$OUT/glpsol.out")
  echo "glpsol: ${glp_s}s objective $glp_obj (one run)"
else
  glp_s=""
  echo "glpsol: no result within ${GLPSOL_TIMEOUT}s"
fi

rel() { echo "define abs(x) { if (x < 0) return -x; return x; }; abs($1 - ($2)) / abs($2)" | bc -l; }
echo "objective agreement: clp vs fungible rel diff $(rel "$clp_obj" "$ours_obj")"
[ -n "$glp_s" ] && echo "objective agreement: glpsol vs fungible rel diff $(rel "$glp_obj" "$ours_obj")"
printf 'ratio fungible end-to-end / clp: %.2f\n' "$(echo "$ours_e2e / $clp_s" | bc -l)"
[ -n "$glp_s" ] && printf 'ratio glpsol / clp: %.2f\n' "$(echo "$glp_s / $clp_s" | bc -l)"
exit 0
