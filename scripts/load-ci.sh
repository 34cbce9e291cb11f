#!/usr/bin/env bash
# The load tool at a small size against a fresh service on each backend:
# desks, screens, streams and a cold night for a few seconds, then every
# invariant checked in the database. Fails on any 5xx or broken invariant.
#   scripts/load-ci.sh [PG_SERVER_URL]   (default postgres://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ci-bins.sh
PG=${1:-postgres://postgres@127.0.0.1:5432/postgres}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  psql "$PG" -qc "DROP DATABASE IF EXISTS nattplats_load_ci WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

run_on() { # NAME DATABASE_URL PORT
  NATTPLATS_SEED=stockholm-2019 NATTPLATS_BOOTSTRAP_ADMIN=load:load-password-1 \
    NATTPLATS_LOGIN_ATTEMPTS_PER_ADDRESS=10000 NATTPLATS_BIND=127.0.0.1:$3 \
    DATABASE_URL=$2 NATTPLATS_LOG_FORMAT=json RUST_LOG=warn \
    $BIN_DIR/nattplats >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 50); do curl -sf "127.0.0.1:$3/ready" >/dev/null && break; sleep 0.2; done
  echo "== load on $1"
  $BIN_DIR/nattplats-load --url "http://127.0.0.1:$3" --admin load:load-password-1 \
    --desks 6 --screens 3 --streams 2 --seconds 8 --database-url "$2" --lean-ceiling --json "$WORK/$1.json"
}

run_on sqlite "sqlite://$WORK/load.db" 18181
psql "$PG" -qc "DROP DATABASE IF EXISTS nattplats_load_ci WITH (FORCE)" -c "CREATE DATABASE nattplats_load_ci"
run_on postgres "${PG%/*}/nattplats_load_ci" 18182
echo "load runs passed on both backends"
