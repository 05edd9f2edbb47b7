#!/usr/bin/env bash
# run_case.sh FUNGIBLE_BIN CASE_FILE
# Runs one end-to-end case. A case file is a spec (YAML) whose leading
# comments say what to run and what to expect:
#   # run: validate {spec}                 (arguments; {spec} = this file, {root} = repo root)
#   # exit: 2                               (expected exit code)
#   # stderr: pools[0].chips: expected      (substring that must appear; repeatable)
#   # stdout: floor OK                      (likewise for stdout)
#   # stdout-not: SHORT                     (substring that must not appear)
#   # stdout-json: yes                      (stdout must be one JSON document and nothing else)
set -uo pipefail
bin=$1
case_file=$2
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$bin" ] || { echo "no fungible binary at $bin"; exit 1; }
run=$(sed -n 's/^# run: //p' "$case_file" | head -1)
want_exit=$(sed -n 's/^# exit: //p' "$case_file" | head -1)
[ -n "$run" ] && [ -n "$want_exit" ] || { echo "$case_file: needs '# run:' and '# exit:' lines"; exit 1; }
run=${run//\{spec\}/$case_file}
run=${run//\{root\}/$root}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run=${run//\{tmp\}/$tmp}
# shellcheck disable=SC2086
(cd "$root" && "$bin" $run >"$tmp/out" 2>"$tmp/err")
got=$?
fail=0
if [ "$got" != "$want_exit" ]; then
  echo "FAIL exit: want $want_exit, got $got"; fail=1
fi
while IFS= read -r s; do
  grep -qF -- "$s" "$tmp/err" || { echo "FAIL stderr lacks: $s"; fail=1; }
done < <(sed -n 's/^# stderr: //p' "$case_file")
while IFS= read -r s; do
  grep -qF -- "$s" "$tmp/out" || { echo "FAIL stdout lacks: $s"; fail=1; }
done < <(sed -n 's/^# stdout: //p' "$case_file")
while IFS= read -r s; do
  if grep -qF -- "$s" "$tmp/out"; then echo "FAIL stdout has: $s"; fail=1; fi
done < <(sed -n 's/^# stdout-not: //p' "$case_file")
if grep -q '^# stdout-json: yes' "$case_file"; then
  python3 -c 'import json,sys; json.load(sys.stdin)' <"$tmp/out" || { echo "FAIL stdout is not one JSON document"; fail=1; }
fi
if [ $fail != 0 ]; then
  echo "--- command: fungible $run"; echo "--- stdout:"; head -60 "$tmp/out"; echo "--- stderr:"; head -40 "$tmp/err"
fi
exit $fail
