#!/usr/bin/env bash
# dashboard.sh FUNGIBLE ARTIFACTS - `fungible serve`'s /ui in headless
# Chromium: the shell asks for a token and /ui/data refuses requests without
# one (401); with a viewer's token the live views draw; a job submitted through
# the API shows on the page at its next refresh. Screenshots in ARTIFACTS.
set -euo pipefail
bin=$(realpath "$1")
mkdir -p "$2"
art=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
d=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$d"
}
trap cleanup EXIT
store=$d/lab.db
viewer=$("$bin" token add --store "$store" --name viewer --role viewer)
admin=$("$bin" token add --store "$store" --name ops --role admin)
"$bin" serve "$root/examples/small-lab.yaml" --store "$store" --port 0 --port-file "$d/port" --clock virtual \
  --from 2027-01-01T00:00Z --window 48h --period 12h --schedule-interval-ms 200 2>"$d/serve.log" &
pid=$!
for _ in $(seq 1 600); do
  if [ -s "$d/port" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$d/port")/healthz")" = 200 ]; then
    break
  fi
  kill -0 "$pid" 2>/dev/null || { cat "$d/serve.log"; echo "dashboard.sh: serve exited"; exit 1; }
  sleep 0.2
done
port=$(cat "$d/port")
url=http://127.0.0.1:$port
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] || { cat "$d/serve.log"; exit 1; }
job() {
  echo "curl -sf -o /dev/null -H 'Authorization: Bearer $admin' -H 'Content-Type: application/json'" \
    "-d '{\"team\":\"research\",\"idempotency_key\":\"$1\",\"gang_size_chips\":8,\"chip_types\":[\"h100-sxm\"],\"expected_duration_s\":7200}'" \
    "$url/v1/jobs"
}
eval "$(job ui-1)"
node "$here/page_check.js" --url "$url/ui" --token "$viewer" --shots "$art" --shot-prefix dashboard- \
  --expect live-pools,live-jobs,live-teams,live-quota --mutate "$(job ui-2)"
