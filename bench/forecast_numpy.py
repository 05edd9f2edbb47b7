#!/usr/bin/env python3
"""The forecast benchmark model written vectorised in NumPy: the reference
for bench/forecast_bench.cc (see docs/benchmarks.md, section Forecast).

Same fleet as BenchFleet() there: 5 serving tiers, growth prior, volatility,
a shared factor, a saturation ceiling (tier 1), a launch (tier 2), a price
cut with elasticity (tier 3); diurnal and weekly shape with AR(1) hourly
noise. Two workloads:
  monthly: 10,000 scenarios x 24 months: paths, then the cone (7 quantiles of
           tokens and revenue per tier-month and of total revenue);
  hourly:  1,000 scenarios x 8,760 hours: expand each scenario-month to hours
           and take the peak hour and peak/mean per month.
Prints JSON: best-of-N wall times in milliseconds and a few figures to
compare with fungible's (medians at the horizon).

Usage: python3 bench/forecast_numpy.py [--repeats 5]
Needs Debian's python3-numpy (/usr/bin/python3).
"""
import argparse
import json
import time

import numpy as np

PROBS = np.array([0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95])
DIURNAL = np.array([0.55, 0.5, 0.45, 0.45, 0.5, 0.6, 0.75, 0.9, 1.05, 1.2, 1.3, 1.4,
                    1.45, 1.5, 1.5, 1.45, 1.4, 1.3, 1.2, 1.1, 0.95, 0.8, 0.7, 0.6])
WEEKLY = np.array([1.08, 1.1, 1.1, 1.08, 1.02, 0.82, 0.8])
S = 5
LEVEL = 1e9 * np.arange(1, S + 1)                       # output tokens/hour at as_of
MU = 0.03 + 0.01 * np.arange(S)
SD = np.full(S, 0.02)
SIGMA = 0.04 + 0.01 * np.arange(S)
LOAD = np.full(S, 0.5)
INV_CEIL = np.array([0, 1 / 20.0, 0, 0, 0])             # tier 1: ceiling 20x
ELAST = np.array([0, 0, 0, -1.5, 0])
USD = (2.0 * np.arange(1, S + 1) + 4.0 * 0.5 * np.arange(1, S + 1)) / 1e6  # per output token
NOISE_SD, NOISE_PHI = 0.15, 0.7


def month_starts(horizon):
    # Months 1..horizon after January 2027, and the one after.
    return np.array([np.datetime64('2027-01') + np.timedelta64(t, 'M') for t in range(1, horizon + 2)])


def hours_in_months(horizon):
    m = month_starts(horizon).astype('datetime64[h]')
    return (m[1:] - m[:-1]).astype(np.int64)


def price_factor(horizon):
    p = np.zeros((horizon, S))
    p[8:, 3] = np.log(0.7)                              # month 9 on: price -30% (tier 3)
    return p


def paths(rng, n, horizon):
    """Log demand multiples, shape (n, horizon, S)."""
    lat = rng.standard_normal((n, 1 + S + 1))           # shared, own growth x5, launch (tier 2)
    shared = lat[:, :1]
    g = MU + SD * (LOAD * shared + np.sqrt(1 - LOAD ** 2) * lat[:, 1:1 + S])
    jump = np.log(1.5) + 0.2 * lat[:, 1 + S]
    eps = rng.standard_normal((n, horizon, S + 1))
    shocks = SIGMA * (LOAD * eps[:, :, :1] + np.sqrt(1 - LOAD ** 2) * eps[:, :, 1:])
    # Tiers without a ceiling: a cumulative sum; tier 1 needs the month loop.
    x = np.cumsum(g[:, None, :] + shocks, axis=1)
    xs = np.zeros(n)
    for t in range(horizon):
        xs = xs + g[:, 1] * (1 - np.exp(xs) * INV_CEIL[1]) + shocks[:, t, 1]
        x[:, t, 1] = xs
    x[:, 5:, 2] += jump[:, None]                        # launch in month 6
    x += ELAST * price_factor(horizon)
    return x


def cone(x, horizon):
    unit = LEVEL * hours_in_months(horizon)[:, None]    # (horizon, S)
    q = np.quantile(x, PROBS, axis=0)                   # (7, horizon, S)
    tokens = unit * np.exp(q)
    revenue = tokens * USD * np.exp(price_factor(horizon))
    rev_unit = unit * USD * np.exp(price_factor(horizon))
    total = np.quantile((rev_unit * np.exp(x)).sum(axis=2), PROBS, axis=0)
    return tokens, revenue, total


def hourly_peaks(rng, x, horizon):
    n = x.shape[0]
    starts = month_starts(horizon).astype('datetime64[h]')
    hours = np.arange(starts[0], starts[-1], dtype='datetime64[h]')
    hod = (hours.astype(np.int64) % 24)
    wd = ((hours.astype('datetime64[D]').astype(np.int64) + 3) % 7)   # 1970-01-01 was a Thursday
    month = np.searchsorted(starts, hours, side='right') - 1
    w = DIURNAL[hod] * WEEKLY[wd]
    w = w / np.bincount(month, weights=w)[month]        # normalised per month
    tokens = LEVEL * hours_in_months(horizon)[:, None] * np.exp(x)   # (n, horizon, S)
    mean = tokens.transpose(1, 0, 2) / hours_in_months(horizon)[:, None, None]
    bounds = np.searchsorted(month, np.arange(horizon + 1))
    innov = NOISE_SD * np.sqrt(1 - NOISE_PHI ** 2)
    peak = np.empty((horizon, n, S))
    for s in range(S):                                  # one tier at a time: (hours, n) arrays
        z = rng.standard_normal((len(hours), n))
        noise = np.empty_like(z)
        cur = NOISE_SD * z[0]
        noise[0] = cur
        for h in range(1, len(hours)):                  # AR(1): sequential in time
            cur = NOISE_PHI * cur + innov * z[h]
            noise[h] = cur
        hourly = tokens[:, month, s].T * w[:, None] * np.exp(noise - 0.5 * NOISE_SD ** 2)
        peak[:, :, s] = np.maximum.reduceat(hourly, bounds[:-1], axis=0)
    return np.quantile(peak, PROBS, axis=1), np.quantile(peak / mean, PROBS, axis=1), len(hours)


def best_of(fn, repeats):
    """Best wall and best CPU time (ms) over `repeats` runs, and the result."""
    best, best_cpu, out = float('inf'), float('inf'), None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best * 1e3, best_cpu * 1e3, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repeats', type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    res = {'numpy': np.__version__}
    ms, cpu, x = best_of(lambda: paths(rng, 10000, 24), args.repeats)
    res['monthly_scenarios_ms'], res['monthly_scenarios_cpu_ms'] = ms, cpu
    ms, cpu, (tokens, revenue, total) = best_of(lambda: cone(paths(rng, 10000, 24), 24), args.repeats)
    res['monthly_cone_ms'], res['monthly_cone_cpu_ms'] = ms, cpu
    res['monthly_p50_tokens_month24'] = tokens[3, 23, :].tolist()
    res['monthly_p50_total_revenue_month24'] = float(total[3, 23])
    x12 = paths(rng, 1000, 12)
    ms, cpu, (peak, ratio, hours) = best_of(lambda: hourly_peaks(rng, x12, 12), max(1, args.repeats // 2))
    res['hourly_peaks_ms'], res['hourly_peaks_cpu_ms'] = ms, cpu
    res['hours'] = int(hours)
    res['hourly_p50_peak_to_mean_month12'] = ratio[3, 11, :].tolist()
    ms, cpu, _ = best_of(lambda: rng.standard_normal(10000 * (7 + 24 * 6)), args.repeats)
    res['monthly_normals_only_ms'], res['monthly_normals_only_cpu_ms'] = ms, cpu
    print(json.dumps(res, indent=2))


if __name__ == '__main__':
    main()
