#!/usr/bin/env bash
# The long fault suite (on demand). Starts the shared services, then its own pieces: a private Redis (unless
# --redis shared), a private PostgreSQL database, the TCP fault proxy between the server and Redis, the plain
# server with the task engine, and the load driver. While the load runs it injects faults on a schedule; then it
# stops the faults, lets the engine drain and runs the checker, which prints the fault table and exits non-zero
# unless every count is zero. Everything it starts is stopped by pid file on exit; the shared services are only
# restarted (PostgreSQL, Azurite, and Redis with --redis shared), never left stopped.
#
# Usage: scripts/fault-suite.sh [--duration S] [--clients N] [--seed N] [--interval S] [--faults LIST]
#                               [--redis private|shared] [--persistence aof|none] [--drain-timeout S] [--keep] [--no-build]
#   --faults   comma-separated, in schedule order (repeated round-robin), default all:
#              kill,stall,redis-restart,drop,kill-mid-order,pause,postgres,delay,redis-kill,azurite
#   --redis    private (default): a redis-server of this run on $FAULT_REDIS_PORT (6390), restarted by this script;
#              shared: the services' Redis on 6380, reset with scripts/services.sh (restarted with its data deleted)
#   --persistence  private Redis only: aof (default; appendfsync always, a restart or kill -9 loses nothing) or
#              none (a restart loses Redis's data: the lossy case; losses are counted, and the run fails)
#   --keep     keep the database and the run's Redis data afterwards
# Output and logs: .local/fault-suite/<run>/ (records.jsonl, faults.jsonl, server.log, driver.log, proxy.log).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION=600 CLIENTS=32 SEED=1 INTERVAL=20 DRAIN=300 KEEP=0 BUILD=1 REDIS_MODE=private PERSISTENCE=aof
FAULTS="kill,stall,redis-restart,drop,kill-mid-order,pause,postgres,delay,redis-kill,azurite"
while (($#)); do
  case $1 in
    --duration) DURATION=$2; shift ;;
    --clients) CLIENTS=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --interval) INTERVAL=$2; shift ;;
    --faults) FAULTS=$2; shift ;;
    --redis) REDIS_MODE=$2; shift ;;
    --persistence) PERSISTENCE=$2; shift ;;
    --drain-timeout) DRAIN=$2; shift ;;
    --keep) KEEP=1 ;;
    --no-build) BUILD=0 ;;
    *) sed -n '2,22p' "$0" >&2; exit 2 ;;
  esac
  shift
done
[[ $REDIS_MODE == private || $REDIS_MODE == shared ]] || { echo "--redis private|shared" >&2; exit 2; }
[[ $PERSISTENCE == aof || $PERSISTENCE == none ]] || { echo "--persistence aof|none" >&2; exit 2; }

SERVER_PORT=${FAULT_SERVER_PORT:-7190}
PROXY_PORT=${FAULT_PROXY_PORT:-6391}
CONTROL_PORT=${FAULT_CONTROL_PORT:-6392}
if [[ $REDIS_MODE == private ]]; then REDIS_PORT=${FAULT_REDIS_PORT:-6390}; else REDIS_PORT=6380; fi
RUN="fs$(date +%m%d%H%M%S)"
DIR="$ROOT/.local/fault-suite/$RUN"
PIDS="$DIR/pids"
DB="inv_$RUN"
PREFIX="$RUN"
SQL="Host=127.0.0.1;Port=5433;Username=postgres;Database=$DB"
SERVER_DLL="$ROOT/src/Inventory.Server/bin/Release/net10.0/Inventory.Server.dll"
DRIVER_DLL="$ROOT/tests/Inventory.LoadDriver/bin/Release/net10.0/Inventory.LoadDriver.dll"
FAULT_LOG="$DIR/faults.jsonl"
# Keys of this run only, passed through the environment, never printed.
FUNCTION_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ADMIN_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export INVENTORY_FUNCTION_KEY=$FUNCTION_KEY INVENTORY_ADMIN_KEY=$ADMIN_KEY DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log() { echo "[fault-suite $(date +%T)] $*"; }
die() { echo "[fault-suite] ERROR: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
alive() { kill -0 "$1" 2>/dev/null && [[ $(sed -n 's/^.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
pid_of() { [[ -s $PIDS/$1.pid ]] && head -1 "$PIDS/$1.pid"; }

# stop NAME [SIGNAL]: signal the pid in pids/NAME.pid (TERM by default), wait up to 20 s, then KILL.
stop() {
  local pid i
  pid=$(pid_of "$1") || return 0
  if alive "$pid"; then
    kill "-${2:-TERM}" "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && { kill -9 "$pid" 2>/dev/null || true; sleep 0.3; }
  fi
  rm -f "$PIDS/$1.pid"
}

record_fault() { # NAME START_MS
  local end; end=$(now_ms)
  printf '{"atMs":%s,"fault":"%s","durationMs":%s}\n' "$2" "$1" "$((end - $2))" >>"$FAULT_LOG"
  log "fault: $1 ($((end - $2)) ms)"
}

proxy() { # COMMAND...: one line to the proxy's control port, prints its answer
  local reply
  exec 7<>"/dev/tcp/127.0.0.1/$CONTROL_PORT" || die "proxy control port $CONTROL_PORT unreachable"
  echo "$*" >&7
  read -r -t 5 reply <&7 || reply="(no reply)"
  exec 7>&-
  [[ $reply == ok* ]] || log "proxy '$*': $reply"
}

# ------------------------------------------------------------------ the run's own processes
start_private_redis() {
  local persistence=(--appendonly no)
  [[ $PERSISTENCE == aof ]] && persistence=(--appendonly yes --appendfsync always)
  mkdir -p "$DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --pidfile "$PIDS/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR/redis" \
    --save '' --daemonize yes --enable-debug-command local --maxmemory 2gb --maxmemory-policy noeviction "${persistence[@]}" ||
    die "redis-server on $REDIS_PORT failed (log: $DIR/redis.log)"
  local i
  for ((i = 0; i < 100; i++)); do [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && return; sleep 0.2; done
  die "private Redis on $REDIS_PORT did not answer PING"
}

start_server() {
  (
    export Inventory__Redis__Configuration="127.0.0.1:$PROXY_PORT" Inventory__Redis__KeyPrefix="$PREFIX"
    export Inventory__Redis__RecoverAfter=00:00:10 Inventory__Workers__OrderRecoveryInterval=00:00:02
    export Inventory__Keys__Function="$FUNCTION_KEY" Inventory__Keys__Admin="$ADMIN_KEY"
    export Inventory__Sql__Provider=postgres Inventory__Sql__ConnectionString="$SQL" AzureWebJobsStorage=UseDevelopmentStorage=true
    export Inventory__Engine__SweepGrace=00:00:02 Inventory__Engine__Lease=00:00:10 Inventory__Wakeup__IntervalMilliseconds=100
    export Inventory__Workers__TaskDispatchInterval=00:00:01 Inventory__Workers__StaleLeaseInterval=00:00:03 Inventory__Workers__JournalSweepInterval=00:00:03
    cd "$(dirname "$SERVER_DLL")"
    exec setsid dotnet "$SERVER_DLL" --urls "http://127.0.0.1:$SERVER_PORT" </dev/null >>"$DIR/server.log" 2>&1
  ) &
  echo $! >"$PIDS/server.pid"
  disown $! # its kill -9 is a planned fault, not news for the job table
  local i
  for ((i = 0; i < 300; i++)); do
    curl -fsS -o /dev/null "http://127.0.0.1:$SERVER_PORT/api/health" 2>/dev/null && return
    alive "$(pid_of server)" || { tail -n 30 "$DIR/server.log" >&2; die "server exited"; }
    sleep 0.2
  done
  tail -n 30 "$DIR/server.log" >&2
  die "server not healthy after 60 s"
}

cleanup() {
  local rc=$?
  set +e
  log "cleanup: stopping what this run started"
  stop driver; stop server; stop proxy
  [[ $REDIS_MODE == private ]] && stop redis
  if ((KEEP)); then
    log "kept database $DB and $DIR"
  else
    psql -h 127.0.0.1 -p 5433 -U postgres -d postgres -qtAX -c "drop database if exists $DB with (force)" >/dev/null 2>&1
    rm -rf "$DIR/redis"
  fi
  exit "$rc"
}

# ------------------------------------------------------------------ faults
fault_kill() { # kill -9 of the server, then start it again (its downtime counts as the fault's duration)
  local t0; t0=$(now_ms)
  stop server KILL
  start_server
  record_fault "kill -9 server" "$t0"
}

fault_kill-mid-order() { # slow Redis down so multi-partition orders are between their slots, then kill -9
  local t0; t0=$(now_ms)
  proxy delay 400
  sleep 1.5
  stop server KILL
  proxy resume
  start_server
  record_fault "kill -9 server mid multi-slot order" "$t0"
}

fault_stall() { local t0; t0=$(now_ms); proxy stall; sleep 4; proxy resume; record_fault "proxy stall 4 s" "$t0"; }

fault_drop() { local t0; t0=$(now_ms); proxy drop; proxy refuse; sleep 2; proxy accept; record_fault "proxy drop + refuse 2 s" "$t0"; }

fault_delay() { local t0; t0=$(now_ms); proxy delay 300; sleep 8; proxy resume; record_fault "proxy delay 300 ms for 8 s" "$t0"; }

fault_pause() {
  local t0; t0=$(now_ms)
  redis-cli -p "$REDIS_PORT" client pause 4000 all >/dev/null
  sleep 4
  record_fault "CLIENT PAUSE 4 s" "$t0"
}

fault_redis-restart() {
  local t0; t0=$(now_ms)
  if [[ $REDIS_MODE == private ]]; then
    stop redis TERM
    start_private_redis
    record_fault "redis restart ($PERSISTENCE)" "$t0"
  else
    # reset, not restart: the services' Redis keeps its data across a restart (append-only file); this fault is the loss.
    scripts/services.sh reset redis >>"$DIR/services.log" 2>&1 || die "services.sh reset redis failed"
    record_fault "redis restart (shared, data deleted)" "$t0"
  fi
}

fault_redis-kill() {
  [[ $REDIS_MODE == private ]] || { log "redis-kill needs --redis private: skipped"; return; }
  local t0; t0=$(now_ms)
  stop redis KILL
  start_private_redis
  record_fault "redis kill -9 ($PERSISTENCE)" "$t0"
}

fault_postgres() {
  local t0; t0=$(now_ms)
  scripts/services.sh stop postgres >>"$DIR/services.log" 2>&1
  sleep 10
  scripts/services.sh start postgres >>"$DIR/services.log" 2>&1 || die "services.sh start postgres failed"
  record_fault "postgres stopped 10 s" "$t0"
}

fault_azurite() {
  local t0; t0=$(now_ms)
  scripts/services.sh restart azurite >>"$DIR/services.log" 2>&1 || die "services.sh restart azurite failed"
  record_fault "azurite restart" "$t0"
}

# ------------------------------------------------------------------ main
IFS=',' read -r -a SCHEDULE <<<"$FAULTS"
for f in "${SCHEDULE[@]}"; do declare -F "fault_$f" >/dev/null || die "unknown fault '$f'"; done
mkdir -p "$PIDS"
: >"$FAULT_LOG"
log "run $RUN: ${DURATION}s, $CLIENTS clients, seed $SEED, faults every ${INTERVAL}s: $FAULTS; redis $REDIS_MODE ($PERSISTENCE); output $DIR"

scripts/services.sh start postgres azurite $([[ $REDIS_MODE == shared ]] && echo redis) >>"$DIR/services.log" 2>&1 ||
  { tail -n 20 "$DIR/services.log" >&2; die "scripts/services.sh start failed"; }
for p in "$SERVER_PORT" "$PROXY_PORT" "$CONTROL_PORT" $([[ $REDIS_MODE == private ]] && echo "$REDIS_PORT"); do
  port_open "$p" && die "port $p is in use (set FAULT_SERVER_PORT / FAULT_PROXY_PORT / FAULT_CONTROL_PORT / FAULT_REDIS_PORT)"
done
if ((BUILD)); then
  log "dotnet build -c Release (server, load driver)"
  dotnet build src/Inventory.Server -c Release -nologo -v q >"$DIR/build.log" 2>&1 || { tail -n 30 "$DIR/build.log" >&2; die "build failed"; }
  dotnet build tests/Inventory.LoadDriver -c Release -nologo -v q >>"$DIR/build.log" 2>&1 || { tail -n 30 "$DIR/build.log" >&2; die "build failed"; }
fi

trap cleanup EXIT
trap 'exit 130' INT TERM
[[ $REDIS_MODE == private ]] && start_private_redis
psql -h 127.0.0.1 -p 5433 -U postgres -d postgres -qtAX -c "create database $DB" >/dev/null
setsid dotnet "$DRIVER_DLL" proxy --listen "$PROXY_PORT" --target "127.0.0.1:$REDIS_PORT" --control "$CONTROL_PORT" </dev/null >"$DIR/proxy.log" 2>&1 &
echo $! >"$PIDS/proxy.pid"
for ((i = 0; i < 100; i++)); do port_open "$CONTROL_PORT" && break; sleep 0.2; done
start_server
log "server on http://127.0.0.1:$SERVER_PORT (redis via proxy 127.0.0.1:$PROXY_PORT -> $REDIS_PORT), database $DB, prefix $PREFIX"

setsid dotnet "$DRIVER_DLL" load --base-url "http://127.0.0.1:$SERVER_PORT/" --output "$DIR/records.jsonl" --duration "$DURATION" \
  --clients "$CLIENTS" --seed "$SEED" --run-id "$RUN" </dev/null >"$DIR/driver.log" 2>&1 &
DRIVER=$!
echo "$DRIVER" >"$PIDS/driver.pid"

t_start=$SECONDS n=0
while ((SECONDS - t_start < DURATION - INTERVAL / 2 - 10)) && alive "$DRIVER"; do
  sleep "$INTERVAL"
  ((SECONDS - t_start < DURATION - 10)) || break
  f=${SCHEDULE[$((n % ${#SCHEDULE[@]}))]}
  n=$((n + 1))
  "fault_$f"
  tail -n 1 "$DIR/driver.log" | sed 's/^/  driver: /'
done
log "faults stopped after $n; waiting for the load driver to finish its orders in flight"
wait "$DRIVER" || die "load driver failed (log: $DIR/driver.log)"
rm -f "$PIDS/driver.pid"
tail -n 1 "$DIR/driver.log"
alive "$(pid_of server)" || start_server

log "check: drain (up to ${DRAIN}s), then records vs Redis vs SQL"
rc=0
dotnet "$DRIVER_DLL" check --records "$DIR/records.jsonl" --faults "$FAULT_LOG" --redis "127.0.0.1:$REDIS_PORT" --prefix "$PREFIX" \
  --sql "$SQL" --drain-timeout "$DRAIN" | tee "$DIR/check.txt" || rc=$?
log "done (exit $rc); records, faults and logs in $DIR"
exit "$rc"
