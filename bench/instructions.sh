#!/bin/sh
# bench/instructions.sh BINARY BENCH [N1 N2]: instructions per query of one
# of server's Inline/Edge benchmarks, (Ir(N2)-Ir(N1))/(N2-N1), counted by
# callgrind in the benchmark's serve closure only (the benchmark goroutine is
# locked to its thread), GC off (allocations are -benchmem's to count), async
# preemption off (callgrind aborts on its signal). Repeatable within about 2%
# on a loaded machine, where wall time is not. See docs/benchmarks.md.
#   go test -c -o /tmp/server.test ./server
#   bench/instructions.sh /tmp/server.test BenchmarkInlineBlocked
# Other benchmarks: TOG=function-to-count bench/instructions.sh BINARY BENCH
bin=$1 bench=$2 n1=${3:-11000} n2=${4:-51000}
case $bench in *Inline*) tog='github.com/cleandns/cleandns/server.benchInline.func2';; *Edge*) tog='github.com/cleandns/cleandns/server.benchEdge.func1';; *) tog=$TOG;; esac
ir() {
  GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --toggle-collect=$tog --callgrind-out-file=/dev/null "$bin" -test.run XXX -test.bench "^$bench\$" -test.benchtime ${1}x -test.count 1 2>&1 >/dev/null | grep -o 'Collected : [0-9]*' | awk '{print $3}'
}
a=$(ir $n1); b=$(ir $n2)
echo "$bench $(basename $bin): Ir($n1)=$a Ir($n2)=$b instructions/op=$(( (b-a)/(n2-n1) ))"
