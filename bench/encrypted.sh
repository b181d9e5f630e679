#!/usr/bin/env bash
# encrypted.sh: the listeners of issue #17 side by side with unbound, in one run.
#   SECONDS_PER_RUN=5 bench/encrypted.sh
# The server under test gets one core (SERVER_CPU), dnsperf the other. Every
# query is answered from local data (a blocked name for cleandns, a
# local-zone for unbound), so the figures are the transport's cost.
# Prints per row: qps avg_ms lost us_per_query (the server's CPU time).
#   dot            dnsperf -m dot, 8 reused connections
#   doh            dnsperf -m doh (HTTP/2, GET), 100 reused connections with one
#                  query in flight on each: dnsperf's DoH client takes one
#                  response per socket wake-up, so several answers arriving
#                  together on one connection wait for its timeout (see
#                  docs/benchmarks.md)
#   dot-handshake  kdig +tls, a new connection and TLS handshake per query
#                  (qps is kdig's, a process per query: only us counts)
#   udp-specific   UDP on 127.0.0.1:PORT
#   udp-wildcard   UDP on 0.0.0.0:PORT, asked on 127.0.0.1
#   udp-loops-N    cleandns with udp.loops N (QPS; dnsperf shares the cores)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
export UPSTREAM_PORT=${UPSTREAM_PORT:-15510}
PORT=${PORT:-15553}; DOT_PORT=${DOT_PORT:-15853}; DOH_PORT=${DOH_PORT:-15443}
source "$SHARED_BENCH/lib.sh"
S=${SECONDS_PER_RUN:-5}; HANDSHAKES=${HANDSHAKES:-200}
need kdig knot-dnsutils
D=$WORK/encrypted; mkdir -p "$D"
echo "blocked.bench" >"$D/list.txt"
printf 'x.blocked.bench A\nwww.blocked.bench A\nblocked.bench AAAA\n' >"$D/q.txt"
(cd "$ROOT" && go build -o "$D/cleandns" ./cmd/cleandns)
[ -s "$D/tls.crt" ] || "$D/cleandns" cert --host bench.test --host 127.0.0.1 --cert "$D/tls.crt" --key "$D/tls.key" >/dev/null
start_upstream

tlsload() { # MODE PORT PID CLIENTS IN_FLIGHT: like lib.sh's load, over DoT or DoH
  local t0 t1 out; t0=$(cpu_ticks "$3")
  out=$(taskset -c "$LOAD_CPU" dnsperf -m "$1" -s 127.0.0.1 -p "$2" -d "$D/q.txt" -l "$S" -c "$4" -q "$5" -t 2 2>&1)
  t1=$(cpu_ticks "$3")
  awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
    /Queries completed:/ { done = $3 } /Queries lost:/ { lost = $3 } /Queries per second:/ { qps = $4 } /Average Latency/ { avg = $4 * 1000 }
    END { printf "%.0f %.3f %s %.2f\n", qps, avg, lost, ticks / hz / done * 1e6 }' <<<"$out"
}
dotload() { tlsload dot "$1" "$2" 8 200; } # PORT PID
dohload() { tlsload doh "$1" "$2" 100 100; } # PORT PID
handshakes() { # PORT PID NAME
  local t0 t1 s0 ok=0 i; t0=$(cpu_ticks "$2"); s0=$(date +%s.%N)
  for i in $(seq "$HANDSHAKES"); do
    taskset -c "$LOAD_CPU" kdig @127.0.0.1 -p "$1" +tls +tls-ca="$D/tls.crt" +tls-hostname=bench.test +retry=0 +time=2 "$3" A 2>/dev/null | grep -q 'status: ' && ok=$((ok + 1))
  done
  t1=$(cpu_ticks "$2")
  awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v ok=$ok -v n="$HANDSHAKES" -v s0="$s0" -v s1="$(date +%s.%N)" \
    'BEGIN { printf "%.0f - %d %.2f\n", ok / (s1 - s0), n - ok, ticks / hz / ok * 1e6 }'
}

row() { printf '%-10s %-14s %s\n' "$1" "$2" "$3"; }

# unbound: DoT on DOT_PORT, DoH on DOH_PORT (Debian builds it with
# nghttp2), UDP on PORT, the same names local.
conf=$D/unbound.conf
{ printf 'server:\n  interface: 127.0.0.1@%s\n  interface: 127.0.0.1@%s\n  tls-port: %s\n' "$PORT" "$DOT_PORT" "$DOT_PORT"
  printf '  interface: 127.0.0.1@%s\n  https-port: %s\n' "$DOH_PORT" "$DOH_PORT"
  printf '  tls-service-key: %s\n  tls-service-pem: %s\n' "$D/tls.key" "$D/tls.crt"
  printf '  do-daemonize: no\n  use-syslog: no\n  username: ""\n  chroot: ""\n  pidfile: ""\n  num-threads: 1\n'
  printf '  access-control: 127.0.0.0/8 allow\n  verbosity: 0\n  incoming-num-tcp: 100\n  local-zone: "blocked.bench." always_nxdomain\n'; } >"$conf"
start unbound "$PORT" unbound -c "$conf"
pid=$(cat "$WORK/unbound.pid")
row unbound dot "$(dotload "$DOT_PORT" "$pid")"
row unbound doh "$(dohload "$DOH_PORT" "$pid")"
row unbound dot-handshake "$(handshakes "$DOT_PORT" "$pid" x.blocked.bench)"
row unbound udp-specific "$(load "$PORT" "$D/q.txt" "$S" "$pid")"
stop unbound

cd_start() { # NAME LISTEN LOOPS
  start "$1" "$PORT" "$D/cleandns" serve --listen "$2:$PORT" --http "" --upstream "127.0.0.1:$UPSTREAM_PORT" \
    --blocklist "$D/list.txt" --dot "127.0.0.1:$DOT_PORT" --doh "127.0.0.1:$DOH_PORT" --tls-cert "$D/tls.crt" --tls-key "$D/tls.key" \
    --config <(printf 'udp:\n  loops: %s\nquerylog:\n  enabled: false\n' "$3")
}
cd_start cleandns 127.0.0.1 1
pid=$(cat "$WORK/cleandns.pid")
row cleandns dot "$(dotload "$DOT_PORT" "$pid")"
row cleandns doh "$(dohload "$DOH_PORT" "$pid")"
row cleandns dot-handshake "$(handshakes "$DOT_PORT" "$pid" x.blocked.bench)"
row cleandns udp-specific "$(load "$PORT" "$D/q.txt" "$S" "$pid")"
stop cleandns
cd_start cleandns 0.0.0.0 1
row cleandns udp-wildcard "$(load "$PORT" "$D/q.txt" "$S" "$(cat "$WORK/cleandns.pid")")"
stop cleandns
# Loops: both cores for the server (dnsperf shares them), so the QPS ratio
# is what a second loop adds when there is a core for it.
for n in 1 2; do
  SERVER_CPU=0,1 cd_start cleandns 127.0.0.1 "$n"
  row cleandns "udp-loops-$n" "$(LOAD_CPU=0,1 load "$PORT" "$D/q.txt" "$S" "$(cat "$WORK/cleandns.pid")")"
  stop cleandns
done
