#!/usr/bin/env bash
# The HTTP deduction path measured the way operators see it: the Release plain server and the minimal reference
# server (tests/Inventory.ReferenceServer) as separate processes on the same Redis, driven by wrk from another process
# with unique order ids over 64 SKUs. Each round starts both servers fresh, warms the measured route, measures each
# in turn (the order alternates per round), then deletes the round's Redis keys and stops both by pid.
# Prints per round and the median of the rounds: deductions/s, p50/p99, server CPU µs per order (/proc/<pid>/stat),
# Redis CPU µs per order (INFO cpu: the whole Redis process; INFO commandstats: script time only), EVALSHA calls per
# order (more than the protocol's 2 or 1 means someone else used this Redis meanwhile), allocated bytes per request
# (GC.GetTotalAllocatedBytes via /bench/allocated), RSS after the run, and Redis bytes per remembered order
# (MEMORY USAGE of sampled order keys). Ratios are this project against the reference in the same round.
# --batch N posts N orders per request to POST /api/deductions/batch instead (per-order figures divide by N orders
# per request; "units sold / orders answered" checks from the stock that every answered order deducted, since the
# batch route answers 200 whatever its items say). --baseline DIR measures the plain server built from another
# checkout (e.g. a `git worktree` of an older commit) in place of the reference server, same rounds, same harness.
# Usage: scripts/bench-http.sh [--rounds N] [--duration S] [--warmup S] [--connections C] [--threads T] [--no-build]
#                              [--batch N] [--baseline DIR] [--variant 'NAME=VALUE ...'] [--otlp-sink]
#        Env: BENCH_REDIS (127.0.0.1:6380), BENCH_SEEN_BITS (seen filter bits per partition, default the production
#        8388608), plus any Inventory__* setting for the plain server (e.g. the SQL engine).
# --variant compares the plain server with itself: the reference server is replaced by a second plain server with
#   these settings added (e.g. the engine on, or an exporter), and the ratios are variant / project. The last metric,
#   journal entries left in Redis, shows whether a draining engine keeps up (without one it is every order).
# --otlp-sink (with --variant) starts scripts/otlp-sink.py (OTLP/HTTP that answers 200 to everything) and points the variant's
#   OTEL_EXPORTER_OTLP_ENDPOINT at it, so an exporter's full cost (serialization, HTTP) is paid without a collector.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=3 DURATION=10 WARMUP=5 CONNECTIONS=64 THREADS=2 BUILD=1 BATCH=0 BASELINE="" VARIANT="" SINK=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --batch) BATCH=$2; shift 2 ;;
    --baseline) BASELINE=$(cd "$2" && pwd); shift 2 ;;
    --variant) VARIANT=$2; shift 2 ;;
    --otlp-sink) SINK=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
REDIS="${BENCH_REDIS:-127.0.0.1:6380}"
RHOST="${REDIS%:*}" RPORT="${REDIS##*:}"
KEY="bench-$RANDOM$RANDOM"
RUN="b$(date +%s | tail -c 6)$RANDOM"
LOG="$ROOT/.local/log/bench-http-$RUN"
SKUS=64 STOCK=100000000
TICK=$(getconf CLK_TCK)
mkdir -p "$LOG"
rcli() { redis-cli -h "$RHOST" -p "$RPORT" "$@"; }
command -v wrk >/dev/null || { echo "[bench-http] wrk not found: apt-get install -y wrk" >&2; exit 1; }
rcli ping >/dev/null || { echo "[bench-http] Redis $REDIS does not answer" >&2; exit 1; }

if [[ $BUILD == 1 ]]; then
  echo "[bench-http] dotnet build -c Release (server, reference server)"
  dotnet build -c Release "$ROOT/src/Inventory.Server" >"$LOG/build.log" 2>&1 || { tail -20 "$LOG/build.log" >&2; exit 1; }
  dotnet build -c Release "$ROOT/tests/Inventory.ReferenceServer" >>"$LOG/build.log" 2>&1 || { tail -20 "$LOG/build.log" >&2; exit 1; }
  if [[ -n $BASELINE ]]; then
    echo "[bench-http] dotnet build -c Release (baseline server in $BASELINE)"
    dotnet build -c Release "$BASELINE/src/Inventory.Server" >>"$LOG/build.log" 2>&1 || { tail -20 "$LOG/build.log" >&2; exit 1; }
  fi
fi
SERVER_DLL="$ROOT/src/Inventory.Server/bin/Release/net10.0/Inventory.Server.dll"
REFERENCE_DLL="$ROOT/tests/Inventory.ReferenceServer/bin/Release/net10.0/Inventory.ReferenceServer.dll"
BASELINE_DLL="$BASELINE/src/Inventory.Server/bin/Release/net10.0/Inventory.Server.dll"
PER=$(( BATCH > 0 ? BATCH : 1 ))
read -r -a VARIANT_ENV <<<"$VARIANT"
OTHER=$([[ -n $BASELINE ]] && echo baseline || { [[ -n $VARIANT ]] && echo variant; } || echo reference)
# A second plain server (baseline or variant) keeps its keys under "{prefix:p}" like the project's.
PLAIN_OTHER=$([[ $OTHER != reference ]] && echo 1 || echo 0)

PIDS=() PREFIXES=() SINK_PID=""
stop_sink() {
  [[ -n $SINK_PID ]] || return 0
  echo "[bench-http] otlp sink received (requests bytes): $(curl -s "http://127.0.0.1:$sink_port/" || echo '?')"
  kill "$SINK_PID" 2>/dev/null; SINK_PID=""
}
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || continue
    # not this shell's child (started in a command substitution): wait for it to be gone before deleting its keys
    for _ in $(seq 1 100); do [[ -e /proc/$pid ]] || break; sleep 0.1; done
  done
  PIDS=()
  for pattern in "${PREFIXES[@]}"; do
    rcli --scan --pattern "$pattern" | xargs -r -n 500 redis-cli -h "$RHOST" -p "$RPORT" UNLINK >/dev/null
  done
  PREFIXES=()
}
trap 'cleanup; stop_sink' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # url
  for _ in $(seq 1 300); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$1" || true) == 200 ]] && return 0
    sleep 0.1
  done
  echo "[bench-http] $1 did not answer" >&2; return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
redis_cpu() { rcli info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.6f", s}'; }
script_stats() { rcli info commandstats | tr -d '\r' | awk -F'[=,:]' '/^cmdstat_(evalsha|eval):/ {c += $3; u += $5} END {printf "%d %d", c, u}'; }
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
# Average MEMORY USAGE (bytes, exact) of up to 200 keys matching a pattern.
key_bytes() {
  { rcli --scan --pattern "$1" || true; } | head -n 200 | sed 's/^/MEMORY USAGE /; s/$/ SAMPLES 0/' | rcli |
    awk '{s += $1; n++} END {printf "%.0f", n ? s / n : 0}'
}

# Units left over every stock hash of a key prefix.
stock_sum() { # prefix-pattern
  { rcli --scan --pattern "$1" || true; } | while read -r k; do rcli hvals "$k"; done | awk '{s += $1} END {printf "%.0f", s}'
}

# One measured load run against a started server; prints "orders/s p50 p99 cpu_us redis_us script_us evalsha alloc rss
# non2xx sold/answered" (per order: divided by requests x orders per request).
measure() { # name port pid run stock-pattern
  local name=$1 port=$2 pid=$3 run=$4 stock=$5
  local a0 c0 r0 s0 u0 out a1 c1 r1 s1 u1
  u0=$(stock_sum "$stock")
  # GC collections gen0-2, total GC pause ms, thread pool threads and queue, GC mode (servers that have /bench/runtime)
  echo "$name $run before: $(curl -sf "http://127.0.0.1:$port/bench/runtime" || echo -)" >>"$LOG/runtime.txt"
  a0=$(curl -s "http://127.0.0.1:$port/bench/allocated"); c0=$(cpu_ticks "$pid"); r0=$(redis_cpu); s0=$(script_stats)
  out=$(BENCH_RUN="$run" BENCH_KEY="$KEY" BENCH_BATCH="$BATCH" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/scripts/bench-http.lua" "http://127.0.0.1:$port")
  c1=$(cpu_ticks "$pid"); r1=$(redis_cpu); s1=$(script_stats); a1=$(curl -s "http://127.0.0.1:$port/bench/allocated")
  echo "$name $run after:  $(curl -sf "http://127.0.0.1:$port/bench/runtime" || echo -)" >>"$LOG/runtime.txt"
  u1=$(stock_sum "$stock")
  echo "$out" >"$LOG/wrk-$name-$run.txt"
  local requests rps p50 p99 non2xx
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
  p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}'); non2xx=${non2xx:-0}
  awk -v n="$((requests * PER))" -v rps="$rps" -v per="$PER" -v p50="$p50" -v p99="$p99" -v c="$((c1 - c0))" -v tick="$TICK" -v r0="$r0" -v r1="$r1" \
      -v s0="$s0" -v s1="$s1" -v a="$((a1 - a0))" -v rss="$(rss_mb "$pid")" -v bad="$non2xx" -v sold="$((u0 - u1))" 'BEGIN {
    split(s0, x, " "); split(s1, y, " ")
    printf "%.0f %.2f %.2f %.1f %.1f %.1f %.2f %.0f %s %s %.3f\n", rps * per, p50, p99, c * 1e6 / tick / n, (r1 - r0) * 1e6 / n,
      (y[2] - x[2]) / n, (y[1] - x[1]) / n, a * per / n, rss, bad, sold / n }'
}

# Started from their bin directories as ./run does, so appsettings.json (Microsoft.AspNetCore at Warning) applies.
start_server() { # prefix port [NAME=VALUE ...] -> pid
  local prefix=$1 port=$2; shift 2 # the rest (NAME=VALUE) come last, so they override the defaults
  # The production filter size: a small one (65,536 bits) fills up after ~10,000 ids per home partition, and then
  # nearly every new id answers 'seen' and takes the SQL path (three more round trips), growing through the run.
  env Inventory__Redis__Configuration="$REDIS" Inventory__Redis__KeyPrefix="$prefix" Inventory__Redis__SeenFilterBits="${BENCH_SEEN_BITS:-8388608}" \
  Inventory__Keys__Function="$KEY" Inventory__Keys__Admin="$KEY" Inventory__Benchmark__NoopEndpoint=true \
  Inventory__Sql__Provider="${Inventory__Sql__Provider:-none}" Inventory__Workers__Engine="${Inventory__Workers__Engine:-false}" "$@" \
    bash -c 'cd "$(dirname "$0")" && exec dotnet "$0" --urls "$1"' "$SERVER_DLL" "http://127.0.0.1:$port" >"$LOG/server-$prefix.log" 2>&1 &
  echo $!
}
start_reference() { # prefix port -> pid
  bash -c 'cd "$(dirname "$0")" && exec dotnet "$0" "$@"' "$REFERENCE_DLL" --urls "http://127.0.0.1:$2" \
    --Reference:KeyPrefix="$1" --Reference:Key="$KEY" --Reference:Redis="$REDIS" >"$LOG/reference-$1.log" 2>&1 &
  echo $!
}

if [[ $SINK == 1 ]]; then
  sink_port=$(free_port)
  python3 "$ROOT/scripts/otlp-sink.py" "$sink_port" >"$LOG/otlp-sink.log" 2>&1 &
  SINK_PID=$!
  VARIANT_ENV+=("OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$sink_port" "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf")
fi
journal_left() { # prefix
  { rcli --scan --pattern "{$1:*}:journal" || true; } | sed 's/^/XLEN /' | rcli | awk '{s += $1} END {print s + 0}'
}

ROWS=()
for round in $(seq 1 "$ROUNDS"); do
  sp="${RUN}p$round" rp="${RUN}r$round"
  PREFIXES+=("{$sp:*" "{$rp}*")
  sport=$(free_port); spid=$(start_server "$sp" "$sport"); PIDS+=("$spid")
  if [[ -n $BASELINE ]]; then
    PREFIXES+=("{$rp:*")
    rport=$(free_port); rpid=$(SERVER_DLL="$BASELINE_DLL" start_server "$rp" "$rport"); PIDS+=("$rpid")
    wait_up "http://127.0.0.1:$rport/api/health"
  elif [[ -n $VARIANT ]]; then
    PREFIXES+=("{$rp:*")
    rport=$(free_port); rpid=$(start_server "$rp" "$rport" "${VARIANT_ENV[@]}"); PIDS+=("$rpid")
    wait_up "http://127.0.0.1:$rport/api/health"
  else
    rport=$(free_port); rpid=$(start_reference "$rp" "$rport"); PIDS+=("$rpid")
    wait_up "http://127.0.0.1:$rport/bench/allocated"
  fi
  wait_up "http://127.0.0.1:$sport/api/health"
  for port in "$sport" $( ((PLAIN_OTHER)) && echo "$rport"); do
    for i in $(seq 0 $((SKUS - 1))); do
      curl -sf -X PUT "http://127.0.0.1:$port/api/stock/b-$i" -H "x-functions-key: $KEY" -H 'content-type: application/json' \
        -d "{\"available\":$STOCK}" >/dev/null
    done
  done
  ((PLAIN_OTHER)) || rcli hset "{$rp}:stock" $(for i in $(seq 0 $((SKUS - 1))); do echo "b-$i $STOCK"; done) >/dev/null
  sstock="{$sp:*}:stock" rstock=$( ((PLAIN_OTHER)) && echo "{$rp:*}:stock" || echo "{$rp}:stock")
  # Warm-up: the measured route of each, at full load, long enough for tiered JIT to settle.
  BENCH_RUN="${sp}w" BENCH_KEY="$KEY" BENCH_BATCH="$BATCH" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/scripts/bench-http.lua" "http://127.0.0.1:$sport" >/dev/null
  BENCH_RUN="${rp}w" BENCH_KEY="$KEY" BENCH_BATCH="$BATCH" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/scripts/bench-http.lua" "http://127.0.0.1:$rport" >/dev/null
  if (( round % 2 )); then
    s=$(measure server "$sport" "$spid" "${sp}m" "$sstock"); r=$(measure "$OTHER" "$rport" "$rpid" "${rp}m" "$rstock")
  else
    r=$(measure "$OTHER" "$rport" "$rpid" "${rp}m" "$rstock"); s=$(measure server "$sport" "$spid" "${sp}m" "$sstock")
  fi
  sb=$(( $(key_bytes "{$sp:*}:c:${sp}m-*") + $(key_bytes "{$sp:*}:o:${sp}m-*") ))
  if ((PLAIN_OTHER)); then
    rb=$(( $(key_bytes "{$rp:*}:c:${rp}m-*") + $(key_bytes "{$rp:*}:o:${rp}m-*") ))
  else
    rb=$(key_bytes "{$rp}:o:${rp}m-*")
  fi
  ROWS+=("$s $sb $(journal_left "$sp")|$r $rb $(journal_left "$rp")")
  echo "[bench-http] round $round  server: $s $sb   $OTHER: $r $rb"
  cleanup
done

# Per metric: median over rounds of each side, and the median of the per-round ratios (project / other; for a
# variant, variant / project: what the added settings cost).
[[ -n $VARIANT ]] && echo "[bench-http] variant: ${VARIANT_ENV[*]}"
printf '%s\n' "${ROWS[@]}" | awk -F'|' -v rounds="$ROUNDS" -v conn="$CONNECTIONS" -v dur="$DURATION" -v batch="$BATCH" -v other="$OTHER" '
function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
{ split($1, s, " "); split($2, r, " "); for (k = 1; k <= 13; k++) { S[k, NR] = s[k]; R[k, NR] = r[k] } }
END {
  split("orders/s|p50 ms (per request)|p99 ms (per request)|server CPU us/order|Redis CPU us/order (process)|Redis script us/order (commandstats)|EVALSHA calls/order|allocated bytes/request|server RSS MB after run|non-2xx answers|units sold / orders answered|Redis bytes/remembered order|journal entries left in Redis", name, "|")
  inv = other == "variant"
  route = batch > 0 ? sprintf("/api/deductions/batch (%d orders per request)", batch) : "/api/deductions"
  printf "\nHTTP POST %s, wrk -c%d, %ds per run, median of %d rounds (ratio: median of per-round %s)\n", route, conn, dur, rounds, inv ? "variant/project" : "project/" other
  printf "%-40s %14s %14s %10s   %s\n", "metric", "project", other, "ratio", "per-round ratios"
  for (k = 1; k <= 13; k++) {
    list = ""
    for (i = 1; i <= NR; i++) { a[i] = S[k, i]; b[i] = R[k, i]; num = inv ? R[k, i] : S[k, i]; den = inv ? S[k, i] : R[k, i]; q[i] = (den + 0 != 0) ? num / den : 0; list = list sprintf("%.2f ", q[i]) }
    ms = median(a, NR); mr = median(b, NR); mq = median(q, NR)
    printf "%-40s %14.2f %14.2f %10s   %s\n", name[k], ms, mr, ((inv ? ms : mr) + 0 != 0) ? sprintf("%.2f", mq) : "-", list
  }
}'
[[ -f $LOG/runtime.txt ]] && { echo "[bench-http] runtime (gen0 gen1 gen2 gc-pause-ms threads queued gc-mode):"; cat "$LOG/runtime.txt"; }
echo "[bench-http] logs and wrk outputs: $LOG"
