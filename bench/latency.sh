#!/usr/bin/env bash
# latency.sh: p50/p90/p99 latency at fixed rates (dnsperf prints only the
# average), unbound and cleandns side by side, one server core and one load
# core as compare.sh runs them. Needs ../shared/bench (SHARED_BENCH).
#   RATES="20000 40000" SECONDS_PER_RUN=5 bench/latency.sh
# Prints per server, query set and rate: sent answered lost qps p50 p90 p99 p99.9 max (us).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
source "$SHARED_BENCH/lib.sh"
N=${N:-100000}; S=${SECONDS_PER_RUN:-5}; RATES=${RATES:-"20000 40000"}
DATA=$WORK/data-$N
[ -s "$DATA/mixed.txt" ] || "$BENCH_DIR/gen-data.sh" "$DATA" "$N" >/dev/null
(cd "$ROOT" && go build -o "$WORK/cleandns" ./cmd/cleandns && go build -o "$WORK/dnslatency" ./bench/dnslatency)
start_upstream
measure() {
  local name=$1 port=$2
  load "$port" "$DATA/allowed.txt" 2 >/dev/null # warm the cache
  for set in blocked allowed; do
    for rate in $RATES; do
      printf '%-9s %-8s %6s  ' "$name" "$set" "$rate"
      taskset -c "$LOAD_CPU" "$WORK/dnslatency" -server "127.0.0.1:$port" -queries "$DATA/$set.txt" -rate "$rate" -duration "${S}s"
    done
  done
  stop "$name"
}
printf '%-9s %-8s %6s  %s\n' server queries rate "sent answered lost qps p50_us p90_us p99_us p999_us max_us"
start_unbound 15353 "$DATA/blocklist.txt"; measure unbound 15353
start cleandns 15356 "$WORK/cleandns" serve --listen 127.0.0.1:15356 --upstream "127.0.0.1:$UPSTREAM_PORT" \
  --blocklist "$DATA/blocklist.txt" --http 127.0.0.1:0
measure cleandns 15356
