#!/usr/bin/env bash
# Sequential GET /availability latency against a running nattplats: $1 base URL, $2 token, $3 requests.
set -eu
for i in $(seq 1 "$3"); do
  curl -s -o /dev/null -w '%{time_total}\n' "$1/api/v1/availability" -H "authorization: Bearer $2"
done | sort -n | python3 -c '
import sys
t=[float(x)*1000 for x in sys.stdin]
q=lambda p: t[min(len(t)-1,int(p*len(t)))]
print(f"n={len(t)} p50={q(.5):.2f}ms p95={q(.95):.2f}ms p99={q(.99):.2f}ms max={t[-1]:.2f}ms")'
