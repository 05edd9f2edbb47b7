#!/usr/bin/env python3
"""Every CSV fungible writes is RFC 4180: a field holding a comma and a quote
comes back unchanged, and no record is ragged (issue 14).

Ids may not hold commas or quotes (docs/fleet-spec.md, kIdPattern), so the
fields that can are used: an offer's provider and a
workload's team. The bundled specs are copied with those fields changed, and
every command with --csv DIR writes its files; each file is read back with
Python's csv module.

usage: cli_csv_roundtrip.py FUNGIBLE_BIN
"""
import csv
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
TRICKY = 'Lab, "North"'  # a comma and a quote
TRICKY_YAML = "'Lab, \"North\"'"


def run(binary, *args):
    p = subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: fungible {' '.join(args)} exited {p.returncode}\n{p.stderr}")
    return p


def read_csvs(directory):
    """Every *.csv under `directory`: {relative path: (header, rows)}; fails on a ragged record."""
    out = {}
    for path in sorted(pathlib.Path(directory).rglob("*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            records = list(csv.reader(f, strict=True))
        header, rows = records[0], records[1:]
        for i, row in enumerate(rows):
            if len(row) != len(header):
                sys.exit(f"FAIL: {path}: record {i + 2} has {len(row)} fields, the header {len(header)}")
        out[str(path.relative_to(directory))] = (header, rows)
    return out


def expect_field(files, name, column):
    header, rows = files[name]
    values = [r[header.index(column)] for r in rows]
    if TRICKY not in values:
        sys.exit(f"FAIL: {name}: no {column} equal to {TRICKY!r} (got {sorted(set(values))[:5]})")
    print(f"ok: {name}: {column} {TRICKY!r} read back from {sum(v == TRICKY for v in values)} records")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        # An offer with a provider holding a comma and a quote.
        plan_spec = tmp / "newsvendor.yaml"
        text = (ROOT / "tests/cases/plan/newsvendor.yaml").read_text()
        plan_spec.write_text(text.replace("provider: x,", f"provider: {TRICKY_YAML},", 1))
        # A team holding a comma and a quote.
        lab_spec = tmp / "small-lab.yaml"
        text = (ROOT / "examples/small-lab.yaml").read_text()
        lab_spec.write_text(text.replace("team: product", f"team: {TRICKY_YAML}"))

        run(binary, "plan", str(plan_spec), "--quiet", "--csv", str(tmp / "plan"))
        expect_field(read_csvs(tmp / "plan"), "offers.csv", "provider")
        run(binary, "evaluate", str(plan_spec), "--offer", "gpu-block", "--quiet", "--csv", str(tmp / "evaluate"))
        expect_field(read_csvs(tmp / "evaluate"), "evaluations.csv", "provider")

        run(binary, "simulate", str(lab_spec), "--months", "2", "--scenario", "random:1", "--quiet",
            "--csv", str(tmp / "simulate"), "--out", str(tmp / "run"))
        sim = read_csvs(tmp / "simulate")
        expect_field(sim, "fungible/ledger.csv", "team")
        if read_csvs(tmp / "run") != sim:
            sys.exit("FAIL: --csv DIR and --out DIR hold different CSV files")
        # The review of the second month, from the run directory.
        run(binary, "review", str(tmp / "run"), "--month", "2027-02", "--csv", str(tmp / "review"))
        read_csvs(tmp / "review")

        # The other writers: nothing ragged, every file readable.
        run(binary, "validate", str(lab_spec), "--csv", str(tmp / "validate"))
        run(binary, "catalog", "--csv", str(tmp / "catalog"))
        run(binary, "allocate", str(lab_spec), "--from", "2027-01-04T00:00Z", "--window", "1d", "--period", "4h",
            "--lp-only", "--quiet", "--csv", str(tmp / "allocate"))
        run(binary, "forecast", str(lab_spec), "--scenarios", "200", "--quiet", "--csv", str(tmp / "forecast"))
        run(binary, "fit-profile", "data/servegen-alibaba-bailian/rate_10min_by_model.csv",
            "data/azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv", "--model", "m-large",
            "--csv", str(tmp / "fit-profile"))
        run(binary, "backtest", str(lab_spec), "--truths", "20", "--scenarios", "200", "--quiet",
            "--trace", "data/servegen-alibaba-bailian/rate_10min_by_model.csv", "--model", "m-small",
            "--csv", str(tmp / "backtest"))
        for command in ["review", "validate", "catalog", "allocate", "forecast", "fit-profile", "backtest"]:
            files = read_csvs(tmp / command)
            if not files or any(not rows for _, rows in files.values()):
                sys.exit(f"FAIL: {command} --csv wrote no rows: {sorted(files)}")
            print(f"ok: {command}: {', '.join(sorted(files))} read back, none ragged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
