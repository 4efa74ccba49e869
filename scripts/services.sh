#!/usr/bin/env bash
# Local dev/CI services on loopback, all state under <repo>/.local/ (git-ignored):
#   redis    standalone Redis      127.0.0.1:6380 (append-only file: its data survives stop/start; reset deletes it)
#   cluster  Redis Cluster         127.0.0.1:7001-7006 (masters 7001-7003, one replica each; no persistence: the
#            failover tests kill and restart its nodes empty, so stop/start loses its data)
#   postgres PostgreSQL            127.0.0.1:5433 (trust auth, user postgres; dbs inventory, inventory_test)
#   azurite  Azurite               127.0.0.1:10000 blob / 10001 queue / 10002 table
# Usage: scripts/services.sh start|stop|restart|status|install|reset [redis|cluster|postgres|azurite ...]
#   (no service names = all; `reset` stops the service(s), deletes their data and starts them again)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
RUN="$LOCAL/run"
LOGS="$LOCAL/log"
AZURITE_VERSION=3.35.0
AZ_DIR="$LOCAL/azurite"
AZ_JS="$AZ_DIR/node_modules/azurite/dist/src/azurite.js"
REDIS_PORT=6380
CLUSTER_PORTS=(7001 7002 7003 7004 7005 7006)
PG_PORT=5433
ALL=(redis cluster postgres azurite)
REDIS_FLAGS=(--bind 127.0.0.1 --save '' --daemonize yes --enable-debug-command local
             --maxmemory 2gb --maxmemory-policy noeviction)
# The standalone Redis is what ./run uses: its stock, orders and journal survive `stop`/`start` (fsync every second,
# as a dev box needs no more). The cluster stays without persistence: tests/Inventory.Tests/Faults/ClusterFaults.cs
# restarts its nodes with these same flags and relies on a killed node coming back empty.
STANDALONE_PERSISTENCE=(--appendonly yes --appendfsync everysec)
CLUSTER_PERSISTENCE=(--appendonly no)

log() { echo "[services] $*"; }
die() { echo "[services] ERROR: $*" >&2; exit 1; }

# alive PID: the process exists and is not a zombie (PID 1 here reaps orphans only every ~2 s).
alive() { kill -0 "$1" 2>/dev/null && [[ $(sed -n 's/^.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# pid_ok FILE PATTERN: the pid file names a live process whose command line contains PATTERN.
pid_ok() {
  local pid
  [[ -s $1 ]] && pid=$(head -1 "$1") && [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

# wait_until SECONDS DESCRIPTION LOGFILE CMD...: poll CMD every 0.2 s; on timeout show the log tail and die.
wait_until() {
  local secs=$1 what=$2 logf=$3; shift 3
  local deadline=$((SECONDS + secs))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      [[ -f $logf ]] && { echo "--- tail of $logf ---" >&2; tail -n 30 "$logf" >&2; }
      die "timed out after ${secs}s waiting for $what"
    fi
    sleep 0.2
  done
}

# stop_pid NAME PIDFILE PATTERN: SIGTERM the pid named in PIDFILE if its command line contains PATTERN,
# wait (SIGKILL after 20 s), remove the pid file.
stop_pid() {
  local name=$1 f=$2 pid i
  if [[ ! -s $f ]]; then log "$name: not running (no pid file)"; return; fi
  pid=$(head -1 "$f")
  if pid_ok "$f" "$3"; then
    log "$name: stopping pid $pid"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then log "$name: pid $pid still alive after 20 s, sending SIGKILL"; kill -9 "$pid" 2>/dev/null || true; sleep 0.5; fi
  else
    log "$name: pid $pid is not running $3 (stale pid file removed)"
  fi
  rm -f "$f"
}

# ---------------------------------------------------------------- installs
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
pg_bindir() { { ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | sort -V | tail -1; }

apt_install() {
  local missing=() p
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  [[ $(id -u) == 0 ]] || die "need root to apt-get install ${missing[*]}"
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >"$LOGS/apt.log" 2>&1 ||
    { tail -n 30 "$LOGS/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
}

install_service() {
  case $1 in
    redis | cluster) apt_install redis-server redis-tools ;;
    postgres)
      if [[ -z $(pg_bindir) || ! -x "$(pg_bindir)/initdb" ]]; then apt_install postgresql; fi
      [[ -x "$(pg_bindir)/initdb" ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
      ;;
    azurite)
      command -v node >/dev/null || apt_install nodejs npm
      if [[ ! -f $AZ_JS ]] || [[ $(node -p "require('$AZ_DIR/node_modules/azurite/package.json').version") != "$AZURITE_VERSION" ]]; then
        log "npm install --prefix .local/azurite azurite@$AZURITE_VERSION"
        npm install --prefix "$AZ_DIR" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >"$LOGS/npm-azurite.log" 2>&1 ||
          { tail -n 30 "$LOGS/npm-azurite.log" >&2; die "npm install azurite@$AZURITE_VERSION failed"; }
      fi
      ;;
  esac
}

# ---------------------------------------------------------------- redis
redis_up() { pid_ok "$RUN/redis-$1.pid" redis-server && port_open "$1"; }
redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

start_redis_node() { # PORT DIR [extra flags]
  local port=$1 dir=$2; shift 2
  if redis_up "$port"; then log "redis $port: already running (pid $(cat "$RUN/redis-$port.pid"))"; return; fi
  port_open "$port" && die "port $port is in use by a process not named in $RUN/redis-$port.pid (see: ss -ltnp)"
  mkdir -p "$dir"
  rm -f "$RUN/redis-$port.pid"
  log "redis $port: starting (dir ${dir#"$ROOT/"})"
  redis-server --port "$port" --pidfile "$RUN/redis-$port.pid" --logfile "$LOGS/redis-$port.log" --dir "$dir" \
    "${REDIS_FLAGS[@]}" "$@" 9>&- || die "redis-server on $port failed to start (log: $LOGS/redis-$port.log)"
  wait_until 20 "redis on $port" "$LOGS/redis-$port.log" redis_ping "$port"
}

start_redis() { start_redis_node "$REDIS_PORT" "$LOCAL/redis/$REDIS_PORT" "${STANDALONE_PERSISTENCE[@]}"; }
stop_redis() { stop_pid "redis $REDIS_PORT" "$RUN/redis-$REDIS_PORT.pid" redis-server; }

cluster_info() { redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r' | grep "^$2:" | cut -d: -f2; }
cluster_healthy() {
  local p
  for p in "${CLUSTER_PORTS[@]}"; do
    [[ $(cluster_info "$p" cluster_state) == ok && $(cluster_info "$p" cluster_known_nodes) == 6 ]] || return 1
  done
  for p in "${CLUSTER_PORTS[@]}"; do # every node sees 3 masters with slots, 3 replicas, nothing failing
    redis-cli -h 127.0.0.1 -p "$p" cluster nodes 2>/dev/null | awk '
      $3 ~ /fail|handshake|noaddr/ {bad=1} $3 ~ /master/ && NF >= 9 {m++} $3 ~ /slave/ {s++}
      END {exit !(m == 3 && s == 3 && !bad)}' || return 1
  done
  redis-cli --cluster check 127.0.0.1:7001 2>/dev/null | grep -q 'All nodes agree about slots configuration' || return 1
}

link_up() { redis-cli -h 127.0.0.1 -p "$1" info replication 2>/dev/null | grep -q '^master_link_status:up'; }
is_master() { [[ $(redis-cli -h 127.0.0.1 -p "$1" role 2>/dev/null | head -1) == master ]]; }

start_cluster() {
  local p fresh=1 addrs=()
  for p in "${CLUSTER_PORTS[@]}"; do
    start_redis_node "$p" "$LOCAL/redis-cluster/$p" "${CLUSTER_PERSISTENCE[@]}" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
    addrs+=("127.0.0.1:$p")
  done
  for p in "${CLUSTER_PORTS[@]}"; do
    [[ $(cluster_info "$p" cluster_known_nodes) == 1 && $(cluster_info "$p" cluster_slots_assigned) == 0 ]] || fresh=0
  done
  if ((fresh)); then
    log "cluster: redis-cli --cluster create ${addrs[*]} --cluster-replicas 1"
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$LOGS/cluster-create.log" 2>&1 ||
      { tail -n 30 "$LOGS/cluster-create.log" >&2; die "redis-cli --cluster create failed"; }
  else
    log "cluster: already created (nodes.conf present), waiting for it to settle"
  fi
  wait_until 30 "cluster_state:ok on all 6 nodes (if it never settles: scripts/services.sh reset cluster)" \
    "$LOGS/redis-7001.log" cluster_healthy
  local m # a node restarted after a failover comes back as a replica: give 7001-7003 their master role back
  for m in "${CLUSTER_PORTS[@]:0:3}"; do
    if [[ $(redis-cli -h 127.0.0.1 -p "$m" role | head -1) != master ]]; then
      log "cluster: $m is a replica after a failover, CLUSTER FAILOVER on it once it is in sync"
      wait_until 30 "$m to sync with its master" "$LOGS/redis-$m.log" link_up "$m"
      redis-cli -h 127.0.0.1 -p "$m" cluster failover >/dev/null
      wait_until 15 "$m to become master again" "$LOGS/redis-$m.log" is_master "$m"
    fi
  done
  wait_until 30 "cluster_state:ok on all 6 nodes" "$LOGS/redis-7001.log" cluster_healthy
  log "cluster: ok, masters: $(redis-cli -h 127.0.0.1 -p 7001 cluster nodes | awk '$3 ~ /master/ {sub(/@.*/, "", $2); print $2}' | sort | tr '\n' ' ')"
}

stop_cluster() { local p; for p in "${CLUSTER_PORTS[@]}"; do stop_pid "redis $p" "$RUN/redis-$p.pid" redis-server; done; }

# ---------------------------------------------------------------- postgres
# PostgreSQL runs as the postgres user, which must reach its data dir; if it cannot reach .local (or the
# socket path would be too long) the data goes to /var/tmp and .local/pg becomes a symlink to it.
pg_root() {
  local r="$LOCAL/pg"
  if [[ -L $r ]]; then readlink -f "$r"; return; fi
  if [[ -d $r ]] || { ((${#r} < 80)) && runuser -u postgres -- test -x "$LOCAL"; }; then echo "$r"; return; fi
  echo "/var/tmp/inventory-pg-$(echo -n "$ROOT" | md5sum | cut -c1-10)"
}
as_pg() { (cd / && runuser -u postgres -- "$@"); }
# our postmaster: postmaster.pid names a live process started with -D <our data dir> (pids get reused)
pg_running() { local d; d="$(pg_root)/data"; pid_ok "$d/postmaster.pid" "postgres -D $d " && as_pg "$(pg_bindir)/pg_ctl" -D "$d" status >/dev/null 2>&1; }
pg_up() { pg_running && port_open "$PG_PORT"; }
psql_pg() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtAX "$@"; }

start_postgres() {
  local root bin data major
  root=$(pg_root); bin=$(pg_bindir); data="$root/data"
  if [[ $root != "$LOCAL/pg" && ! -e $LOCAL/pg ]]; then
    log "postgres: postgres user cannot use $LOCAL/pg, using $root (symlinked)"; ln -s "$root" "$LOCAL/pg"
  fi
  mkdir -p "$root"; chown postgres:postgres "$root"; chmod 0755 "$LOCAL"
  if [[ ! -f $data/PG_VERSION ]]; then
    log "postgres: initdb ${data#"$ROOT/"} ($bin)"
    as_pg "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 >"$LOGS/pg-initdb.log" 2>&1 ||
      { tail -n 30 "$LOGS/pg-initdb.log" >&2; die "initdb failed"; }
  fi
  major=$(basename "$(dirname "$bin")")
  [[ $(cat "$data/PG_VERSION") == "$major" ]] ||
    die "data dir is PostgreSQL $(cat "$data/PG_VERSION") but binaries are $major: scripts/services.sh reset postgres"
  if [[ -f $data/postmaster.pid ]] && ! pg_running; then
    log "postgres: removing stale postmaster.pid (pid $(head -1 "$data/postmaster.pid") is not our postgres)"
    rm -f "$data/postmaster.pid"
  fi
  if pg_up; then
    log "postgres: already running (pid $(head -1 "$data/postmaster.pid"))"
  else
    port_open "$PG_PORT" && die "port $PG_PORT is in use by a process that is not our PostgreSQL (see: ss -ltnp)"
    log "postgres: pg_ctl start on 127.0.0.1:$PG_PORT"
    as_pg "$bin/pg_ctl" -D "$data" -l "$root/server.log" -w -t 60 start \
      -o "-p $PG_PORT -k $root -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      >/dev/null 9>&- || { tail -n 30 "$root/server.log" >&2; die "pg_ctl start failed"; }
  fi
  head -1 "$data/postmaster.pid" >"$RUN/postgres.pid"
  local db
  for db in inventory inventory_test; do
    if [[ $(psql_pg -d postgres -c "select 1 from pg_database where datname = '$db'") != 1 ]]; then
      log "postgres: create database $db"; psql_pg -d postgres -c "create database $db"
    fi
  done
}

stop_postgres() {
  local data; data="$(pg_root)/data"
  if pg_running; then
    log "postgres: pg_ctl stop -m fast"
    as_pg "$(pg_bindir)/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
  else
    log "postgres: not running"
  fi
  rm -f "$RUN/postgres.pid"
}

# ---------------------------------------------------------------- azurite
azurite_up() { pid_ok "$RUN/azurite.pid" azurite.js && port_open 10001; }
azurite_ports() { port_open 10000 && port_open 10001 && port_open 10002; }

start_azurite() {
  if azurite_up; then log "azurite: already running (pid $(cat "$RUN/azurite.pid"))"; return; fi
  local p; for p in 10000 10001 10002; do
    port_open "$p" && die "port $p is in use by a process not named in $RUN/azurite.pid (see: ss -ltnp)"
  done
  mkdir -p "$AZ_DIR/data"
  log "azurite: starting on 127.0.0.1:10000-10002"
  setsid nohup node "$AZ_JS" --silent --disableTelemetry --skipApiVersionCheck --loose --location "$AZ_DIR/data" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 </dev/null >>"$LOGS/azurite.log" 2>&1 9>&- &
  echo $! >"$RUN/azurite.pid"
  wait_until 30 "azurite on 10000-10002" "$LOGS/azurite.log" azurite_ports
  pid_ok "$RUN/azurite.pid" azurite.js || die "azurite pid $(cat "$RUN/azurite.pid") is not running (log: $LOGS/azurite.log)"
}

stop_azurite() { stop_pid azurite "$RUN/azurite.pid" azurite.js; }

# ---------------------------------------------------------------- status / reset
status_line() {
  local svc=$1 up=down detail=""
  case $svc in
    redis) redis_up "$REDIS_PORT" && up=up detail="127.0.0.1:$REDIS_PORT pid $(cat "$RUN/redis-$REDIS_PORT.pid")" ;;
    cluster)
      local p n=0; for p in "${CLUSTER_PORTS[@]}"; do redis_up "$p" && n=$((n + 1)); done
      detail="$n/6 nodes on 127.0.0.1:7001-7006, cluster_state:$(cluster_info 7001 cluster_state || true)"
      [[ $n == 6 && $(cluster_info 7001 cluster_state) == ok ]] && up=up ;;
    postgres) pg_up && up=up detail="127.0.0.1:$PG_PORT pid $(head -1 "$(pg_root)/data/postmaster.pid")" ;;
    azurite) azurite_up && azurite_ports && up=up detail="127.0.0.1:10000-10002 pid $(cat "$RUN/azurite.pid")" ;;
  esac
  printf '%-9s %-5s %s\n' "$svc" "$up" "$detail"
  [[ $up == up ]]
}

reset_data() {
  case $1 in
    redis) rm -rf "$LOCAL/redis" ;;
    cluster) rm -rf "$LOCAL/redis-cluster" ;;
    postgres) rm -rf "$(pg_root)/data" ;;
    azurite) rm -rf "$AZ_DIR/data" ;;
  esac
  log "$1: data deleted"
}

# ---------------------------------------------------------------- main
usage() { echo "usage: $0 start|stop|restart|status|install|reset [redis|cluster|postgres|azurite ...]" >&2; exit 2; }
(($#)) || usage
verb=$1; shift
svcs=("$@"); ((${#svcs[@]})) || svcs=("${ALL[@]}")
for s in "${svcs[@]}"; do [[ " ${ALL[*]} " == *" $s "* ]] || usage; done

mkdir -p "$RUN" "$LOGS"
chmod 0755 "$LOCAL"
if [[ $verb != status ]]; then # one start/stop at a time (./test and ./run may race)
  exec 9>"$RUN/services.lock"
  flock -w 600 9 || die "another scripts/services.sh holds $RUN/services.lock"
fi

case $verb in
  install) for s in "${svcs[@]}"; do install_service "$s"; done ;;
  start | restart | reset)
    t0=$SECONDS
    if [[ $verb != start ]]; then
      for s in "${svcs[@]}"; do "stop_$s"; done
      if [[ $verb == reset ]]; then for s in "${svcs[@]}"; do reset_data "$s"; done; fi
    fi
    for s in "${svcs[@]}"; do install_service "$s"; done
    for s in "${svcs[@]}"; do "start_$s"; done
    log "$verb done in $((SECONDS - t0))s"
    echo "endpoints: redis 127.0.0.1:$REDIS_PORT | cluster 127.0.0.1:7001-7006 | postgres Host=127.0.0.1;Port=$PG_PORT;Username=postgres (inventory, inventory_test) | azurite UseDevelopmentStorage=true (127.0.0.1:10000-10002)"
    ;;
  stop) for s in "${svcs[@]}"; do "stop_$s"; done ;;
  status) rc=0; for s in "${svcs[@]}"; do status_line "$s" || rc=1; done; exit $rc ;;
  *) usage ;;
esac
