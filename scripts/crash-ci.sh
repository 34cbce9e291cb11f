#!/usr/bin/env bash
# The crash test (issue 6): under load, kill the service with SIGKILL at a
# random moment, five times, restarting it each time; then prove that
# every act the service acknowledged with a 2xx is in the database and
# that every invariant holds. On SQLite and on PostgreSQL.
#   scripts/crash-ci.sh [PG_SERVER_URL]   (default postgres://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ci-bins.sh
PG=${1:-postgres://postgres@127.0.0.1:5432/postgres}
WORK=$(mktemp -d)
SERVER=
cleanup() {
  [ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null || true
  psql "$PG" -qc "DROP DATABASE IF EXISTS nattplats_crash_ci WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start() { # DATABASE_URL PORT LOG
  NATTPLATS_SEED=stockholm-2019 NATTPLATS_BOOTSTRAP_ADMIN=load:load-password-1 \
    NATTPLATS_LOGIN_ATTEMPTS_PER_ADDRESS=10000 NATTPLATS_BIND=127.0.0.1:$2 \
    NATTPLATS_JWT_SECRET=crash-test-secret-0123456789abcdef0123456789 \
    DATABASE_URL=$1 RUST_LOG=warn $BIN_DIR/nattplats >>"$3" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "127.0.0.1:$2/ready" >/dev/null && return 0; sleep 0.1; done
  echo "the service did not come back" >&2
  return 1
}

crash_on() { # NAME DATABASE_URL PORT
  local acks="$WORK/$1.acks" log="$WORK/$1.log"
  start "$2" "$3" "$log"
  for round in 1 2 3 4 5; do
    $BIN_DIR/nattplats-load --url "http://127.0.0.1:$3" --admin load:load-password-1 \
      --desks 4 --screens 1 --streams 0 --seconds 5 --acks "$acks" --tolerate-failures \
      >"$WORK/$1.load.$round" 2>&1 &
    local load=$!
    # Somewhere between 1 and 4 seconds into the run.
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 1 + 3 * r / 32767 }')"
    kill -9 "$SERVER"
    wait "$SERVER" 2>/dev/null || true
    echo "$1: killed the service in round $round after $(wc -l <"$acks") acknowledged acts"
    wait "$load" || true
    start "$2" "$3" "$log"
  done
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
  $BIN_DIR/nattplats-load --verify-acks "$acks" --database-url "$2"
  # Every audit chain unbroken after the kills.
  DATABASE_URL=$2 $BIN_DIR/nattplats audit verify
}

crash_on sqlite "sqlite://$WORK/crash.db" 18191
psql "$PG" -qc "DROP DATABASE IF EXISTS nattplats_crash_ci WITH (FORCE)" -c "CREATE DATABASE nattplats_crash_ci"
crash_on postgres "${PG%/*}/nattplats_crash_ci" 18192
echo "crash test passed on both backends"
