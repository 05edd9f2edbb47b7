# Derivation of examples/frontier-lab-actuals.csv: the frontier example's months
# after its as_of (2026-04-01), read from the run-rates Anthropic published since
# (data/published-ai-demand/points.csv) and split into the example's four serving
# tiers as its $30B was (examples/frontier-lab.yaml, header "Demand"):
#   output tokens in month m = share x run-rate / 8,760 h x hours(m) / revenue per output token.
# ASSUMPTION: the tier split (6 / 50 / 36 / 8% of revenue) and the list prices held.
# run: python3 examples/derive/frontier_lab_actuals.py > examples/frontier-lab-actuals.csv
import calendar, csv, os, sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
AS_OF = "2026-04"
# tier: (revenue share, USD per output token with its input tokens; header "Demand")
TIERS = {
    "haiku-class": (0.06, 8.99e-6),
    "sonnet-class": (0.50, 50.25e-6),
    "opus-class": (0.36, 95.50e-6),
    "opus-max": (0.08, 138.00e-6),
}
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["month", "model", "output_tokens", "source"])
with open(os.path.join(ROOT, "data", "published-ai-demand", "points.csv"), newline="") as f:
    for row in csv.DictReader(f):
        if row["series"] != "anthropic-run-rate" or row["month"] <= AS_OF:
            continue
        year, month = map(int, row["month"].split("-"))
        hours = 24 * calendar.monthrange(year, month)[1]
        run_rate = float(row["value"])
        for tier, (share, usd_per_token) in TIERS.items():
            tokens = share * run_rate / 8760 * hours / usd_per_token
            w.writerow([row["month"], tier, f"{tokens:.4g}",
                        f"{share:.0%} of a ${run_rate / 1e9:.0f}B run-rate ({row['source'].split(':')[0]})"])
