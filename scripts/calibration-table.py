#!/usr/bin/env python3
"""The calibration table of docs/forecast.md, from the bundled traces.

Runs `fungible backtest --trace` on the ServeGen rate trace (every series long
enough: m-large, m-mid, m-small) with the hourly AR(1) noise of before issue
16 and with the day-level Student-t noise model, at one day, one week and the
longest horizon, and prints a Markdown table: coverage before and after the
rolling split-conformal recalibration, pinball loss and CRPS.

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
BEGIN = "<!-- calibration-table: begin (scripts/calibration-table.py) -->"
END = "<!-- calibration-table: end -->"


def run(binary, noise):
    out = subprocess.run(
        [binary, "backtest", "--trace", TRACE, "--horizons", "1d,7d,max", "--noise", noise, "--seed", "1",
         "--json", "-"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return {t["name"]: t for t in json.loads(out)["traces"]}


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
                "| %s | %d | %d | %d | %s / %s | %s / %s | **%s / %s** | %.2f / %.2f / %.2f%s | %.3f -> %.3f | "
                "%.3f -> %.3f |" %
                (name, h["horizon_days"], h["origins"], r["points"], pct(a["coverage_p10_p90"]),
                 pct(a["coverage_p5_p95"]), pct(m["coverage_p10_p90"]), pct(m["coverage_p5_p95"]),
                 pct(r["coverage_p10_p90"]), pct(r["coverage_p5_p95"]), h["mean_factor_p25_p75"],
                 h["mean_factor_p10_p90"], h["mean_factor_p5_p95"], note, m["mean_pinball_loss"],
                 r["mean_pinball_loss"], m["mean_crps"], r["mean_crps"]))
    return "\n".join(lines) + "\n"


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
