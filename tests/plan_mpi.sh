#!/usr/bin/env bash
# plan_mpi.sh FUNGIBLE_MPI FUNGIBLE SPEC
# `mpirun -n N fungible-mpi plan SPEC` must give the same plan, figure for
# figure, as one process (`fungible plan SPEC`), for N = 1, 2 and 4; and so
# must `fungible-mpi evaluate`. Exit 77 (skipped) when mpirun is absent.
set -uo pipefail
mpi_bin=$1
single_bin=$2
spec=$3
if ! command -v mpirun >/dev/null 2>&1; then
  echo "mpirun not found: skipped (install openmpi-bin)"
  exit 77
fi
if [ ! -x "$mpi_bin" ]; then
  echo "mpirun is installed but fungible-mpi was not built: install libopenmpi-dev and re-run cmake"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=(--method decomposition --threads 1 --scenarios 12)
"$single_bin" plan "$spec" "${flags[@]}" --json "$tmp/single.json" >/dev/null || { echo "single process failed"; exit 1; }
"$single_bin" evaluate "$spec" --offer b200-more --threads 1 --scenarios 12 --json "$tmp/eval-single.json" >/dev/null ||
  { echo "single-process evaluate failed"; exit 1; }
for n in 1 2 4; do
  mpirun --allow-run-as-root --oversubscribe -n "$n" "$mpi_bin" plan "$spec" "${flags[@]}" --json "$tmp/mpi$n.json" \
    >"$tmp/out$n" 2>"$tmp/err$n" || { echo "mpirun -n $n plan failed"; cat "$tmp/err$n"; exit 1; }
  mpirun --allow-run-as-root --oversubscribe -n "$n" "$mpi_bin" evaluate "$spec" --offer b200-more --threads 1 \
    --scenarios 12 --json "$tmp/eval$n.json" >/dev/null 2>"$tmp/everr$n" ||
    { echo "mpirun -n $n evaluate failed"; cat "$tmp/everr$n"; exit 1; }
done
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
def plan(path):
    j = json.load(open(path))
    j["solver"].pop("seconds")  # wall time differs
    return j
base = plan(f"{tmp}/single.json")
ok = True
for n in (1, 2, 4):
    got = plan(f"{tmp}/mpi{n}.json")
    for key in ("offers", "objective_usd", "expected_profit_usd", "cvar_loss_usd", "vss_usd", "evpi_usd",
                "mismatch", "scenario_outcomes", "profit_usd", "utilization", "unserved_share"):
        if got.get(key) != base.get(key):
            print(f"{n} ranks: {key} differs from one process:\n  {got.get(key)}\n  {base.get(key)}"[:2000])
            ok = False
    if got["solver"]["iterations"] != base["solver"]["iterations"]:
        print(f"{n} ranks: {got['solver']['iterations']} Benders iterations, one process {base['solver']['iterations']}")
        ok = False
    ev, ev1 = json.load(open(f"{tmp}/eval{n}.json")), json.load(open(f"{tmp}/eval-single.json"))
    if ev != ev1:
        print(f"{n} ranks: evaluate differs from one process")
        ok = False
    print(f"{n} ranks: signs {[round(o['chips'], 3) for o in got['offers']]}, objective {got['objective_usd']:.6f}")
sys.exit(0 if ok else 1)
PY
