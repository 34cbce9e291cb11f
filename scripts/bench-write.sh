#!/usr/bin/env bash
# The write path against its lean ceiling (issue 18), on both backends:
# a world written in bulk (`nattplats seed large`), a fresh service on it,
# desks, screens and streams for SECONDS, then the lean ceiling on a copy
# of the same world in the same run (`nattplats-load --lean-ceiling`).
# One line per backend: granted intakes/s, the lean ceiling, their ratio,
# availability p99 under the writes, the service's peak RSS and the size
# of the database.
#   scripts/bench-write.sh SHELTERS PLACES GUESTS HISTORY_NIGHTS [SECONDS] [DESKS] [BACKENDS] [OCCUPANCY]
#   e.g. scripts/bench-write.sh 100 100 20000 30 20 8 "sqlite postgres" 50
# OCCUPANCY (default 50) is the share of places the history holds tonight:
# the rest are free, so intakes are granted for the whole run.
# NATTPLATS_BIN runs another build of the service (a before) beside this
# build's load tool; that build seeds the world too, so its schema and
# triggers are its own.
# SCREENS (default 4) and STREAMS (default 2) set the socialjouren screens.
# PG_SERVER_URL (default postgres://postgres@127.0.0.1:5432/postgres) names
# the server; BENCH_KEEP=DIR keeps the worlds and results there, and a
# world already seeded there is used again (seeding the large size takes
# an hour or more).
set -euo pipefail
cd "$(dirname "$0")/.."
SHELTERS=${1:?shelters} PLACES=${2:?places per shelter} GUESTS=${3:?guests} HISTORY=${4:?history nights}
SECONDS_=${5:-20} DESKS=${6:-8} BACKENDS=${7:-sqlite postgres} OCCUPANCY=${8:-50}
BIN=${NATTPLATS_BIN:-target/release/nattplats}
PG=${PG_SERVER_URL:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release --locked -p nattplats -p nattplats-load >&2
WORK=${BENCH_KEEP:-$(mktemp -d)}
mkdir -p "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -z "${BENCH_KEEP:-}" ]; then
    psql "$PG" -qc "DROP DATABASE IF EXISTS nattplats_bench_write WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

run_on() { # BACKEND DATABASE_URL PORT
  local name=$1 url=$2 port=$3
  local world="$SHELTERS $PLACES $GUESTS $HISTORY $OCCUPANCY"
  if [ "$(cat "$WORK/$name.seeded" 2>/dev/null)" = "$world" ]; then
    echo "== $name: the world seeded before in $WORK ($world)" >&2
  else
    echo "== $name: seeding $SHELTERS shelters × $PLACES places, $GUESTS guests, $HISTORY nights of history" >&2
    DATABASE_URL=$url "$BIN" seed large --shelters "$SHELTERS" \
      --places-per-shelter "$PLACES" --guests "$GUESTS" --history-nights "$HISTORY" \
      --occupancy "$OCCUPANCY" >"$WORK/$name.seed.log" 2>&1
    echo "$world" >"$WORK/$name.seeded"
  fi
  local size_before
  if [ "$name" = sqlite ]; then
    size_before=$(du -b "${url#sqlite://}" | cut -f1)
  else
    size_before=$(psql "$PG" -Atc "SELECT pg_database_size('nattplats_bench_write')")
  fi
  NATTPLATS_BOOTSTRAP_ADMIN=bench:bench-password-1 NATTPLATS_LOGIN_ATTEMPTS_PER_ADDRESS=10000 \
    NATTPLATS_BIND=127.0.0.1:$port DATABASE_URL=$url NATTPLATS_LOG_FORMAT=json RUST_LOG=warn \
    "$BIN" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 100); do curl -sf "127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
  target/release/nattplats-load --url "http://127.0.0.1:$port" --admin bench:bench-password-1 \
    --desks "$DESKS" --screens "${SCREENS:-4}" --streams "${STREAMS:-2}" --seconds "$SECONDS_" --database-url "$url" \
    --lean-ceiling --json "$WORK/$name.json" >"$WORK/$name.load.log" 2>&1 || {
      cat "$WORK/$name.load.log" >&2; echo "load failed on $name" >&2; exit 1; }
  local rss
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill "$pid"
  local size_after
  if [ "$name" = sqlite ]; then
    size_after=$(du -b "${url#sqlite://}" | cut -f1)
  else
    size_after=$(psql "$PG" -Atc "SELECT pg_database_size('nattplats_bench_write')")
  fi
  python3 - "$WORK/$name.json" "$name" "$rss" "$size_before" "$size_after" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
ops = r["operations"]
intake = ops.get("intake (POST /stays)", {})
avail = ops.get("availability (counts)", {})
lean = r.get("lean_ceiling", {})
print(f"{sys.argv[2]:<9} granted {r['intakes_per_second']:7.1f}/s of {r['intake_answers_per_second']:.1f}/s answered (intake p50 {intake.get('p50_ms', 0):.1f} ms, p99 {intake.get('p99_ms', 0):.1f} ms)"
      f" | lean ceiling {lean.get('intakes_per_second', 0):7.0f}/s ({lean.get('writers')} writer(s))"
      f" | service/lean {r.get('service_over_lean_ceiling', 0):.3f}"
      f" | availability p99 {avail.get('p99_ms', 0):.1f} ms ({avail.get('per_second', 0):.0f}/s)"
      f" | peak RSS {int(sys.argv[3]) / 1024:.0f} MiB"
      f" | database {int(sys.argv[4]) / 2**20:.0f} → {int(sys.argv[5]) / 2**20:.0f} MiB"
      f" | invariants hold")
EOF
}

for backend in $BACKENDS; do
  case $backend in
    sqlite) run_on sqlite "sqlite://$WORK/bench.db" 18401 ;;
    postgres)
      if [ "$(cat "$WORK/postgres.seeded" 2>/dev/null)" != "$SHELTERS $PLACES $GUESTS $HISTORY $OCCUPANCY" ]; then
        rm -f "$WORK/postgres.seeded"
        psql "$PG" -qc "DROP DATABASE IF EXISTS nattplats_bench_write WITH (FORCE)" -c "CREATE DATABASE nattplats_bench_write"
      fi
      run_on postgres "${PG%/*}/nattplats_bench_write" 18402 ;;
  esac
done
