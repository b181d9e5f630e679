#!/usr/bin/env bash
# miss.sh: the cache-miss path, unbound and cleandns side by side in one run.
# Every query is a name never asked before, answered by the shared fake
# upstream, so every one is a cache miss and costs an upstream exchange.
# The server under test gets one core (SERVER_CPU), dnsperf and dnslatency
# the other (LOAD_CPU), and so does the fake upstream (UPSTREAM_CPU moves
# it): on the server's core it would take the server's CPU, and dnslatency
# sleeps between sends (-pace sleep) rather than spin, so it leaves the
# upstream room there. The upstream alone at 15,000/s so placed answers with
# a p99 of 0.2-0.9 ms, against 0.7-5 ms beside a spinning sender. CPU per
# miss is the server process's own time either way.
#   SECONDS_PER_RUN=5 RATE=15000 bench/miss.sh
#   PROFILE=1 bench/miss.sh     # also perf-records cleandns at full speed
#   BEFORE=/tmp/cleandns-main bench/miss.sh  # adds that binary's row, same run
#   ROUNDS=5 bench/miss.sh       # alternates the servers 5 times, prints medians
# Prints per server:
#   full    qps avg_ms lost us_per_miss   (dnsperf, as fast as it answers)
#   RATE    sent answered lost qps p50_us p90_us p99_us p999_us max_us (dnslatency)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
# Ports of its own, so it can run beside compare.sh and latency.sh.
export UPSTREAM_PORT=${UPSTREAM_PORT:-15410}
PEER_PORT=${PEER_PORT:-15453}; CLEANDNS_PORT=${CLEANDNS_PORT:-15456}
source "$SHARED_BENCH/lib.sh"
S=${SECONDS_PER_RUN:-5}; RATE=${RATE:-15000}; PEERS=${PEERS:-unbound}
# Enough unique names that neither run wraps round its file (dnsperf loops).
NAMES=${NAMES:-400000}
DATA=$WORK/miss-$NAMES
mkdir -p "$DATA"
for set in full rate; do
  [ -s "$DATA/$set.txt" ] || awk -v n="$NAMES" -v p="$set" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d.allowed.bench A\n", p, i }' >"$DATA/$set.txt"
done
[ -s "$DATA/empty-list.txt" ] || echo blocked.invalid >"$DATA/empty-list.txt"
(cd "$ROOT" && go build -o "$WORK/cleandns" ./cmd/cleandns && go build -o "$WORK/dnslatency" ./bench/dnslatency)
build_go fakeupstream
taskset -c "${UPSTREAM_CPU:-$LOAD_CPU}" "$WORK/fakeupstream" -addr "127.0.0.1:$UPSTREAM_PORT" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!); echo $! >"$WORK/upstream.pid"
wait_dns "$UPSTREAM_PORT"

measure() {
  local name=$1 port=$2 pid perf=
  pid=$(cat "$WORK/$name.pid")
  if [ "${PROFILE:-}" = 1 ] && [ "$name" = cleandns ]; then
    perf record -F 999 -g -p "$pid" -o "$WORK/miss-$name.perf" -- sleep "$S" >/dev/null 2>&1 &
    perf=$!
  fi
  printf '%-9s %-6s %s\n' "$name" full "$(load "$port" "$DATA/full.txt" "$S" "$pid")"
  [ -z "$perf" ] || wait "$perf"
  printf '%-9s %-6s %s\n' "$name" "$RATE" "$(taskset -c "$LOAD_CPU" "$WORK/dnslatency" -server "127.0.0.1:$port" \
    -queries "$DATA/rate.txt" -rate "$RATE" -duration "${S}s" -pace sleep)"
  stop "$name"
}
echo "full: qps avg_ms lost us_per_miss | $RATE: sent answered lost qps p50_us p90_us p99_us p999_us max_us"
# ROUNDS alternates the servers that many times: this machine has slow
# spells of some seconds that hit whichever server is running (Unbound's p99
# at 15,000/s ranged 3-28 ms in one evening), so one round's figures are a
# sample, and the medians over rounds are the result.
for round in $(seq "${ROUNDS:-1}"); do
  for peer in $PEERS; do
    "start_$peer" "$PEER_PORT" "$DATA/empty-list.txt"; measure "$peer" "$PEER_PORT"
  done
  # The shipped default config (metrics, rate limiting with loopback exempt,
  # the query log) applies, as in compare.sh; its state (the query log) goes
  # to the scratch folder, not the user's, and starts empty every round.
  if [ -n "${BEFORE:-}" ]; then
    rm -rf "$WORK/state-before"
    STATE_DIRECTORY=$WORK/state-before start before "$CLEANDNS_PORT" "$BEFORE" serve --listen "127.0.0.1:$CLEANDNS_PORT" --upstream "127.0.0.1:$UPSTREAM_PORT" \
      --blocklist "$DATA/empty-list.txt" --http 127.0.0.1:0
    measure before "$CLEANDNS_PORT"
  fi
  rm -rf "$WORK/state"
  STATE_DIRECTORY=$WORK/state start cleandns "$CLEANDNS_PORT" "$WORK/cleandns" serve --listen "127.0.0.1:$CLEANDNS_PORT" --upstream "127.0.0.1:$UPSTREAM_PORT" \
    --blocklist "$DATA/empty-list.txt" --http 127.0.0.1:0
  measure cleandns "$CLEANDNS_PORT"
done | tee "$WORK/miss-rows.txt"
if [ "${ROUNDS:-1}" -gt 1 ]; then
  echo "medians over $ROUNDS rounds: full qps us_per_miss | $RATE p50_us p99_us p999_us"
  awk -v rate="$RATE" '
    function med(key,   n, i, j, t, a) {
      n = split(vals[key], a, " ")
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $2 == "full" { vals[$1 ",qps"] = vals[$1 ",qps"] " " $3; vals[$1 ",us"] = vals[$1 ",us"] " " $6; seen[$1] = 1 }
    $2 == rate { vals[$1 ",p50"] = vals[$1 ",p50"] " " $7; vals[$1 ",p99"] = vals[$1 ",p99"] " " $9; vals[$1 ",p999"] = vals[$1 ",p999"] " " $10 }
    END { for (s in seen) printf "%-9s median %s %s | %s %s %s\n", s, med(s ",qps"), med(s ",us"), med(s ",p50"), med(s ",p99"), med(s ",p999") }' "$WORK/miss-rows.txt" | sort
fi
if [ "${PROFILE:-}" = 1 ]; then
  perf report -i "$WORK/miss-cleandns.perf" --no-children --percent-limit 1.5 --stdio 2>/dev/null |
    grep -E '^ +[0-9]' | head -30
fi
