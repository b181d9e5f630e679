#!/usr/bin/env bash
# stucktcp.sh: issue 15 item 8 at full size, out of CI. CLIENTS TCP clients
# (default 200) send queries for a 37 KB answer and never read; after the
# 5 s write timeout the server must have reset them, leaving at most a few
# hundred KB queued per client (before the write deadline and the send
# buffer cap: 2 to 3 MB each, 561 MB for 200 in the issue's run). CI runs
# the same test with 10 clients.
#   bench/stucktcp.sh            # CLIENTS=200
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-200}
STUCK_CLIENTS=$CLIENTS go test -count=1 -v -run '^TestNeverReadingTCPClientsAreDropped$' ./server |
  grep -E 'never-reading clients|^(---|ok|FAIL)'
