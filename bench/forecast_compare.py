#!/usr/bin/env python3
"""Runs bench/forecast_bench and bench/forecast_numpy.py side by side on this
machine and prints the ratios recorded in docs/benchmarks.md (Forecast).

Usage: /usr/bin/python3 bench/forecast_compare.py BUILD_DIR/bench/forecast_bench [--rounds 3]
Each side is run `rounds` times, alternating, and the best time of each is kept
(shared machines are noisy; the best is the least disturbed run).
"""
import argparse
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_cpp(binary):
    out = subprocess.run([binary, '--benchmark_format=json', '--benchmark_repetitions=3',
                          '--benchmark_report_aggregates_only=false'],
                         check=True, capture_output=True, text=True).stdout
    best = {}
    for b in json.loads(out)['benchmarks']:
        if b.get('run_type') == 'aggregate':
            continue
        name = b['run_name'] if 'run_name' in b else b['name']
        scale = 1.0 if b['time_unit'] == 'ms' else 1e-6
        best[name] = min(best.get(name, float('inf')), b['real_time'] * scale)
        best[name + ':cpu'] = min(best.get(name + ':cpu', float('inf')), b['cpu_time'] * scale)
    return best


def run_numpy():
    out = subprocess.run(['/usr/bin/python3', os.path.join(HERE, 'forecast_numpy.py'), '--repeats', '5'],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('binary')
    ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args()
    cpp, py = {}, {}
    for _ in range(args.rounds):
        for k, v in run_cpp(args.binary).items():
            cpp[k] = min(cpp.get(k, float('inf')), v)
        for k, v in run_numpy().items():
            if k.endswith('_ms'):
                py[k] = min(py.get(k, float('inf')), v)
            else:
                py[k] = v
    cpu = ''
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration):
        pass
    print(f'machine: {cpu}, {os.cpu_count()} CPUs, {platform.platform()}; NumPy {py["numpy"]}')
    rows = [
        ('monthly paths 10,000 x 24 x 5', 'BM_MonthlyScenarios', 'monthly_scenarios', 'BM_MonthlyBareGenerator'),
        ('monthly paths + cone', 'BM_MonthlyCone', 'monthly_cone', 'BM_MonthlyBareGenerator'),
        ('hourly 1,000 x 8,760 x 5 + peaks', 'BM_HourlyPeaks', 'hourly_peaks', 'BM_HourlyBareGenerator'),
    ]
    # Wall time, and CPU time of the whole process (what a loaded machine
    # distorts least; with two threads it is the sum over both, so its ratio
    # measures work done, not elapsed time).
    print(f'{"workload":34} {"thr":>3} {"fungible ms":>12} {"NumPy ms":>10} {"x NumPy":>8} '
          f'{"bare gen ms":>12} {"/ bare":>7} | {"CPU: x NumPy":>12} {"/ bare":>7}')
    for label, cpp_name, py_key, bare in rows:
        for threads in (1, 2):
            key = f'{cpp_name}/{threads}/process_time/real_time'
            lim = f'{bare}/{threads}/process_time/real_time'
            ours, ours_cpu = cpp[key], cpp[key + ':cpu']
            ref, ref_cpu = py[py_key + '_ms'], py[py_key + '_cpu_ms']
            print(f'{label:34} {threads:>3} {ours:12.2f} {ref:10.1f} {ref / ours:8.1f} '
                  f'{cpp[lim]:12.2f} {ours / cpp[lim]:7.2f} | {ref_cpu / ours_cpu:12.1f} '
                  f'{cpp[key + ":cpu"] / cpp[lim + ":cpu"]:7.2f}')
    print('NumPy P50 tokens in month 24 per tier:', ['%.3g' % v for v in py['monthly_p50_tokens_month24']])
    return 0


if __name__ == '__main__':
    sys.exit(main())
