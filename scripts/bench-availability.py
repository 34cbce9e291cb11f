#!/usr/bin/env python3
"""GET latency against a running nattplats, over kept-alive connections.

    scripts/bench-availability.py BASE_URL TOKEN PATH REQUESTS [CLIENTS]

CLIENTS threads (default 1) each send REQUESTS/CLIENTS requests one after
another on their own connection. Prints n, throughput, p50/p95/p99/max and
the size of the last answer."""
import http.client
import sys
import threading
import time
import urllib.parse

base, token, path, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
clients = int(sys.argv[5]) if len(sys.argv) > 5 else 1
url = urllib.parse.urlparse(base)
times, sizes, errors = [], [], []
lock = threading.Lock()


def run(n):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    mine = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        res = conn.getresponse()
        body = res.read()
        mine.append((time.perf_counter() - t0) * 1000)
        if res.status != 200:
            errors.append(res.status)
        last = len(body)
    with lock:
        times.extend(mine)
        sizes.append(last)


started = time.perf_counter()
threads = [threading.Thread(target=run, args=(total // clients,)) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - started
times.sort()
q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
print(
    f"n={len(times)} clients={clients} {len(times) / elapsed:.0f}/s "
    f"p50={q(.5):.2f}ms p95={q(.95):.2f}ms p99={q(.99):.2f}ms max={times[-1]:.2f}ms "
    f"bytes={sizes[-1]} errors={len(errors)}"
)
sys.exit(1 if errors else 0)
