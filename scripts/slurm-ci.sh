#!/usr/bin/env bash
# slurm-ci.sh - a real single-host Slurm (Debian 12 slurm-wlm 22.05) for the
# fungible Slurm backend tests and benchmarks. Runs its own munged and its
# own slurmctld, four slurmd "nodes" and slurmrestd under $FUNGIBLE_SLURM_DIR,
# every socket on 127.0.0.1, typed generic resources with no real devices:
#   partition h100 : nodes gpu1 gpu2, gpu:h100:8 each (one NVLink-8 domain per node)
#   partition v6e  : node  tpu1,      tpu:v6e:8
#   partition trn2 : node  trn1,      trn:trn2:16
# It never touches /etc/slurm, /etc/munge or a system daemon.
#
#   bash scripts/slurm-ci.sh start    # install packages if missing, configure, start, wait until ready
#   bash scripts/slurm-ci.sh stop     # cancel jobs, stop what it started (by pid file)
#   bash scripts/slurm-ci.sh status
#   . $FUNGIBLE_SLURM_DIR/env.sh      # SLURM_CONF, FUNGIBLE_SLURM_REST_URL, FUNGIBLE_SLURM_JWT
#
# Env: FUNGIBLE_SLURM_DIR (/tmp/fungible-slurm), FUNGIBLE_SLURM_PORT0 (6917:
# slurmctld; slurmrestd +1; slurmd +10..+13), FUNGIBLE_SLURM_INSTALL (1).
# Lessons behind the settings: /work/shared/notes/slurm-on-loopback.md.
set -euo pipefail

DIR=${FUNGIBLE_SLURM_DIR:-/tmp/fungible-slurm}
PORT0=${FUNGIBLE_SLURM_PORT0:-6917}
CTLD_PORT=$PORT0
REST_PORT=$((PORT0 + 1))
NODE_PORT=$((PORT0 + 10))
NODES=(gpu1 gpu2 tpu1 trn1)
export SLURM_CONF=$DIR/etc/slurm.conf
export PATH=$PATH:/usr/sbin:/sbin
unset SLURM_JWT  # Slurm clients switch to JWT auth when it is set

say() { echo "slurm-ci: $*" >&2; }
fail() { say "ERROR: $*"; exit 1; }

# is_ours PID BINARY: running (not a zombie) and really BINARY (pid reuse guard)
is_ours() {
  [[ ${1:-} =~ ^[0-9]+$ ]] && [ -r "/proc/$1/stat" ] || return 1
  [ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ] || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"
}
pid_in() { [ -s "$1" ] && cat "$1" || true; }
retry() {  # retry SECONDS CMD...
  local end=$(($(date +%s) + $1)); shift
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.2; done
}

install_if_missing() {
  local ok=1 b
  for b in munged mungekey slurmctld slurmd slurmrestd sbatch scontrol squeue sinfo; do command -v "$b" >/dev/null || ok=0; done
  [ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/auth_jwt.so ] || ok=0
  [ $ok = 1 ] && return 0
  [ "${FUNGIBLE_SLURM_INSTALL:-1}" = 1 ] || fail "Slurm or munge missing and FUNGIBLE_SLURM_INSTALL=0"
  local pkgs=(slurmctld slurmd slurm-client slurmrestd munge slurm-wlm-jwt-plugin)
  say "installing ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null; } ||
    fail "apt-get install failed"
}

check_loopback() {
  # The daemons bind to what the hostname resolves to: it must be loopback.
  local a
  for a in $(getent ahosts "$(hostname)" | awk '{print $1}' | sort -u); do
    [[ $a == 127.* || $a == ::1 ]] || fail "hostname $(hostname) resolves to $a, not loopback; map it to 127.0.0.1 in /etc/hosts"
  done
  [ -n "$(getent ahosts "$(hostname)")" ] || fail "hostname $(hostname) does not resolve"
  id -u slurm >/dev/null 2>&1 || fail "user slurm missing (slurmrestd will not run as root)"
  local p
  for p in $CTLD_PORT $REST_PORT $(seq $NODE_PORT $((NODE_PORT + ${#NODES[@]} - 1))); do
    ! ss -Hltn "sport = :$p" | grep -q . || fail "port $p in use (set FUNGIBLE_SLURM_PORT0)"
  done
}

configure() {
  mkdir -p "$DIR"/{etc,state,log,run,munge,dev}
  local n; for n in "${NODES[@]}"; do mkdir -p "$DIR/spool/$n"; done
  chmod 755 "$DIR" "$DIR/munge"
  local hw="CPUs=64 Boards=1 SocketsPerBoard=1 CoresPerSocket=64 ThreadsPerCore=1 RealMemory=512000"
  cat >"$SLURM_CONF" <<CONF
ClusterName=fungible
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/munge.socket.2,cred_expire=10
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$DIR/etc/jwt.key
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd-%n.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
MinJobAge=60
SchedulerType=sched/backfill
SchedulerParameters=default_queue_depth=1000,batch_sched_delay=0,bf_interval=5,sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
GresTypes=gpu,tpu,trn
NodeName=gpu[1-2] NodeAddr=127.0.0.1 Port=$NODE_PORT-$((NODE_PORT + 1)) $hw Gres=gpu:h100:8 State=UNKNOWN
NodeName=tpu1 NodeAddr=127.0.0.1 Port=$((NODE_PORT + 2)) $hw Gres=tpu:v6e:8 State=UNKNOWN
NodeName=trn1 NodeAddr=127.0.0.1 Port=$((NODE_PORT + 3)) $hw Gres=trn:trn2:16 State=UNKNOWN
PartitionName=h100 Nodes=gpu[1-2] Default=YES MaxTime=INFINITE State=UP
PartitionName=v6e Nodes=tpu1 MaxTime=INFINITE State=UP
PartitionName=trn2 Nodes=trn1 MaxTime=INFINITE State=UP
CONF
  # gres/gpu keeps only GPUs with a File=; /dev/null symlinks serve. tpu/trn are count-only.
  local i; for i in $(seq 0 7); do ln -sfn /dev/null "$DIR/dev/h100_$i"; done
  cat >"$DIR/etc/gres.conf" <<CONF
NodeName=gpu[1-2] Name=gpu Type=h100 File=$DIR/dev/h100_[0-7]
NodeName=tpu1 Name=tpu Type=v6e Count=8
NodeName=trn1 Name=trn Type=trn2 Count=16
CONF
  chmod 644 "$SLURM_CONF" "$DIR/etc/gres.conf"
  (umask 077
   mungekey -c -f -k "$DIR/munge/munge.key" 2>/dev/null || head -c 1024 /dev/urandom >"$DIR/munge/munge.key"
   head -c 32 /dev/urandom >"$DIR/etc/jwt.key")
}

nodes_idle() {
  local s; s=$(sinfo -h -N -o '%N %T' 2>/dev/null | sort -u) || return 1
  [ "$(grep -c . <<<"$s")" -eq ${#NODES[@]} ] && ! grep -qv ' idle$' <<<"$s"
}
rest_up() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'X-SLURM-USER-NAME: root' \
       -H "X-SLURM-USER-TOKEN: $(cat "$DIR/jwt.token")" "http://127.0.0.1:$REST_PORT/slurm/v0.0.38/ping")" = 200 ]
}

start() {
  [ "$(id -u)" = 0 ] || fail "must run as root (slurmd)"
  ! is_ours "$(pid_in "$DIR/run/slurmctld.pid")" slurmctld || { say "already running"; return 0; }
  install_if_missing
  check_loopback
  case "$DIR" in /|/tmp|/tmp/|"") fail "refusing FUNGIBLE_SLURM_DIR=$DIR";; esac
  rm -rf "$DIR"
  configure
  local t0=$SECONDS
  munged --socket="$DIR/munge/munge.socket.2" --key-file="$DIR/munge/munge.key" --pid-file="$DIR/munge/munged.pid" \
         --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed" ||
    fail "munged: $(tail -3 "$DIR/munge/munged.log")"
  retry 10 munge -S "$DIR/munge/munge.socket.2" -n || fail "munged does not answer"
  slurmctld </dev/null  # daemonizes and exits 0 even when it dies later: poll it
  retry 20 scontrol ping || fail "slurmctld: $(tail -5 "$DIR/log/slurmctld.log")"
  local n; for n in "${NODES[@]}"; do slurmd -N "$n" </dev/null; done
  retry 30 nodes_idle || fail "nodes not idle: $(sinfo -N 2>&1)"
  scontrol token username=root lifespan=$((7 * 86400)) | sed -n 's/^SLURM_JWT=//p' >"$DIR/jwt.token"
  chmod 600 "$DIR/jwt.token"
  # slurmrestd refuses root; -u drops to slurm after binding. SLURM_JWT=daemon
  # makes it forward the client's token instead of using munge.
  SLURM_JWT=daemon setsid slurmrestd -u slurm -a rest_auth/jwt -s openapi/v0.0.38 "127.0.0.1:$REST_PORT" \
    </dev/null >>"$DIR/log/slurmrestd.log" 2>&1 &
  echo $! >"$DIR/run/slurmrestd.pid"
  retry 15 rest_up || fail "slurmrestd: $(tail -5 "$DIR/log/slurmrestd.log")"
  cat >"$DIR/env.sh" <<ENV
export SLURM_CONF=$SLURM_CONF
export FUNGIBLE_SLURM_REST_URL=http://127.0.0.1:$REST_PORT
export FUNGIBLE_SLURM_JWT=\$(cat $DIR/jwt.token)
ENV
  say "up in $((SECONDS - t0)) s; partitions: $(sinfo -h -o %P | tr '\n' ' ')- source $DIR/env.sh"
}

stop_daemon() {  # stop_daemon PIDFILE NAME
  local pid; pid=$(pid_in "$1")
  is_ours "$pid" "$2" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  retry 15 bash -c "! { [ -r /proc/$pid/stat ] && [ \"\$(cut -d' ' -f3 /proc/$pid/stat)\" != Z ]; }" ||
    { say "$2 ignored TERM; KILL"; kill -KILL "$pid" 2>/dev/null || true; }
}

stop() {
  [ -d "$DIR" ] || { say "nothing at $DIR"; return 0; }
  stop_daemon "$DIR/run/slurmrestd.pid" slurmrestd
  if is_ours "$(pid_in "$DIR/run/slurmctld.pid")" slurmctld; then
    local jobs; jobs=$(squeue -h -o %A 2>/dev/null || true)
    [ -z "$jobs" ] || { scancel $jobs 2>/dev/null || true; retry 20 bash -c '[ -z "$(squeue -h -o %A)" ]' || true; }
    scontrol shutdown >/dev/null 2>&1 || true
  fi
  local n; for n in "${NODES[@]}"; do stop_daemon "$DIR/run/slurmd-$n.pid" slurmd; done
  stop_daemon "$DIR/run/slurmctld.pid" slurmctld
  stop_daemon "$DIR/munge/munged.pid" munged
  say "stopped (logs in $DIR/log)"
}

status() {
  scontrol ping || true
  sinfo -N -O nodelist:8,partition:8,statecompact:8,gres:22,gresused:36 || true
  if rest_up 2>/dev/null; then echo "slurmrestd up on 127.0.0.1:$REST_PORT"; else echo "slurmrestd down"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
