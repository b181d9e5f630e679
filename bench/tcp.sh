#!/usr/bin/env bash
# tcp.sh: cached and blocked queries over TCP (dnsperf -m tcp), unbound and
# cleandns side by side in one run, one server core and one load core as
# compare.sh runs them. Prints per server and query set:
#   qps lost us_per_query (the server's CPU time per answered query)
#   SECONDS_PER_RUN=5 bench/tcp.sh
#   BEFORE=/tmp/cleandns-main bench/tcp.sh   # adds that binary's rows, same run
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
export UPSTREAM_PORT=${UPSTREAM_PORT:-15411}
source "$SHARED_BENCH/lib.sh"
N=${N:-100000}; S=${SECONDS_PER_RUN:-5}; PEER_PORT=${PEER_PORT:-15463}; CLEANDNS_PORT=${CLEANDNS_PORT:-15466}
DATA=$WORK/data-$N
[ -s "$DATA/allowed.txt" ] || "$BENCH_DIR/gen-data.sh" "$DATA" "$N" >/dev/null
(cd "$ROOT" && go build -o "$WORK/cleandns" ./cmd/cleandns)
build_go fakeupstream
taskset -c "$LOAD_CPU" "$WORK/fakeupstream" -addr "127.0.0.1:$UPSTREAM_PORT" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
wait_dns "$UPSTREAM_PORT"
# tcpload PORT FILE PID: dnsperf over TCP, 8 connections, 100 queries outstanding each.
tcpload() {
  local t0 t1 out
  t0=$(cpu_ticks "$3")
  out=$(taskset -c "$LOAD_CPU" dnsperf -m tcp -s 127.0.0.1 -p "$1" -d "$2" -l "$S" -c 8 -q 800 -t 2 2>&1)
  t1=$(cpu_ticks "$3")
  awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
    /Queries completed:/ { done = $3 } /Queries lost:/ { lost = $3 } /Queries per second:/ { qps = $4 }
    END { printf "%.0f %s %.2f\n", qps, lost, (done > 0 ? ticks / hz / done * 1e6 : 0) }' <<<"$out"
}
measure() {
  local name=$1 port=$2 pid
  pid=$(cat "$WORK/$name.pid")
  load "$port" "$DATA/allowed.txt" 2 >/dev/null # warm the cache over UDP
  for set in allowed blocked; do
    printf '%-9s %-8s %s\n' "$name" "$set" "$(tcpload "$port" "$DATA/$set.txt" "$pid")"
  done
  stop "$name"
}
echo "server    queries  qps lost us_per_query (TCP)"
start_unbound "$PEER_PORT" "$DATA/blocklist.txt"; measure unbound "$PEER_PORT"
if [ -n "${BEFORE:-}" ]; then
  STATE_DIRECTORY=$WORK/state-before start before "$CLEANDNS_PORT" "$BEFORE" serve --listen "127.0.0.1:$CLEANDNS_PORT" \
    --upstream "127.0.0.1:$UPSTREAM_PORT" --blocklist "$DATA/blocklist.txt" --http 127.0.0.1:0
  measure before "$CLEANDNS_PORT"
fi
STATE_DIRECTORY=$WORK/state start cleandns "$CLEANDNS_PORT" "$WORK/cleandns" serve --listen "127.0.0.1:$CLEANDNS_PORT" \
  --upstream "127.0.0.1:$UPSTREAM_PORT" --blocklist "$DATA/blocklist.txt" --http 127.0.0.1:0
measure cleandns "$CLEANDNS_PORT"
