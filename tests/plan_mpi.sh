#!/usr/bin/env bash
# plan_mpi.sh FUNGIBLE_MPI FUNGIBLE SPEC
# `mpirun -n N fungible-mpi plan SPEC` must give the same plan as one
# process (`fungible plan SPEC`), for N = 1, 2 and 4: the same offers signed
# for the same quantities, every figure of the report within 1e-9; and so
# must `fungible-mpi evaluate`, and `plan --cuts grouped:5` (Benders cuts in
# groups of scenarios) for N = 1 and 2. Exit 77 (skipped) when mpirun is absent.
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
# Under the sanitizers (scripts/sanitize.sh sets ASAN_OPTIONS): OpenMPI leaves
# its own state allocated at MPI_Finalize, much of it from plugins it has
# unloaded by then, so LeakSanitizer's fast unwinder stops at frames of no
# module. The full unwinder reaches libmpi/libopen-rte/libopen-pal, which
# scripts/sanitizers/lsan.supp suppresses (third-party code only). The
# single-process runs above keep the fast unwinder and full leak checking.
if [ -n "${ASAN_OPTIONS:-}" ]; then
  export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
  export OMPI_MCA_mca_base_component_disable_dlclose=1
fi
for n in 1 2 4; do
  mpirun --allow-run-as-root --oversubscribe -n "$n" "$mpi_bin" plan "$spec" "${flags[@]}" --json "$tmp/mpi$n.json" \
    >"$tmp/out$n" 2>"$tmp/err$n" || { echo "mpirun -n $n plan failed"; cat "$tmp/err$n"; exit 1; }
  mpirun --allow-run-as-root --oversubscribe -n "$n" "$mpi_bin" evaluate "$spec" --offer b200-more --threads 1 \
    --scenarios 12 --json "$tmp/eval$n.json" >/dev/null 2>"$tmp/everr$n" ||
    { echo "mpirun -n $n evaluate failed"; cat "$tmp/everr$n"; exit 1; }
done
"$single_bin" plan "$spec" "${flags[@]}" --cuts grouped:5 --json "$tmp/grouped-single.json" >/dev/null ||
  { echo "single process --cuts grouped:5 failed"; exit 1; }
for n in 1 2; do
  mpirun --allow-run-as-root --oversubscribe -n "$n" "$mpi_bin" plan "$spec" "${flags[@]}" --cuts grouped:5 \
    --json "$tmp/grouped$n.json" >/dev/null 2>"$tmp/gerr$n" ||
    { echo "mpirun -n $n plan --cuts grouped:5 failed"; cat "$tmp/gerr$n"; exit 1; }
done
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]

# Figures must agree to 1e-9 (relative): the first stage and the decisions
# exactly as decided, the rest up to the last bits of floating point (Clp's
# arithmetic can differ in the last bit with where a process's arrays sit).
def diff(a, b, path=""):
    if isinstance(a, dict):
        if set(a) != set(b):
            return [f"{path}: keys differ"]
        return [d for k in a for d in diff(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: lengths differ"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b)):
            return [f"{path}: {a} vs {b}"]
        return []
    return [] if a == b else [f"{path}: {a} vs {b}"]

def plan(path):
    j = json.load(open(path))
    for k in ("seconds", "subproblem_seconds", "master_seconds"):
        j["solver"].pop(k)  # wall time differs
    return j

base = plan(f"{tmp}/single.json")
ev_base = json.load(open(f"{tmp}/eval-single.json"))
ok = True
for n in (1, 2, 4):
    got = plan(f"{tmp}/mpi{n}.json")
    bad = diff(got, base)
    if [o["sign"] for o in got["offers"]] != [o["sign"] for o in base["offers"]]:
        bad.append("offers signed differ")
    bad += diff(json.load(open(f"{tmp}/eval{n}.json")), ev_base, "evaluate")
    for d in bad[:20]:
        print(f"{n} ranks: {d}")
    ok = ok and not bad
    print(f"{n} ranks: signs {[round(o['chips'], 3) for o in got['offers']]}, objective {got['objective_usd']:.6f}, "
          f"{got['solver']['iterations']} Benders iterations" + ("" if bad else ", same as one process"))
gbase = plan(f"{tmp}/grouped-single.json")
for n in (1, 2):
    got = plan(f"{tmp}/grouped{n}.json")
    bad = diff(got, gbase)
    for d in bad[:20]:
        print(f"--cuts grouped:5, {n} ranks: {d}")
    ok = ok and not bad
    print(f"--cuts grouped:5, {n} ranks: objective {got['objective_usd']:.6f}, {got['solver']['iterations']} Benders "
          f"iterations" + ("" if bad else ", same as one process"))
# Grouped cuts reach multi-cut's optimum within the gap (1e-6 by default).
rel = abs(gbase["objective_usd"] - base["objective_usd"]) / max(1.0, abs(base["objective_usd"]))
print(f"--cuts grouped:5 against multi-cut: objective {gbase['objective_usd']:.6f} vs {base['objective_usd']:.6f}, "
      f"relative difference {rel:.2g}")
ok = ok and rel <= 1e-5
sys.exit(0 if ok else 1)
PY
