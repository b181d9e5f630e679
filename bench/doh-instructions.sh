#!/usr/bin/env bash
# doh-instructions.sh: the DoH server's instructions per query, counted by
# callgrind, for BenchmarkDoHServer's sub-benchmarks (transport/doh_bench_test.go).
#   bench/doh-instructions.sh ['DoHServer/GET/streams=1$' ...]
# The server runs in a process of its own under valgrind (GOMAXPROCS=1, as
# bench/encrypted.sh gives it one core), the client natively; the figure is
# the difference between a run of HI and one of LO queries, divided by
# HI-LO, so the handshake and start-up cancel out. Only user-space
# instructions count: syscalls are the kernel's. Wall-clock and CPU-time
# figures on the shared two-core machine varied by 2x between identical
# runs; these vary by under 1% for one stream in flight (more with 16,
# where how answers batch depends on timing).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LO=${LO:-2000}; HI=${HI:-10000}
[ $# -gt 0 ] || set -- 'DoHServer/GET/streams=1$' 'DoHServer/POST/streams=1$'
command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
(cd "$ROOT" && go test -c -o "$T/transport.test" ./transport)
count() { # REGEX N: the server's instruction total for one run of N queries
  local d; d=$(mktemp -d "$T/run.XXXX")
  (cd "$ROOT/transport" && DOH_BENCH_PROCESS=1 \
    DOH_BENCH_WRAP="env GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=$d/%p" \
    "$T/transport.test" -test.run '^$' -test.bench "$1" -test.benchtime "${2}x" >/dev/null 2>"$d/err")
  # The benchmark runs once with 1 query, then with N: the larger count is N's.
  cat "$d"/[0-9]* | sed -n 's/^summary: //p' | sort -n | tail -1
}
for re in "$@"; do
  lo=$(count "$re" "$LO"); hi=$(count "$re" "$HI")
  echo "$re $(( (hi - lo) / (HI - LO) )) instructions/query"
done
