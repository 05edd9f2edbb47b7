#!/usr/bin/env python3
"""The figures a report embeds are the figures the commands wrote.

Usage: compare_figures.py REPORT.html DIR

DIR holds the JSON the commands wrote for the same spec and seed:
forecast.json (`forecast --json`), validate.json (`validate --json -`),
plan.json, evaluate.json, allocate.json, run/run.json, review.json.
Reads the figures document out of the report's
<script id="fungible-figures" type="application/json"> and checks, view by
view, that each number drawn equals the one in the command's output (the
cone's bands, the layer cake's signed offers, VSS/EVPI, the money words (value, cash profit,
imputed value), the mismatch tables, the cash path and capital to raise, the
allocation summed by workload and the pool utilization, return on compute by
horizon/team/chip type, the review's bridges and
cost by contract, the unit economics). Exit 1
with every difference listed.
"""
import html.parser
import json
import math
import os
import sys


class FiguresParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside = False
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag == "script" and ("id", "fungible-figures") in attrs:
            self.inside = True

    def handle_endtag(self, tag):
        if tag == "script":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.text.append(data)


failures = []
checked = 0


def same(what, got, want, rel=1e-9):
    global checked
    checked += 1
    if want is None or got is None:
        if want is not got:
            failures.append(f"{what}: report {got!r}, command {want!r}")
        return
    if isinstance(want, str) or isinstance(got, str):
        if got != want:
            failures.append(f"{what}: report {got!r}, command {want!r}")
        return
    if not math.isclose(float(got), float(want), rel_tol=rel, abs_tol=1e-9):
        failures.append(f"{what}: report {got!r}, command {want!r}")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    report, d = sys.argv[1], sys.argv[2]
    p = FiguresParser()
    with open(report, encoding="utf-8") as f:
        p.feed(f.read())
    fig = json.loads("".join(p.text))
    same("format", fig["fungible_report"], 1)

    # The cone: every band of every tier, month by month, as `forecast --json`.
    fc = load(os.path.join(d, "forecast.json"))
    same("cone months", ",".join(fig["cone"]["months"]), ",".join(fc["months"]))
    names = ["p5", "p10", "p25", "p50", "p75", "p90", "p95"]
    for t_fig, t in zip(fig["cone"]["tiers"], fc["tiers"], strict=True):
        same("cone tier", t_fig["id"], t["id"])
        qty = "output_tokens" if t["kind"] == "serving" else "demand_multiple"
        for q, name in enumerate(names):
            for m, row in enumerate(t[qty]):
                same(f"cone {t['id']} {name} month {m}", t_fig["prior"][name][m], row[q])
            if "revenue_usd" in t:
                for m, row in enumerate(t["revenue_usd"]):
                    same(f"cone {t['id']} revenue {name} month {m}", t_fig["prior_revenue_usd"][name][m], row[q])

    # The plan.
    plan = load(os.path.join(d, "plan.json"))
    pf = fig["plan"]
    for k in ["objective_usd", "vss_usd", "evpi_usd", "probability_cash_breach", "return_on_compute",
              "cash_return_on_compute", "cash_floor_usd", "operating_cost_usd", "financing_usd"]:
        same("plan " + k, pf[k], plan[k])
    # The money words: value = cash profit + imputed value, each a spread.
    for k in ["value_usd", "revenue_usd", "compute_cost_usd", "cash_profit_usd", "imputed_value_usd"]:
        for q in ["mean", "p10", "p50", "p90"]:
            same(f"plan {k} {q}", pf[k][q], plan[k][q])
    # The cash path fan: end-of-month cash P10/P50/P90 per planned month.
    same("cash months", len(pf["cash_by_month_usd"]), len(plan["cash_by_month_usd"]))
    for a, b in zip(pf["cash_by_month_usd"], plan["cash_by_month_usd"]):
        same("cash month", a["month"], b["month"])
        for q in ["mean", "p10", "p50", "p90"]:
            same(f"cash {b['month']} {q}", a[q], b[q])
    same("capital to raise", len(pf["capital_to_raise"]), len(plan["capital_to_raise"]))
    for a, b in zip(pf["capital_to_raise"], plan["capital_to_raise"]):
        for k in ["quantile", "usd", "by_month"]:
            same(f"capital to raise at {b['quantile']} {k}", a[k], b[k])
    for i, row in enumerate(plan["mismatch"]["value_usd"]):
        for j, v in enumerate(row):
            same(f"mismatch value [{i}][{j}]", pf["mismatch"]["value_usd"][i][j], v)
            same(f"mismatch cash profit [{i}][{j}]", pf["mismatch"]["cash_profit_usd"][i][j],
                 plan["mismatch"]["cash_profit_usd"][i][j])
            same(f"mismatch unserved [{i}][{j}]", pf["mismatch"]["unserved_share"][i][j],
                 plan["mismatch"]["unserved_share"][i][j])
    by_name = {s["name"]: s for s in plan["scenario_outcomes"]}
    same("scenarios", len(pf["scenarios"]), len(by_name))
    for s in pf["scenarios"]:
        same(f"scenario {s['name']} lowest cash", s["min_cash_usd"], by_name[s["name"]]["min_cash_usd"])
        for k in ["value_usd", "cash_profit_usd", "imputed_value_usd", "revenue_usd", "cost_usd"]:
            same(f"scenario {s['name']} {k}", s[k], by_name[s["name"]][k])
    same("cumulative probability", pf["scenarios"][-1]["cumulative_probability"],
         sum(s["probability"] for s in plan["scenario_outcomes"]))
    # The layer cake's signed offers: the chips the plan signs.
    # The layer cake's signed offers: the chips the plan signs, landed along
    # the offer's ramp (never more than signed).
    signed = {l["contract"]: l for l in fig["layer_cake"]["layers"] if l["signed_offer"]}
    for o in plan["offers"]:
        if o["chips"] > 0 and not o["on_demand"]:
            layer = signed.get(o["id"], {"signed_chips": None, "chips": []})
            same(f"layer cake {o['id']} signed chips", layer["signed_chips"], o["chips"])
            if any(c > o["chips"] * (1 + 1e-12) for c in layer["chips"]):
                failures.append(f"layer cake {o['id']}: more chips landed than signed")

    ev = load(os.path.join(d, "evaluate.json"))
    for k in ["objective_change_usd", "expected_value_change_usd", "expected_revenue_change_usd",
              "expected_cost_change_usd", "expected_cash_profit_change_usd", "expected_imputed_value_change_usd",
              "probability_value_falls", "cost_usd", "chips"]:
        same("evaluate " + k, fig["evaluate"][k], ev[k])
    by_name = {s["name"]: s for s in ev["scenarios"]}
    for s in fig["evaluate"]["scenarios"]:
        same(f"evaluate {s['name']} value change", s["value_change_usd"], by_name[s["name"]]["value_change_usd"])

    # A week of allocation: chips by workload = the pools' chips summed.
    al = load(os.path.join(d, "allocate.json"))
    af = fig["allocation"]
    want = {}
    for c in al["chips"]:
        w = want.setdefault(c["workload"], [0] * len(al["periods"]))
        for t, v in enumerate(c["chips"]):
            w[t] += v
    got = {w["id"]: w["chips"] for w in af["workloads"]}
    same("allocation workloads", ",".join(sorted(got)), ",".join(sorted(want)))
    for w, series in want.items():
        for t, v in enumerate(series):
            same(f"allocation {w} hour {t}", got[w][t], v)
    used = {}
    for c in al["chips"]:
        u = used.setdefault(c["pool"], [0] * len(al["periods"]))
        for t, v in enumerate(c["chips"]):
            u[t] += v
    for pool_fig, pool in zip(af["pools"], al["pools"], strict=True):
        for t, cap in enumerate(pool["capacity_chips"]):
            want_u = used.get(pool["id"], [0] * len(al["periods"]))[t] / cap if cap > 0 else 0
            same(f"utilization {pool['id']} hour {t}", pool_fig["utilization"][t], want_u)

    # The run: return on compute by horizon, team and chip type, per policy.
    run = load(os.path.join(d, "run", "run.json"))
    for pol_fig, pol in zip(fig["run"]["policies"], run["policies"], strict=True):
        same("policy", pol_fig["policy"], pol["policy"])
        roc = pol["return_on_compute"]
        for h in ["roc_now", "roc_within", "roc_all_up"]:
            same(f"{pol['policy']} total {h}", pol_fig["roc_total"][h], roc["total"][h])
        for key in ["by_team", "by_chip_type", "by_workload"]:
            for a, b in zip(pol_fig[key], roc[key], strict=True):
                for k in ["key", "chip_hours", "cost_usd", "value_all_up_usd", "roc_now", "roc_within", "roc_all_up"]:
                    same(f"{pol['policy']} {key} {b['key']} {k}", a[k], b[k])
        for k in ["revenue_usd", "value_all_up_usd", "contract_cost_usd", "utilization"]:
            same(f"{pol['policy']} summary {k}", pol_fig["summary"][k], pol["summary"][k])
    if "value_of_fungibility" in run:
        for k, v in run["value_of_fungibility"].items():
            same("value of fungibility " + k, fig["run"]["value_of_fungibility"][k], v)

    # The review's bridges: from, the parts, to.
    rv = load(os.path.join(d, "review.json"))
    bridges = {b["name"]: b for b in fig["review"]["bridges"]}
    same("bridges", ",".join(bridges), ",".join(rv["bridges"]))
    for name, b in rv["bridges"].items():
        same(f"bridge {name} from", bridges[name]["from"], b["from"])
        same(f"bridge {name} to", bridges[name]["to"], b["to"])
        parts = {p["name"]: p["amount"] for p in bridges[name]["parts"]}
        for part, amount in b["parts"].items():
            same(f"bridge {name} {part}", parts.get(part), amount)

    # Compute cost by contract.
    cs = {c["contract"]: c for c in fig["review"]["contracts"]}
    same("contracts", len(cs), len(rv["contracts"]))
    for c in rv["contracts"]:
        for k in ["cost_usd", "previous_cost_usd", "paid_chip_hours", "volume_effect_usd", "rate_effect_usd"]:
            same(f"contract {c['contract']} {k}", cs.get(c["contract"], {}).get(k), c[k])

    # The unit economics, as validate computes them.
    va = load(os.path.join(d, "validate.json"))["economics"]
    for a, b in zip(fig["economics"]["units"], va["units"], strict=True):
        for k in b:
            same(f"economics {b['model']} on {b['chip_type']} {k}", a.get(k), b[k])
    for k in va["fleet"]:
        same(f"economics fleet {k}", fig["economics"]["fleet"].get(k), va["fleet"][k])
    same("economics at", fig["economics"]["at"], va["at"])

    for f in failures[:50]:
        print("DIFF " + f)
    if failures:
        print(f"{len(failures)} of {checked} figures differ")
        return 1
    print(f"ok: {checked} figures of the report equal the commands' outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
