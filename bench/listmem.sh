#!/usr/bin/env bash
# listmem.sh: memory and start-up cost of a big blocklist, cleandns beside
# dnsmasq (the engine under Pi-hole). For each server: RSS with no list, RSS
# with the N-domain list once its last entry is blocked, and the time from
# process start until that last entry answers NXDOMAIN.
#   N=1000000 bench/listmem.sh          (needs dnsmasq-base, bind9-dnsutils)
# Loopback only; every server is stopped on exit. Not part of CI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
shared=${SHARED_BENCH:-$repo/../shared/bench}
N=${N:-1000000}
work=${BENCH_WORK:-/tmp/cleandns-listmem}
mkdir -p "$work"
data=$work/data-$N
[ -s "$data/blocklist.txt" ] || "$shared/gen-data.sh" "$data" "$N" >/dev/null
last=$(tail -n 1 "$data/blocklist.txt")
go build -o "$work/cleandns" "$repo/cmd/cleandns"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true' EXIT

rss() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }

# measure NAME PORT NAME_TO_POLL CMD...: prints seconds-to-NXDOMAIN and RSS (kB).
measure() {
  local port=$2 name=$3; shift 3
  local t0; t0=$(date +%s.%N)
  "$@" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 6000); do
    if dig +time=1 +tries=1 -p "$port" @127.0.0.1 "$name" A 2>/dev/null | grep -q 'status: NXDOMAIN'; then
      local t1; t1=$(date +%s.%N)
      sleep 1 # let the heap settle after the load
      printf '%.2f %s\n' "$(echo "$t1 - $t0" | bc)" "$(rss "$pid")"
      kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
      return
    fi
    sleep 0.01
  done
  echo "timeout"; kill "$pid"; pid=
}

empty=$work/empty.txt; echo "never-queried.invalid" >"$empty"
dnsmasq_conf() {
  { printf 'port=15399\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\nserver=127.0.0.1#9\n'
    awk '{ printf "address=/%s/\n", $0 }' "$1"; } >"$work/dnsmasq.conf"
}
dnsmasq_conf "$empty"
read -r _ d0 < <(measure dnsmasq 15399 never-queried.invalid dnsmasq --keep-in-foreground --conf-file="$work/dnsmasq.conf")
dnsmasq_conf "$data/blocklist.txt"
read -r dt d1 < <(measure dnsmasq 15399 "$last" dnsmasq --keep-in-foreground --conf-file="$work/dnsmasq.conf")

cl() { exec "$work/cleandns" serve --listen 127.0.0.1:15398 --http 127.0.0.1:0 --upstream 127.0.0.1:9 "$@"; }
read -r _ c0 < <(measure cleandns 15398 never-queried.invalid cl --blocklist "$empty")
read -r ct c1 < <(measure cleandns 15398 "$last" cl --blocklist "$data/blocklist.txt")

printf 'N=%d domains; last entry %s\n' "$N" "$last"
printf '%-9s %12s %12s %12s %16s\n' server rss_empty_MB rss_list_MB growth_MB first_block_s
printf '%-9s %12.1f %12.1f %12.1f %16s\n' dnsmasq "$(echo "$d0/1024" | bc -l)" "$(echo "$d1/1024" | bc -l)" "$(echo "($d1-$d0)/1024" | bc -l)" "$dt"
printf '%-9s %12.1f %12.1f %12.1f %16s\n' cleandns "$(echo "$c0/1024" | bc -l)" "$(echo "$c1/1024" | bc -l)" "$(echo "($c1-$c0)/1024" | bc -l)" "$ct"
printf 'growth ratio cleandns/dnsmasq: %.2f; first-block ratio: %.2f\n' "$(echo "($c1-$c0)/($d1-$d0)" | bc -l)" "$(echo "$ct/$dt" | bc -l)"
