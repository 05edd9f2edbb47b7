#!/usr/bin/env python3
"""The arithmetic behind examples/frontier-lab.yaml's economics.

Run: python3 examples/derive/frontier_lab_economics.py
Prints the blended price per output token of each tier, the demand levels that
give the published run-rate, the chips landed in April 2026, their cost and
revenue per chip-year. The figures' sources are in the YAML's header; this
script only does the sums so that anyone can check them.
"""

# ---- Published: run-rate at the end of Q1 2026 (the CFO interview) ----
RUN_RATE_USD_PER_YEAR = 30e9
HOURS_PER_YEAR = 8760

# ---- Per tier: list prices (anthropic.com/pricing, 2025-11), request mix and
# revenue share (ASSUMPTION, see the YAML header) ----
#        id             in    cached  out   input/output  cached share  revenue share
TIERS = [("haiku-class", 1.0, 0.10, 5.0, 1155 / 211, 0.30, 0.06),
         ("sonnet-class", 3.0, 0.30, 15.0, 50.0, 0.85, 0.50),
         ("opus-class", 5.0, 0.50, 25.0, 60.0, 0.85, 0.36),
         ("opus-max", 15.0, 1.50, 75.0, 15.0, 0.80, 0.08)]

# ---- Pools landed in the week of 2026-04-06: (chip type, chips, landed
# fraction, USD per chip-hour, pretraining H100-equivalents per chip) ----
POOLS = [("h100-sxm", 49152, 1.0, 2.10, 0.0),
         ("h200", 32768, 1.0, 2.40, 0.0),
         ("gb200", 147456, 0.35, 4.00, 2.53),
         ("tpu-v5e", 65536, 1.0, 0.54, 0.0),
         ("tpu-v6e", 196608, 1.0, 1.22, 0.96),
         ("tpu-v7", 737280, 0.30, 3.00, 2.40),
         ("trn2", 983040, 1.0, 1.35, 0.47)]
# All-in IT power per chip (W, the built-in catalog: DGX H100/H200 10.2 kW / 8,
# GB200 NVL72 ~132 kW / 72, Ironwood pod ~10 MW / 9,216; else 1.5 x board power).
POWER_W = {"h100-sxm": 1275, "h200": 1275, "gb200": 1833, "tpu-v5e": 1.5 * 225, "tpu-v6e": 1.5 * 380,
           "tpu-v7": 1085, "trn2": 1.5 * 500}
PUE = 1.2
FLOORS_H100_EQUIV = {"pretrain-next": 250000}


def main():
    usd_per_hour = RUN_RATE_USD_PER_YEAR / HOURS_PER_YEAR
    print(f"run-rate ${RUN_RATE_USD_PER_YEAR / 1e9:.0f}B a year = ${usd_per_hour / 1e6:.3f}M an hour")
    print("tier           USD per M output (with input)   output tokens an hour")
    for tid, p_in, p_cached, p_out, ratio, cached, share in TIERS:
        blended_in = (1 - cached) * p_in + cached * p_cached
        per_output = p_out + ratio * blended_in
        tokens = share * usd_per_hour / (per_output / 1e6)
        print(f"  {tid:<13} ${p_out} + {ratio:.2f} x ${blended_in:.3f} = ${per_output:7.2f}     {tokens:.3g}")

    chips = sum(n * f for _, n, f, _, _ in POOLS)
    usd_per_hour_cost = sum(n * f * rate for _, n, f, rate, _ in POOLS)
    mw = sum(n * f * POWER_W[c] * PUE for c, n, f, _, _ in POOLS) / 1e6
    h100_equiv = sum(n * f * e for _, n, f, _, e in POOLS)
    print(f"chips landed           {chips:,.0f} ({mw / 1000:.2f} GW of facility power: all-in x PUE {PUE})")
    print(f"compute cost           ${usd_per_hour_cost / 1e6:.3f}M an hour = ${usd_per_hour_cost * HOURS_PER_YEAR / 1e9:.1f}B a year")
    print(f"revenue / compute cost {RUN_RATE_USD_PER_YEAR / (usd_per_hour_cost * HOURS_PER_YEAR):.2f}x")
    print(f"revenue per chip-year  ${RUN_RATE_USD_PER_YEAR / chips:,.0f}")
    print(f"pretraining H100-eq    {h100_equiv:,.0f}; pretraining floor {FLOORS_H100_EQUIV['pretrain-next']:,} "
          f"= {FLOORS_H100_EQUIV['pretrain-next'] / h100_equiv:.0%}")


if __name__ == "__main__":
    main()
