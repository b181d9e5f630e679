#!/usr/bin/env bash
# floor.sh: CPU time per query of Unbound, of bench/udpfloor (cleandns's
# recvmmsg/sendmmsg loop doing no DNS work) and of cleandns, for blocked and
# cached queries, alternated RUNS times in one script so that a shared
# machine's load falls on all three alike. The floor's ratio to Unbound is
# the least any pipeline change can reach on this kernel.
#   RUNS=3 SECONDS_PER_RUN=5 bench/floor.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
source "$SHARED_BENCH/lib.sh"
need dnsperf dnsperf; need dig bind9-dnsutils; need unbound unbound
RUNS=${RUNS:-3}; S=${SECONDS_PER_RUN:-5}; N=${N:-100000}
DATA=$WORK/data-$N
[ -s "$DATA/mixed.txt" ] || "$SHARED_BENCH/gen-data.sh" "$DATA" "$N" >/dev/null
(cd "$ROOT" && go build -o "$WORK/cleandns-bench-bin" ./cmd/cleandns && go build -o "$WORK/udpfloor" ./bench/udpfloor)
start_upstream
run() { # NAME PORT: blocked and cached figures of the server already started
  local pid; pid=$(cat "$WORK/$1.pid")
  load "$2" "$DATA/allowed.txt" 2 >/dev/null # warm the cache
  local b c
  b=$(load "$2" "$DATA/blocked.txt" "$S" "$pid"); c=$(load "$2" "$DATA/allowed.txt" "$S" "$pid")
  printf '%-10s %28s %28s\n' "$1" "${b// //}" "${c// //}"
  stop "$1"
}
printf '%-10s %28s %28s\n' server "blocked qps/ms/lost/us" "cached qps/ms/lost/us"
for i in $(seq "$RUNS"); do
  start_unbound 15353 "$DATA/blocklist.txt"; run unbound 15353
  start udpfloor 15357 "$WORK/udpfloor" -addr 127.0.0.1:15357; run udpfloor 15357
  start cleandns 15356 env STATE_DIRECTORY="$WORK/state" "$WORK/cleandns-bench-bin" serve --listen 127.0.0.1:15356 \
    --upstream "127.0.0.1:$UPSTREAM_PORT" --blocklist "$DATA/blocklist.txt" --http 127.0.0.1:0
  run cleandns 15356
done
