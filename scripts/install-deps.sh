#!/usr/bin/env bash
# install-deps.sh - install every Debian package fungible needs to build, test
# and benchmark. Idempotent: packages already present are skipped.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config ninja-build
  coinor-libclp-dev coinor-libcbc-dev coinor-clp coinor-cbc
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libsqlite3-dev sqlite3 libcsv-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  glpk-utils
  libopenmpi-dev openmpi-bin
  libcpp-httplib-dev libboost-dev libpqxx-dev libssl-dev curl
  python3 python3-numpy
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
