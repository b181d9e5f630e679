#!/usr/bin/env bash
# compare.sh: builds cleandns and runs the shared dnsperf comparison
# (../shared/bench/compare.sh: one server core, one load core, taskset)
# RUNS times, then prints the median of each figure per server and the
# ratios to unbound measured in the same runs.
#   bench/compare.sh                         # RUNS=3 PEERS='unbound dnsmasq' SECONDS_PER_RUN=10
#   RUNS=3 PEERS=unbound SECONDS_PER_RUN=5 bench/compare.sh
# Each run also measures cleandns with its query log off (row cd-nolog),
# and at the end bench/querylog.sh compares log on and off at a fixed
# QUERYLOG_RATE (default 20000 q/s; 0 skips it).
# BEFORE=path adds that binary's row ("before", query log on) to each run,
# for a before/after comparison within the same runs.
# Figures per query set are qps/avg_ms/lost/us, us being the server's CPU
# time per answered query: on a loaded 2-core machine the figure to compare.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
WORK=${BENCH_WORK:-/tmp/cleandns-bench}
RUNS=${RUNS:-3}
mkdir -p "$WORK"
(cd "$ROOT" && go build -o "$WORK/cleandns-bench-bin" ./cmd/cleandns)
export PEERS=${PEERS:-unbound dnsmasq}
# The shipped default config applies (metrics and rate limiting on, loopback
# exempt); --http 127.0.0.1:0 keeps port 9153 free, and the query log goes
# to $WORK/state, not the user's state directory.
export CLEANDNS_CMD="env STATE_DIRECTORY=$WORK/state $WORK/cleandns-bench-bin serve --listen 127.0.0.1:{PORT} --upstream {UPSTREAM} --blocklist {LIST} --http 127.0.0.1:0"
rm -f "$WORK"/compare-[0-9]*.txt
NOLOG_CMD="env CLEANDNS_QUERYLOG_ENABLED=false $CLEANDNS_CMD"
for i in $(seq "$RUNS"); do
  (cd "$WORK" && bash "$SHARED_BENCH/compare.sh") | tee "$WORK/compare-$i.txt"
  (cd "$WORK" && PEERS=none CLEANDNS_CMD="$NOLOG_CMD" bash "$SHARED_BENCH/compare.sh") | awk '$1 == "cleandns" { $1 = "cd-nolog"; print }' | tee -a "$WORK/compare-$i.txt"
  if [ -n "${BEFORE:-}" ]; then
    cmd=${CLEANDNS_CMD//$WORK\/cleandns-bench-bin/$BEFORE}
    (cd "$WORK" && PEERS=none CLEANDNS_CMD="${cmd//$WORK\/state/$WORK\/state-before}" bash "$SHARED_BENCH/compare.sh") | awk '$1 == "cleandns" { $1 = "before"; print }' | tee -a "$WORK/compare-$i.txt"
  fi
done
echo
echo "median of $RUNS runs; then the median over runs of each run's ratio to unbound (qps, avg latency, CPU us per query)"
cat "$WORK"/compare-[0-9]*.txt | awk -v runs="$RUNS" '
  $1 == "server" { run++; next }
  {
    name = $1; if (!(name in seen)) { order[++n] = name; seen[name] = 1 }
    for (s = 0; s < 3; s++) {
      split($(4 + s), f, "/")
      for (k = 1; k <= 4; k++) { key = name SUBSEP s SUBSEP k; c[key]++; v[key, c[key]] = f[k]; byrun[key, run] = f[k] }
    }
  }
  # ratio: the median over runs of other/unbound within each run.
  function ratio(o, u,   r, key) {
    key = "ratio" SUBSEP o SUBSEP u; c[key] = 0
    for (r = 1; r <= run; r++) if ((o, r) in byrun && (u, r) in byrun && byrun[u, r] > 0) { c[key]++; v[key, c[key]] = byrun[o, r] / byrun[u, r] }
    return median(key)
  }
  function median(key,   m, i, j, t, a) {
    m = c[key]; for (i = 1; i <= m; i++) a[i] = v[key, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  END {
    split("blocked cached mixed", sets, " ")
    printf "%-10s", "server"; for (s = 1; s <= 3; s++) printf " %30s", sets[s] " qps/ms/lost/us"; print ""
    for (i = 1; i <= n; i++) {
      printf "%-10s", order[i]
      for (s = 0; s < 3; s++) printf " %30s", sprintf("%.0f/%.3f/%.0f/%.2f", median(order[i] SUBSEP s SUBSEP 1), median(order[i] SUBSEP s SUBSEP 2), median(order[i] SUBSEP s SUBSEP 3), median(order[i] SUBSEP s SUBSEP 4))
      print ""
    }
    if (!("unbound" in seen)) exit
    for (i = 1; i <= n; i++) {
      if (order[i] == "unbound") continue
      printf "%-10s", order[i] "/unb"
      for (s = 0; s < 3; s++) {
        u = "unbound" SUBSEP s SUBSEP; o = order[i] SUBSEP s SUBSEP
        printf " %30s", sprintf("%.2fx qps %.2fx ms %.2fx us", ratio(o 1, u 1), ratio(o 2, u 2), ratio(o 4, u 4))
      }
      print ""
    }
  }'
if [ "${QUERYLOG_RATE:-20000}" != 0 ]; then
  echo
  echo "query log on and off at ${QUERYLOG_RATE:-20000} q/s (bench/querylog.sh)"
  BIN="$WORK/cleandns-bench-bin" RATE=${QUERYLOG_RATE:-20000} RUNS=$RUNS SHARED_BENCH=$SHARED_BENCH bash "$ROOT/bench/querylog.sh"
fi
