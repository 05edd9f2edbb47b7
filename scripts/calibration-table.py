#!/usr/bin/env python3
"""The calibration table of docs/forecast.md, from the bundled traces.

Runs `fungible backtest --trace` on the ServeGen rate trace (every series long
enough: m-large, m-mid, m-small) with the hourly AR(1) noise of before issue
16 and with the day-level Student-t noise model, at one day, one week and the
longest horizon, and prints Markdown tables: coverage before and after the
rolling split-conformal recalibration, pinball loss and CRPS; the one-day
recalibrated coverage on seeds 1-8 (lowest and highest); and the adaptive step chosen out of
sample (on the other two series) against the default; and the monthly cone's
rolling-origin backtest on the published points (`fungible backtest --monthly
data/published-ai-demand/points.csv`) per series and horizon bucket, before
and after its recalibration; then the same with growth that drifts, its
volatility and drift fitted at every origin (`--monthly-fit`), with the fits
on every point.

  scripts/calibration-table.py build/src/fungible            # print the table
  scripts/calibration-table.py build/src/fungible --check docs/forecast.md
      # exit 1 when the table between the markers in the doc differs

Standard library only.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACE = "data/servegen-alibaba-bailian/rate_10min_by_model.csv"
POINTS = "data/published-ai-demand/points.csv"
BEGIN = "<!-- calibration-table: begin (scripts/calibration-table.py) -->"
END = "<!-- calibration-table: end -->"


def run(binary, noise, horizons="1d,7d,max", seed=1, step=None):
    args = [binary, "backtest", "--trace", TRACE, "--horizons", horizons, "--noise", noise, "--seed",
            str(seed), "--json", "-"]
    if step is not None:
        args += ["--adaptive-step", str(step)]
    out = subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return {t["name"]: t for t in json.loads(out)["traces"]}


def miss(h):
    """Distance of a one-day-ahead recalibrated cone from nominal, in points."""
    r = h["recalibrated"]
    return abs(r["coverage_p10_p90"] - 0.80) + abs(r["coverage_p5_p95"] - 0.90)


def pct(x):
    return "%.1f%%" % (100 * x)


def table(binary):
    old, new = run(binary, "ar1"), run(binary, "day-t")
    lines = [
        "| series | days ahead | origins | points | AR(1) model P10-P90 / P5-P95 | day-level t model | "
        "recalibrated | factors P25-75 / P10-90 / P5-95 | pinball model -> recal. | CRPS model -> recal. |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in sorted(new):
        for h_old, h in zip(old[name]["horizons"], new[name]["horizons"]):
            m, r, a = h["model"], h["recalibrated"], h_old["model"]
            note = ""
            if h["calibrated_from_horizon_days"] not in (0, h["horizon_days"]):
                note = " (from %d-day errors)" % h["calibrated_from_horizon_days"]
            if h["uncalibrated_points"]:
                note += " (%d points x1)" % h["uncalibrated_points"]
            lines.append(
                "| %s | %d | %d | %d | %s / %s | %s / %s | **%s / %s** | %.2f / %.2f / %.2f%s | "
                "%.3f -> %.3f | %.3f -> %.3f |" %
                (name, h["horizon_days"], h["origins"], r["points"], pct(a["coverage_p10_p90"]),
                 pct(a["coverage_p5_p95"]), pct(m["coverage_p10_p90"]), pct(m["coverage_p5_p95"]),
                 pct(r["coverage_p10_p90"]), pct(r["coverage_p5_p95"]), h["mean_factor_p25_p75"],
                 h["mean_factor_p10_p90"], h["mean_factor_p5_p95"], note, m["mean_pinball_loss"],
                 r["mean_pinball_loss"], m["mean_crps"], r["mean_crps"]))
    # Seeds: the one-day-ahead recalibrated cone on seeds 1-8, each alone.
    seeds = {seed: (new if seed == 1 else run(binary, "day-t", "1d", seed)) for seed in range(1, 9)}
    lines += ["", "One day ahead, recalibrated, seeds 1-8 (what the test holds to the bands, each seed alone):", "",
              "| series | P10-P90 lowest / highest | P5-P95 lowest / highest | every seed in 75-85% and 86-94% |",
              "|---|---|---|---|"]
    for name in sorted(new):
        cov = [seeds[s][name]["horizons"][0]["recalibrated"] for s in seeds]
        c80 = [c["coverage_p10_p90"] for c in cov]
        c90 = [c["coverage_p5_p95"] for c in cov]
        inside = all(0.75 <= a <= 0.85 for a in c80) and all(0.86 <= b <= 0.94 for b in c90)
        lines.append("| %s | %s / %s | %s / %s | %s |" % (name, pct(min(c80)), pct(max(c80)), pct(min(c90)),
                                                          pct(max(c90)), "yes" if inside else "no"))
    # Out of sample: the adaptive step chosen on the other two series, judged on the third.
    steps = (0, 0.5, 1, 2)
    by_step = {step: run(binary, "day-t", "1d", 1, step) for step in steps}
    lines += ["", "The adaptive step chosen on the other two series (sum of their distances from 80% and "
              "90%), judged on the third (seed 1, one day ahead):", "",
              "| held-out series | step chosen | its P10-P90 / P5-P95 | with the default step 1 |",
              "|---|---|---|---|"]
    for name in sorted(new):
        others = [o for o in new if o != name]
        best = min(steps, key=lambda st: (sum(miss(by_step[st][o]["horizons"][0]) for o in others), st))
        held, default = by_step[best][name]["horizons"][0]["recalibrated"], new[name]["horizons"][0]["recalibrated"]
        lines.append("| %s | %g | %s / %s | %s / %s |" %
                     (name, best, pct(held["coverage_p10_p90"]), pct(held["coverage_p5_p95"]),
                      pct(default["coverage_p10_p90"]), pct(default["coverage_p5_p95"])))
    lines += ["", ""] + monthly_table(binary)
    lines += ["", ""] + monthly_fit_table(binary)
    return "\n".join(lines) + "\n"


def monthly_table(binary):
    """The monthly cone on published points, per series and horizon bucket."""
    out = subprocess.run([binary, "backtest", "--monthly", POINTS, "--json", "-"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    lines = ["The monthly cone on published points (`backtest --monthly %s`; growth prior 6%% +- 3%% a month, "
             "volatility 5%%, recalibrated from every series' earlier errors):" % POINTS, "",
             "| series | months ahead | origins | points | model P10-P90 / P5-P95 | recalibrated | "
             "factor on the spread | truths above the median | points x1 | pinball model -> recal. | "
             "CRPS model -> recal. |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for m in json.loads(out)["monthly"]:
        for h in m["horizons"]:
            a, r = h["model"], h["recalibrated"]
            lines.append("| %s | %s | %d | %d | %s / %s | **%s / %s** | %.2f | %s | %d | %.3f -> %.3f | "
                         "%.3f -> %.3f |" %
                         (m["series"], h["horizon"].replace(" months", ""), h["origins"], a["points"],
                          pct(a["coverage_p10_p90"]), pct(a["coverage_p5_p95"]), pct(r["coverage_p10_p90"]),
                          pct(r["coverage_p5_p95"]), h["mean_factor"], pct(h["above_median_share"]),
                          h["uncalibrated_points"], a["mean_pinball_loss"], r["mean_pinball_loss"],
                          a["mean_crps"], r["mean_crps"]))
    return lines


def monthly_fit_table(binary):
    """The monthly cone as a local linear trend fitted at every origin, and the fits on every point."""
    doc = json.loads(subprocess.run([binary, "backtest", "--monthly", POINTS, "--monthly-fit", "--json", "-"],
                                    cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    lines = ["Growth that drifts, fitted (`backtest --monthly %s --monthly-fit`): maximum-likelihood volatility "
             "and growth drift on every point (restricted log-likelihood, each series' starting growth "
             "integrated out; AIC against the same model without drift):" % POINTS, "",
             "| fitted on | increments | volatility | growth drift | log-likelihood | AIC | without drift: "
             "volatility, AIC | preferred |",
             "|---|---|---|---|---|---|---|---|"]
    fits = [("every series", doc["monthly_fit"])]
    fits += [(m["series"], f) for m, f in zip(doc["monthly"], doc["monthly_series_fit"])]
    for name, f in fits:
        if not f:
            lines.append("| %s | too few | | | | | | |" % name)
            continue
        d, n = f["drift"], f["no_drift"]
        lines.append("| %s | %d | %.3f | %.3f | %.2f | %.2f | %.3f, %.2f | %s |" %
                     (name, f["increments"], d["volatility"], d["growth_drift_sd"], d["log_likelihood"], d["aic"],
                      n["volatility"], n["aic"], "drift" if f["drift_preferred"] else "no drift"))
    lines += ["", "Its rolling-origin backtest (volatility and drift fitted at each origin on every series' points "
              "published by then; growth at each series' first point unknown):", "",
              "| series | months ahead | origins | points | fitted | model P10-P90 / P5-P95 | recalibrated | "
              "factor on the spread | pinball model -> recal. | CRPS model -> recal. |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for m in doc["monthly"]:
        for h in m["horizons"]:
            a, r = h["model"], h["recalibrated"]
            lo, hi = h["min_months"], h["max_months"]
            fc = [f for f in m["forecasts"] if lo <= f["horizon_months"] <= hi]
            lines.append("| %s | %s | %d | %d | %d | %s / %s | **%s / %s** | %.2f | %.3f -> %.3f | %.3f -> %.3f |" %
                         (m["series"], h["horizon"].replace(" months", ""), h["origins"], a["points"],
                          sum(f["fitted"] for f in fc), pct(a["coverage_p10_p90"]), pct(a["coverage_p5_p95"]),
                          pct(r["coverage_p10_p90"]), pct(r["coverage_p5_p95"]), h["mean_factor"],
                          a["mean_pinball_loss"], r["mean_pinball_loss"], a["mean_crps"], r["mean_crps"]))
    return lines


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    text = table(os.path.abspath(sys.argv[1]))
    if len(sys.argv) == 4 and sys.argv[2] == "--check":
        doc = open(sys.argv[3]).read()
        if BEGIN not in doc or END not in doc:
            sys.exit("%s: no calibration-table markers" % sys.argv[3])
        current = doc.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
        if current != text:
            sys.stderr.write("docs/forecast.md's calibration table is stale; regenerate it with\n"
                             "  scripts/calibration-table.py build/src/fungible --update docs/forecast.md\n"
                             "expected:\n" + text)
            sys.exit(1)
        return
    if len(sys.argv) == 4 and sys.argv[2] == "--update":
        doc = open(sys.argv[3]).read()
        head, rest = doc.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        open(sys.argv[3], "w").write(head + BEGIN + "\n" + text + END + tail)
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
