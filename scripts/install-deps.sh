#!/usr/bin/env bash
# install-deps.sh - install every Debian package fungible needs to build, test
# and benchmark, and the npm packages of web/ (Apache ECharts, inlined in the
# report; playwright-core, driving Debian's chromium in the browser tests).
# Idempotent: packages already present are skipped.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config ninja-build
  coinor-libclp-dev coinor-libcbc-dev coinor-clp coinor-cbc
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libeigen3-dev
  libsqlite3-dev sqlite3 libcsv-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  glpk-utils
  libopenmpi-dev openmpi-bin
  libcpp-httplib-dev libboost-dev libpqxx-dev libssl-dev curl
  python3 python3-numpy
  nodejs npm chromium
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node and npm may come from elsewhere than Debian (e.g. NodeSource): present is enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  kept=()
  for p in "${missing[@]}"; do [ "$p" = nodejs ] || [ "$p" = npm ] || kept+=("$p"); done
  missing=("${kept[@]}")
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
else
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

# web/: `npm ci` unless node_modules was installed from this very lock file
# (its hash is kept in node_modules/.fungible-lock.sha256 after a good install).
web="$(cd "$(dirname "$0")/../web" && pwd)"
want=$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$web/node_modules/.fungible-lock.sha256" 2>/dev/null)" != "$want" ]; then
  echo "install-deps: npm ci in web/"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$web/node_modules/.fungible-lock.sha256"
fi
echo "install-deps: web/ packages as web/package-lock.json pins them"
