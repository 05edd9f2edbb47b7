#!/usr/bin/env python3
"""One validator (issue 10 item 9): every bound a command enforces on the spec
is the key table's, so `validate` and every command that reads a spec refuse
the same bad value with the same located error and exit code 2.

A bundled spec (tests/cases/forecast/two-tier-cone.yaml) is copied with one
bad value at a time; each copy goes through validate, forecast, simulate,
allocate, plan and evaluate. Every command must exit 2, and its error lines
(file:line:column: field: message) must be exactly validate's.

usage: validate_agreement.py FUNGIBLE_BIN
"""
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BASE = ROOT / "tests/cases/forecast/two-tier-cone.yaml"

# (name, text in the base spec, replacement, the field validate must name)
BAD = [
    ("elasticity", "price_elasticity: -1.6", "price_elasticity: -40", "demand[0].growth.price_elasticity"),
    ("price-change-before-as-of", "{date: 2027-09-01, price_change_fraction: -0.4}",
     "{date: 2026-06-01, price_change_fraction: -0.4}", "demand[0].growth.price_changes[0].date"),
    ("price-change-after-horizon", "{date: 2027-09-01, price_change_fraction: -0.4}",
     "{date: 2030-09-01, price_change_fraction: -0.4}", "demand[0].growth.price_changes[0].date"),
    ("price-change-fraction", "{date: 2027-09-01, price_change_fraction: -0.4}",
     "{date: 2027-09-01, price_change_fraction: -1}", "demand[0].growth.price_changes[0].price_change_fraction"),
    ("launch-before-as-of", "{date: 2027-06-15, multiplier_median: 1.8",
     "{date: 2026-12-15, multiplier_median: 1.8", "demand[1].growth.launches[0].date"),
    ("launch-multiplier", "multiplier_median: 1.8", "multiplier_median: 0",
     "demand[1].growth.launches[0].multiplier_median"),
    ("launch-log-sd", "multiplier_log_sd: 0.3", "multiplier_log_sd: 7",
     "demand[1].growth.launches[0].multiplier_log_sd"),
    ("growth-in-percent", "monthly_log_growth_mean: 0.06", "monthly_log_growth_mean: 6",
     "demand[0].growth.monthly_log_growth_mean"),
    ("negative-growth-sd", "monthly_log_growth_sd: 0.03", "monthly_log_growth_sd: -0.03",
     "demand[0].growth.monthly_log_growth_sd"),
    ("volatility-in-percent", "monthly_volatility: 0.05", "monthly_volatility: 5",
     "demand[0].growth.monthly_volatility"),
    ("loading", "shared_factor_loading: 0.7", "shared_factor_loading: 1.5",
     "demand[1].growth.shared_factor_loading"),
    ("ceiling-below-today", "saturation_multiple: 40", "saturation_multiple: 0.5",
     "demand[1].growth.saturation_multiple"),
    ("hourly-noise", "hourly_noise_log_sd: 0.15", "hourly_noise_log_sd: 5", "demand[0].hourly_noise_log_sd"),
    ("hourly-autocorrelation", "hourly_noise_autocorrelation: 0.7", "hourly_noise_autocorrelation: 1",
     "demand[0].hourly_noise_autocorrelation"),
    ("weekly-shape-length", "weekly_shape: [1.08, 1.1, 1.1, 1.08, 1.02, 0.82, 0.8]",
     "weekly_shape: [1.08, 1.1, 1.1, 1.08, 1.02, 0.82]", "demand[0].weekly_shape"),
    ("weekly-shape-negative", "weekly_shape: [1.08, 1.1, 1.1, 1.08, 1.02, 0.82, 0.8]",
     "weekly_shape: [1.08, 1.1, 1.1, 1.08, 1.02, 0.82, -0.8]", "demand[0].weekly_shape"),
    ("day-level", "hourly_noise_autocorrelation: 0.7", "hourly_noise_autocorrelation: 0.7\n    daily_level_log_sd: 4",
     "demand[0].daily_level_log_sd"),
    ("day-level-autocorrelation", "hourly_noise_autocorrelation: 0.7",
     "hourly_noise_autocorrelation: 0.7\n    daily_level_autocorrelation: 1", "demand[0].daily_level_autocorrelation"),
    ("band-factor-zero", "hourly_noise_autocorrelation: 0.7",
     "hourly_noise_autocorrelation: 0.7\n    hourly_band_factors: [1.5, 0, 1.2]", "demand[0].hourly_band_factors"),
    ("band-factors-two", "hourly_noise_autocorrelation: 0.7",
     "hourly_noise_autocorrelation: 0.7\n    hourly_band_factors: [1.5, 1.2]", "demand[0].hourly_band_factors"),
    ("level-zero", "output_tokens_per_hour: 6.0e9", "output_tokens_per_hour: 0", "demand[0].output_tokens_per_hour"),
    ("as-of-after-horizon", "output_tokens_per_hour: 8.0e8\n    as_of: 2027-01-01",
     "output_tokens_per_hour: 8.0e8\n    as_of: 2031-01-01", "demand[1].as_of"),
    ("horizon", "horizon_months: 24", "horizon_months: 0", "forecast.horizon_months"),
    ("scenarios", "scenarios: 10000", "scenarios: 0", "forecast.scenarios"),
]

COMMANDS = [
    ["validate"],
    ["forecast"],
    ["simulate", "--months", "1"],
    ["allocate", "--from", "2027-02-01T00:00Z", "--window", "1d"],
    ["plan"],
    ["evaluate", "--offer", "x"],
]

LOCATED = re.compile(r"^\S+\.yaml:\d+:\d+: ")


def errors(binary, command, spec):
    p = subprocess.run([binary, command[0], str(spec), *command[1:]], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    return p.returncode, [l for l in p.stderr.splitlines() if LOCATED.match(l)], p.stderr


def main():
    binary = sys.argv[1]
    base = BASE.read_text()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, old, new, field in BAD:
            assert base.count(old) == 1, f"{name}: {old!r} must occur once in {BASE}"
            spec = pathlib.Path(tmp) / f"{name}.yaml"
            spec.write_text(base.replace(old, new))
            code, want, text = errors(binary, COMMANDS[0], spec)
            if code != 2 or not want:
                failures.append(f"{name}: validate exited {code} without a located error:\n{text}")
                continue
            if not any(f": {field}: " in l or f": {field}[" in l for l in want):
                failures.append(f"{name}: validate's error does not name {field}: {want}")
            for command in COMMANDS[1:]:
                got_code, got, got_text = errors(binary, command, spec)
                if got_code != 2 or got != want:
                    failures.append(f"{name}: `{' '.join(command)}` exited {got_code} with\n  {got or got_text}\n"
                                    f"where validate exited 2 with\n  {want}")
            print(f"ok {name}: {want[0]}")
    # A flag that overrides a spec key takes the key's bounds and words.
    for args, want in [
        (["forecast", str(BASE), "--horizon-months", "500"],
         "--horizon-months: expected an integer from 1 to 120 (as forecast.horizon_months in a spec), got 500"),
        (["forecast", str(BASE), "--scenarios", "0"],
         "--scenarios: expected a positive integer up to 50000000 (as forecast.scenarios in a spec), got 0"),
    ]:
        p = subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
        if p.returncode != 2 or want not in p.stderr:
            failures.append(f"`{' '.join(args[:1] + args[2:])}` exited {p.returncode} with {p.stderr!r}, "
                            f"want 2 and {want!r}")
        else:
            print(f"ok {' '.join(args[2:])}: {want}")
    for f in failures:
        print("FAIL " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
