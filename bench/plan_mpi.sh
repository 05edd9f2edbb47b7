#!/usr/bin/env bash
# plan_mpi.sh BUILD_DIR [SCENARIOS] [RANKS] [CUTS] - times the benchmark problem of
# plan_bench (S scenarios x 36 months x 20 offers x 10 classes) through the
# CLI: `fungible plan` (one process, 1 and 2 threads) and
# `mpirun -n 1|2|4 fungible-mpi plan` (one thread per rank), Benders only,
# without VSS/EVPI/mismatch. Prints wall and CPU seconds, seconds per
# scenario, and the plan's objective and signed offers so the runs can be
# checked against each other. RANKS (e.g. "2,1"): only `mpirun -n R` for each
# R, in that order (the large runs: 10,000 scenarios).
# The one-process runs and -n 4 are skipped when RANKS is given. CUTS (e.g.
# "auto,multi"): `--cuts` of each run, side by side (default auto).
# PLAN_FLAGS: more flags for every run, e.g. PLAN_FLAGS="--terminal-value none"
# (one Benders solve, the benchmark's own; the default also values the
# months after the horizon, which takes further passes: plan/plan.cc).
set -euo pipefail
build=$1
scenarios=${2:-200}
ranks=${3:-}
cuts=${4:-auto}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bench/plan_bench" --sweep "$scenarios" --methods none --write-spec "$tmp/bench.yaml" >/dev/null
flags=(--method decomposition --no-vss --no-evpi --no-mismatch --no-decision-values)
read -r -a extra <<<"${PLAN_FLAGS:-}"
flags+=("${extra[@]}")
run() {
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" --json "$tmp/out.json" >/dev/null 2>"$tmp/err" ||
    { echo "$label failed"; cat "$tmp/err"; return 1; }
  read -r wall user sys rss <"$tmp/time"
  rss=$((rss / 1024))
  objective=$(python3 -c "import json; j=json.load(open('$tmp/out.json')); s=j['solver']; print(f\"{j['objective_usd']:.6e} {s['iterations']} {s['cut_groups']} {s['subproblem_seconds']:.2f} {s['master_seconds']:.2f}\")")
  signed=$(python3 -c "import json,hashlib; j=json.load(open('$tmp/out.json')); print(hashlib.sha1(repr([(o['id'], o['sign'], round(o['chips'])) for o in j['offers']]).encode()).hexdigest()[:12])")
  printf '%-36s wall %7.2f s  cpu %7.2f s  s/scenario %.4f  objective %s  iterations %s  cut groups %s  subproblems %s s  master %s s  offers %s  peak %s MiB\n' "$label" \
    "$wall" "$(echo "$user + $sys" | bc)" "$(echo "scale=6; $wall / $scenarios" | bc)" ${objective} "$signed" "$rss"
}
echo "S=$scenarios  ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
for c in ${cuts//,/ }; do
  if [[ -n $ranks ]]; then
    for n in ${ranks//,/ }; do
      run "mpirun -n $n fungible-mpi --cuts $c" mpirun --allow-run-as-root --oversubscribe -n "$n" \
        "$build/src/cli/fungible-mpi" plan "$tmp/bench.yaml" "${flags[@]}" --threads 1 --cuts "$c"
      echo "  (load $(cut -d' ' -f1-3 /proc/loadavg))"
    done
    continue
  fi
  run "fungible plan --threads 1 --cuts $c" "$build/src/cli/fungible" plan "$tmp/bench.yaml" "${flags[@]}" --threads 1 --cuts "$c"
  run "fungible plan --threads 2 --cuts $c" "$build/src/cli/fungible" plan "$tmp/bench.yaml" "${flags[@]}" --threads 2 --cuts "$c"
  for n in 1 2 4; do
    run "mpirun -n $n fungible-mpi --cuts $c" mpirun --allow-run-as-root --oversubscribe -n "$n" \
      "$build/src/cli/fungible-mpi" plan "$tmp/bench.yaml" "${flags[@]}" --threads 1 --cuts "$c"
  done
done
