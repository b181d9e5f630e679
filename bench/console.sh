#!/usr/bin/env bash
# console.sh: what an open web console costs the DNS path. One cleandns
# (the shipped default config: query log on) serves the shared harness's
# mixed queries (30% blocked) with no console, then with the console's
# polling: a dashboard tab (its six API calls every 10 s) and a query log
# tab in live mode (a search every 2 s), the heaviest a console ever polls.
# The two alternate RUNS times in one process, and the script prints each
# pair and the median ratios (QPS, server CPU µs per query). On a shared
# machine those swing by more than the console costs, so it then measures
# the polling alone: the server's CPU time while idle but polled, minus
# idle and unpolled, over IDLE_SECONDS each, against its CPU time per query.
#   RUNS=3 SECONDS_PER_RUN=5 bench/console.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-/work/shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/cleandns-bench-console}
export UPSTREAM_PORT=${UPSTREAM_PORT:-15310} # not the shared 15300: compare.sh may run beside it
source "$SHARED_BENCH/lib.sh"
need dnsperf dnsperf; need dig bind9-dnsutils; need curl curl
RUNS=${RUNS:-3}; S=${SECONDS_PER_RUN:-5}; N=${N:-100000}
PORT=15357 HTTP=127.0.0.1:${HTTP_PORT:-15358}
DATA=$WORK/data-$N
[ -s "$DATA/mixed.txt" ] || "$SHARED_BENCH/gen-data.sh" "$DATA" "$N" >/dev/null
(cd "$ROOT" && go build -o "$WORK/cleandns-console-bin" ./cmd/cleandns)
start_upstream
export XDG_STATE_HOME=$WORK/state; rm -rf "$XDG_STATE_HOME"; mkdir -p "$XDG_STATE_HOME"
start cleandns "$PORT" "$WORK/cleandns-console-bin" serve --listen "127.0.0.1:$PORT" \
  --upstream "127.0.0.1:$UPSTREAM_PORT" --blocklist "$DATA/blocklist.txt" --http "$HTTP"
pid=$(cat "$WORK/cleandns.pid")
load "$PORT" "$DATA/allowed.txt" 2 >/dev/null # warm the cache

# poll: what the two open tabs ask, until killed; on the load core.
poll() {
  local api=http://$HTTP/api/v1 i=0
  while :; do
    if (( i % 5 == 0 )); then
      for q in 'stats?since=24h&step=10m' 'stats?since=1h&step=1m' status 'top?kind=blocked&limit=10' \
        'top?kind=clients&limit=10' 'top?kind=lists&limit=10'; do
        curl -s -o /dev/null "$api/$q"
      done
    fi
    curl -s -o /dev/null "$api/querylog?since=1h&limit=200"
    i=$((i + 1)); sleep 2
  done
}


{ printf '%-4s %24s %24s\n' run "off qps/ms/lost/us" "console qps/ms/lost/us"
for r in $(seq "$RUNS"); do
  off=$(load "$PORT" "$DATA/mixed.txt" "$S" "$pid")
  taskset -c "$LOAD_CPU" bash -c "$(declare -f poll); HTTP=$HTTP poll" &
  poller=$!
  on=$(load "$PORT" "$DATA/mixed.txt" "$S" "$pid")
  kill "$poller"; wait "$poller" 2>/dev/null || true
  printf '%-4s %24s %24s\n' "$r" "${off// //}" "${on// //}"
done; } | tee "$WORK/console.txt"
awk '$1 != "run" { split($2, a, "/"); split($3, b, "/"); q[NR] = b[1] / a[1]; u[NR] = b[4] / a[4]; n++ }
  function med(x,   m, i, j, t, k) { m = 0; for (k in x) v[++m] = x[k]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
  END { printf "median console/off: qps %.3f, server CPU us per query %.3f (%d runs)\n", med(q), med(u), n }' "$WORK/console.txt"

# The polling's own cost: CPU ticks while idle, without and with the poller.
IDLE=${IDLE_SECONDS:-30}; hz=$(getconf CLK_TCK)
t0=$(cpu_ticks "$pid"); sleep "$IDLE"; t1=$(cpu_ticks "$pid")
taskset -c "$LOAD_CPU" bash -c "$(declare -f poll); HTTP=$HTTP poll" &
poller=$!
t2=$(cpu_ticks "$pid"); sleep "$IDLE"; t3=$(cpu_ticks "$pid")
kill "$poller"; wait "$poller" 2>/dev/null || true
awk -v idle=$((t1 - t0)) -v polled=$((t3 - t2)) -v hz="$hz" -v s="$IDLE" '
  $1 != "run" { split($2, a, "/"); us[++n] = a[4]; qps[n] = a[1] }
  END {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) { if (us[j] < us[i]) { t = us[i]; us[i] = us[j]; us[j] = t } if (qps[j] < qps[i]) { t = qps[i]; qps[i] = qps[j]; qps[j] = t } }
    u = us[int((n + 1) / 2)]; q = qps[int((n + 1) / 2)]
    ms = (polled - idle) / hz / s * 1000
    printf "polling alone: %.2f ms of server CPU per second (idle %d, polled %d ticks in %d s);\n", ms, idle, polled, s
    printf "at %.2f us per query that is %.0f queries/s, %.2f%% of the off runs median %.0f QPS\n", u, ms * 1000 / u, ms * 1000 / u / q * 100, q
  }' "$WORK/console.txt"
