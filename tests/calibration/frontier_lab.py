#!/usr/bin/env python3
"""Calibration of the bundled frontier-lab example against the public record.

Runs `fungible validate`, `forecast`, `allocate`, `simulate` and `plan` on
examples/frontier-lab.yaml and checks that what they print lies in stated
bands around published figures. Each band names its source; the figures
themselves are cited beside the example's values in examples/frontier-lab.yaml
and derived in examples/derive/frontier_lab_economics.py.

usage: frontier_lab.py FUNGIBLE_BIN   (exit 0 when every check passes)
"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SPEC = os.path.join(ROOT, "examples", "frontier-lab.yaml")

# ---- The bands and their sources ----
# Run-rate revenue "north of $30 billion" at the end of Q1 2026 (Anthropic's
# CFO, "Inside Anthropic's $100 Billion AI Compute Commitment", 2026): the
# example's start month is 2026-04; +-30%.
RUN_RATE_USD = 30e9
RUN_RATE_TOLERANCE = 0.30
# Token revenue / compute cost: OpenAI 2024 $3.7B of revenue on ~$5B of
# compute (0.7x, The Information); inference margins of 40-70% put revenue at
# 1.7-3.3x the serving compute alone, so the whole fleet sits between.
REVENUE_TO_COMPUTE = (0.7, 3.0)
# Inference gross margin: Anthropic guided 40% for 2025 (The Information,
# 2026-01), OpenAI 46% for 2025 (same); SemiAnalysis put Anthropic's inference
# margin near 70% in 2026.
INFERENCE_GROSS_MARGIN = (0.38, 0.75)
# Revenue per chip-year: $30B of run-rate on ~1M Trainium2 (Amazon,
# 2025-10-29) and up to 1M TPUs (Google, 2025-10-23) plus NVIDIA capacity:
# $13-18k a chip-year at 1.6-2.3M chips; the band allows for the split.
REVENUE_PER_CHIP_YEAR = (10e3, 25e3)
# Model-development share of compute: OpenAI spent ~$3B on training and ~$2B on
# inference compute in 2024 (The Information): training ~60% of compute. The
# floor is the part that is never given up, so it sits below that share.
FLOOR_SHARE = (0.15, 0.60)

# The cone's median run-rate a year and two years out: Anthropic's own
# projection (The Information, reported by The Decoder, 2025-11-09) grew
# revenue x2.56 (2026 to 2027) and x1.80 (2027 to 2028); from $30B that is
# $77B and $138B. The median sits within a factor 1.5 of those.
RUN_RATE_12_MONTHS = (77e9 / 1.5, 77e9 * 1.5)
RUN_RATE_24_MONTHS = (138e9 / 1.5, 138e9 * 1.5)
# Its CEO (Dwarkesh Podcast, 2026-02): revenue of "$800 billion" a year by late
# 2027 is the 10x-a-year curve held, a level no hedge survives if bought for:
# the cone's P95 two years out stays below it.
RUN_RATE_24_MONTHS_P95_MAX = 800e9
# The cone's month-to-month noise: the published monthly points
# (data/published-ai-demand/points.csv: Google's tokens, Anthropic's and
# OpenAI's run-rates) as fitted by `fungible backtest --monthly --monthly-fit`.
# One month out the total run-rate's log spread, (ln P95 - ln P5) / 3.29,
# is that volatility (and a little growth uncertainty): within +-25% of it.
PUBLISHED_POINTS = os.path.join(ROOT, "data", "published-ai-demand", "points.csv")
MONTHLY_SPREAD_TOLERANCE = 0.25

failures = []


def check(name, value, low, high, source):
    ok = low <= value <= high
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {value:,.4g} in [{low:,.4g}, {high:,.4g}]  ({source})")
    if not ok:
        failures.append(name)


def run(bin_path, *args):
    p = subprocess.run([bin_path, *args], cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAIL fungible {' '.join(args)} exited {p.returncode}\n{p.stderr[-2000:]}")
        sys.exit(1)
    return p


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    bin_path = sys.argv[1]
    run_rate = (RUN_RATE_USD * (1 - RUN_RATE_TOLERANCE), RUN_RATE_USD * (1 + RUN_RATE_TOLERANCE))

    # validate: the unit economics at the start month, and no warning.
    p = run(bin_path, "validate", SPEC, "--json", "-")
    econ = json.loads(p.stdout)["economics"]
    f = econ["fleet"]
    check("validate: token revenue a year at mean demand", f["usd_token_revenue_per_year"], *run_rate,
          "CFO interview, >$30B run-rate end of Q1 2026")
    check("validate: revenue / compute cost", f["revenue_to_compute_cost"], *REVENUE_TO_COMPUTE,
          "OpenAI 2024 0.7x; inference margins 40-70%")
    check("validate: inference gross margin", f["inference_gross_margin"], *INFERENCE_GROSS_MARGIN,
          "Anthropic 2025 40%, OpenAI 2025 46%, SemiAnalysis 2026 ~70%")
    check("validate: revenue per chip-year", f["usd_revenue_per_chip_year"], *REVENUE_PER_CHIP_YEAR,
          "$30B on ~2M chips")
    check("validate: model-development floor share", f["model_development_floor_share"], *FLOOR_SHARE,
          "OpenAI 2024 training ~60% of compute")
    if econ["warnings"]:
        print("FAIL validate warns: " + "; ".join(w["message"] for w in econ["warnings"]))
        failures.append("validate warnings")
    for u in econ["units"]:
        if not 0 < u["output_tokens_per_s_per_chip"] < 5000:
            print(f"FAIL {u['model']} on {u['chip_type']}: {u['output_tokens_per_s_per_chip']:.0f} output tokens/s per chip")
            failures.append("throughput range")

    # forecast: the cone's median run-rate in the start month.
    p = run(bin_path, "forecast", SPEC, "--json", "-")
    cone = json.loads(p.stdout)
    total = cone["total_revenue_usd"]
    months = cone["months"]
    first = total[0]
    p50 = first[cone["quantiles"].index(0.5)] if "quantiles" in cone else first[3]
    check(f"forecast: P50 run-rate in {months[0]} (x12)", p50 * 12, *run_rate, "CFO interview")
    qi = cone["quantiles"]
    check(f"forecast: P50 run-rate in {months[11]} (x12)", total[11][qi.index(0.5)] * 12, *RUN_RATE_12_MONTHS,
          "Anthropic projection x2.56 a year (The Information, 2025-11)")
    check(f"forecast: P50 run-rate in {months[23]} (x12)", total[23][qi.index(0.5)] * 12, *RUN_RATE_24_MONTHS,
          "Anthropic projection x2.56 then x1.80 (The Information, 2025-11)")
    check(f"forecast: P95 run-rate in {months[23]} (x12)", total[23][qi.index(0.95)] * 12, 0,
          RUN_RATE_24_MONTHS_P95_MAX, "Amodei, Dwarkesh Podcast 2026-02: '$800 billion'")
    fit = json.loads(run(bin_path, "backtest", "--monthly", PUBLISHED_POINTS, "--monthly-fit", "--quiet", "--json",
                         "-").stdout)["monthly_fit"]
    preferred = fit["drift"] if fit["drift_preferred"] else fit["no_drift"]
    spread = math.log(first[qi.index(0.95)] / first[qi.index(0.05)]) / (2 * 1.6449)
    fitted = preferred["volatility"]
    check(f"forecast: log spread of the run-rate in {months[0]} ((ln P95 - ln P5) / 3.29)", spread,
          fitted * (1 - MONTHLY_SPREAD_TOLERANCE), fitted * (1 + MONTHLY_SPREAD_TOLERANCE),
          f"monthly volatility {fitted:.3f} fitted on {fit['increments']} published increments")
    drifts = [t["growth"].get("monthly_growth_drift_sd", 0) for t in cone["tiers"] if t["kind"] == "serving"]
    drift = preferred["growth_drift_sd"]
    check("forecast: serving tiers' growth drift (largest)", max(drifts), drift * (1 - MONTHLY_SPREAD_TOLERANCE),
          drift * (1 + MONTHLY_SPREAD_TOLERANCE),
          f"growth drift {drift:.3f} a month preferred by AIC on the published points")

    with tempfile.TemporaryDirectory() as tmp:
        # allocate: the first week of April 2026, revenue at the week's run-rate.
        out = os.path.join(tmp, "alloc.json")
        run(bin_path, "allocate", SPEC, "--from", "2026-04-06T00:00Z", "--window", "7d", "--period", "4h",
            "--lp-only", "--json", out)
        a = json.load(open(out))
        weekly_run_rate = a["revenue_usd"] * 8760 / 168
        check("allocate: week's token revenue x 52", weekly_run_rate, *run_rate, "CFO interview")
        check("allocate: revenue / contract cost", a["revenue_usd"] / a["contract_cost_usd"], *REVENUE_TO_COMPUTE,
              "OpenAI 2024 0.7x; inference margins 40-70%")

        # simulate: three months of operation.
        run_dir = os.path.join(tmp, "run")
        run(bin_path, "simulate", SPEC, "--months", "3", "--policy", "fungible", "--quiet", "--out", run_dir)
        rows = list(csv.DictReader(open(os.path.join(run_dir, "compare.csv"))))
        fungible_row = next(r for r in rows if r["policy"] == "fungible")
        revenue = float(fungible_row["revenue_usd"])
        cost = float(fungible_row["contract_cost_usd"])
        check("simulate: annualised revenue (3 months x 4)", revenue * 4, run_rate[0], run_rate[1] * 1.6,
              "CFO interview; the upper side allows three months of growth")
        check("simulate: revenue / compute cost", revenue / cost, *REVENUE_TO_COMPUTE,
              "OpenAI 2024 0.7x; inference margins 40-70%")

        # plan: no scenario reports profit above its revenue.
        out = os.path.join(tmp, "plan.json")
        run(bin_path, "plan", SPEC, "--json", out)
        plan = json.load(open(out))
        for s in plan["scenario_outcomes"]:
            if s["cash_profit_usd"] > s["revenue_usd"]:
                print(f"FAIL plan scenario {s['name']}: cash profit {s['cash_profit_usd']:.4g} above revenue {s['revenue_usd']:.4g}")
                failures.append("profit above revenue")
        if "profit above revenue" not in failures:
            print(f"ok   plan: cash profit <= revenue in all {len(plan['scenario_outcomes'])} scenarios")
        check("plan: expected revenue / compute cost over the horizon",
              plan["revenue_usd"]["mean"] / plan["compute_cost_usd"]["mean"], *REVENUE_TO_COMPUTE,
              "OpenAI 2024 0.7x; inference margins 40-70%")
        check("plan: P50 token revenue over the 24 months", plan["revenue_usd"]["p50"], 1.0 * 30e9 * 2,
              (77e9 + 138e9) / 2 * 2 * 1.5, "between today's run-rate held and 1.5x the projection's average")

    print(f"{len(failures)} failed" if failures else "calibration: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
