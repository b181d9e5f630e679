#!/usr/bin/env bash
# flood.sh: the full-length floods of issue #15 items 6 and 7 against the
# real binary, beside the few-second versions in server/flood_test.go.
# An upstream that never answers anything under dead.example (the shared
# fake upstream answers only allowed.bench: the rest is REFUSED, so this
# script runs its own silent one, dnstest-style, on loopback) and one that
# answers allowed.bench; cleandns forwards dead.example to the first. One
# client floods at RATE for SECONDS, first one name, then random
# subdomains; another (127.0.0.2) asks 50 new allowed.bench names a second.
# Prints per flood: the other client's answered share, and cleandns's peak
# goroutines (from /metrics), RSS and CPU.
#   RATE=20000 SECONDS=30 bench/flood.sh
#   BIN=/tmp/cleandns-main bench/flood.sh     # another build, e.g. main before a change
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
export UPSTREAM_PORT=${UPSTREAM_PORT:-15401}
source "$SHARED_BENCH/lib.sh"
RATE=${RATE:-20000}; SECONDS_FLOOD=${SECONDS:-30}; PORT=${PORT:-15457}; HTTP=${HTTP:-15458}
DEAD_PORT=${DEAD_PORT:-15402}
(cd "$ROOT" && go build -o "$WORK/cleandns" ./cmd/cleandns && go build -o "$WORK/dnslatency" ./bench/dnslatency)
build_go fakeupstream
taskset -c "${UPSTREAM_CPU:-$SERVER_CPU,$LOAD_CPU}" "$WORK/fakeupstream" -addr "127.0.0.1:$UPSTREAM_PORT" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
# The dead upstream: a UDP socket that reads and never answers.
python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', $DEAD_PORT))
while True: s.recv(4096)" &
PIDS+=($!)
wait_dns "$UPSTREAM_PORT"
cat >"$WORK/flood.yaml" <<EOF
listen: ["127.0.0.1:$PORT"]
http: {listen: "127.0.0.1:$HTTP"}
upstreams: {servers: ["127.0.0.1:$UPSTREAM_PORT"]}
forward_zones: [{zone: dead.example, servers: ["127.0.0.1:$DEAD_PORT"]}]
EOF
# Its state (the query log) in the scratch folder, not the user's.
STATE_DIRECTORY=$WORK/state start cleandns "$PORT" "${BIN:-$WORK/cleandns}" serve --config "$WORK/flood.yaml"
pid=$(cat "$WORK/cleandns.pid")
N=$((RATE * SECONDS_FLOOD))
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) print "never.dead.example A" }' >"$WORK/flood-same.txt"
awk -v n="$N" 'BEGIN { srand(1); for (i = 0; i < n; i++) printf "r%d-%d.dead.example A\n", i, int(rand() * 1e9) }' >"$WORK/flood-random.txt"
peak() { # samples goroutines and RSS every second into $WORK/peak
  local g r
  : >"$WORK/peak"
  while sleep 1; do
    g=$(curl -s "127.0.0.1:$HTTP/metrics" | awk '/^go_goroutines / { print $2 }')
    r=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
    echo "$g $r" >>"$WORK/peak"
  done
}
echo "flood other_sent other_lost other_noerror peak_goroutines peak_rss_mb cpu_s"
for kind in same random; do
  peak & sampler=$!
  t0=$(cpu_ticks "$pid")
  taskset -c "$LOAD_CPU" "$WORK/dnslatency" -server "127.0.0.1:$PORT" -queries "$WORK/flood-$kind.txt" \
    -rate "$RATE" -duration "${SECONDS_FLOOD}s" -timeout 6s >/dev/null &
  flooder=$!
  sleep 1
  awk -v n=$((50 * SECONDS_FLOOD)) -v k="$kind" 'BEGIN { for (i = 0; i < n; i++) printf "other-%s-%d.allowed.bench A\n", k, i }' >"$WORK/other.txt"
  other=$(dnsperf -s 127.0.0.1 -p "$PORT" -a 127.0.0.2 -d "$WORK/other.txt" -Q 50 -l $((SECONDS_FLOOD - 2)) -t 2 2>&1 |
    awk '/Queries sent:/ { s = $3 } /Queries lost:/ { l = $3 }
      /Response codes:/ { for (i = 3; i <= NF; i++) if ($i == "NOERROR") ok = $(i + 1) } END { print s, l, ok + 0 }')
  wait "$flooder" || true
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  t1=$(cpu_ticks "$pid")
  awk -v k="$kind" -v o="$other" -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
    { if ($1 > g) g = $1; if ($2 > r) r = $2 }
    END { printf "%s %s %d %d %.1f\n", k, o, g, r / 1024, ticks / hz }' "$WORK/peak"
  sleep 6 # the flood's last queries time out before the next flood
done
