#!/usr/bin/env bash
# postgres-ci.sh - a throwaway PostgreSQL server on 127.0.0.1 for the store
# tests: Debian's postgresql (installed if missing), initdb in a temp dir,
# a free port, a database `fungible`. Never touches the system cluster.
#
#   eval "$(bash scripts/postgres-ci.sh start)"   # exports FUNGIBLE_PG_URL
#   bash scripts/postgres-ci.sh stop
#   bash scripts/postgres-ci.sh status
#
# Knobs (env): PG_CI_DIR (/tmp/fungible-pg-ci), PG_CI_PORT (first free from 55432).
# Runs the server as the `postgres` user when started as root.
set -euo pipefail

BASE=${PG_CI_DIR:-/tmp/fungible-pg-ci}
log() { echo "postgres-ci: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done
  return 1
}

ensure_installed() {
  pg_bin >/dev/null && return 0
  log "installing postgresql"
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends postgresql >/dev/null 2>&1 ||
    { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends postgresql >/dev/null; } ||
    die "apt-get install postgresql failed"
}

as_owner() {  # run a command as the cluster owner
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local p=${PG_CI_PORT:-55432}
  while ss -Hltn "sport = :$p" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

start() {
  ensure_installed
  local bin; bin=$(pg_bin)
  if [ -f "$BASE/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$BASE/data" status >/dev/null 2>&1; then
    log "already running"; cat "$BASE/env"; return 0
  fi
  case "$BASE" in /|/tmp|/tmp/|"") die "refusing PG_CI_DIR=$BASE";; esac
  rm -rf "$BASE"; mkdir -p "$BASE"
  [ "$(id -u)" = 0 ] && chown postgres: "$BASE"
  local port; port=$(free_port)
  as_owner "$bin/initdb" -D "$BASE/data" -U fungible --auth=trust -E UTF8 >"$BASE/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -3 "$BASE/initdb.log")"
  as_owner "$bin/pg_ctl" -D "$BASE/data" -l "$BASE/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $BASE -c fsync=on" start >/dev/null ||
    die "server did not start: $(tail -5 "$BASE/server.log")"
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U fungible fungible || die "createdb failed"
  echo "export FUNGIBLE_PG_URL=postgresql://fungible@127.0.0.1:$port/fungible" >"$BASE/env"
  log "up on 127.0.0.1:$port"
  cat "$BASE/env"
}

stop() {
  local bin; bin=$(pg_bin) || { log "postgresql not installed"; return 0; }
  [ -d "$BASE/data" ] || { log "nothing at $BASE"; return 0; }
  as_owner "$bin/pg_ctl" -D "$BASE/data" -m fast -w stop >/dev/null 2>&1 || true
  log "stopped"
}

status() {
  local bin; bin=$(pg_bin) || die "postgresql not installed"
  as_owner "$bin/pg_ctl" -D "$BASE/data" status || true
  [ -f "$BASE/env" ] && cat "$BASE/env"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
