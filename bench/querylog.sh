#!/usr/bin/env bash
# querylog.sh: what the query log costs at a fixed rate. cleandns on one core
# (the shared harness's taskset), with the log on and off in turn, RUNS
# times, each answering dnsperf's mixed queries (30% blocked, the rest
# cached) at RATE queries a second for SECONDS_PER_RUN. Prints per run and
# mode: the rate reached, lost queries, the server's CPU µs per answered
# query, and with the log on the records dropped
# (cleandns_querylog_dropped_total); then the median ratio on/off of the CPU
# per query. The goal (issue #15): every record stored at 20,000 q/s, for at
# most 10% more CPU per query.
#   RATE=20000 RUNS=3 SECONDS_PER_RUN=5 bench/querylog.sh
# BIN=path skips the build (compare.sh passes its own).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
# Ports of its own (PORT, PORT+1 for HTTP, PORT+2 for the upstream), so it
# can run beside the shared harness's servers.
PORT=${PORT:-15471}; HTTP=127.0.0.1:$((PORT + 1)); export UPSTREAM_PORT=${UPSTREAM_PORT:-$((PORT + 2))}
source "$SHARED_BENCH/lib.sh"
need dnsperf dnsperf; need curl curl
RATE=${RATE:-20000}; RUNS=${RUNS:-3}; S=${SECONDS_PER_RUN:-5}; N=${N:-100000}
BIN=${BIN:-}; QLENV=${QLENV:-} # QLENV: more environment for cleandns, e.g. CLEANDNS_QUERYLOG_MAX_WRITER_CPU=1
if [ -z "$BIN" ]; then BIN=$WORK/cleandns-bench-bin; (cd "$ROOT" && go build -o "$BIN" ./cmd/cleandns); fi
DATA=$WORK/data-$N
[ -s "$DATA/mixed.txt" ] || "$BENCH_DIR/gen-data.sh" "$DATA" "$N" >/dev/null
start_upstream

# load_rate FILE PID: dnsperf at RATE; prints "qps lost us_per_query".
load_rate() {
  local t0 t1 out
  t0=$(cpu_ticks "$2")
  out=$(taskset -c "$LOAD_CPU" dnsperf -s 127.0.0.1 -p "$PORT" -d "$1" -l "$S" -Q "$RATE" -c 8 -q 2000 -t 2 2>&1)
  t1=$(cpu_ticks "$2")
  awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
    /Queries completed:/ { done = $3 } /Queries lost:/ { lost = $3 } /Queries per second:/ { qps = $4 }
    END { printf "%.0f %s %.2f\n", qps, lost, ticks / hz / done * 1e6 }' <<<"$out"
}

dropped() { curl -s "http://$HTTP/metrics" | awk '/^cleandns_querylog_dropped_total/ { s += $2 } END { print s + 0 }'; }

printf '%-4s %-4s %8s %6s %8s %8s\n' run log qps lost us/query dropped
for i in $(seq "$RUNS"); do
  for mode in on off; do
    enabled=true; [ "$mode" = off ] && enabled=false
    rm -rf "$WORK/qlstate"; mkdir -p "$WORK/qlstate"
    start cleandns "$PORT" env STATE_DIRECTORY="$WORK/qlstate" CLEANDNS_QUERYLOG_ENABLED=$enabled $QLENV \
      "$BIN" serve --listen "127.0.0.1:$PORT" --upstream "127.0.0.1:$UPSTREAM_PORT" --blocklist "$DATA/blocklist.txt" --http "$HTTP"
    pid=$(cat "$WORK/cleandns.pid")
    load "$PORT" "$DATA/allowed.txt" 2 >/dev/null # warm the cache
    before=$(dropped)
    read -r qps lost us < <(load_rate "$DATA/mixed.txt" "$pid")
    sleep 1 # the writer commits within flush_interval (500 ms) and a poll
    d=$(( $(dropped) - before )); [ "$mode" = off ] && d=-
    printf '%-4s %-4s %8s %6s %8s %8s\n' "$i" "$mode" "$qps" "$lost" "$us" "$d"
    stop cleandns
  done
done | tee "$WORK/querylog-rate.txt"
awk '$1 ~ /^[0-9]+$/ { us[$1, $2] = $5; runs[$1] = 1 }
  END {
    n = 0; for (r in runs) if ((r, "off") in us && us[r, "off"] > 0) v[++n] = us[r, "on"] / us[r, "off"]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    if (n) printf "CPU per query, log on / off: median %.3f over %d runs\n", n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2, n
  }' "$WORK/querylog-rate.txt"
