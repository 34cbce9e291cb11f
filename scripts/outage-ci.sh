#!/usr/bin/env bash
# The database outage test (issue 6), on a private PostgreSQL cluster so
# the shared one is never stopped: under load, stop PostgreSQL; while it is
# gone the service answers 503 problem+json with Retry-After and /ready
# says not ready; start it again and the service recovers by itself, with
# every act it acknowledged in the database and the invariants holding.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ci-bins.sh
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
WORK=$(mktemp -d)
chmod 755 "$WORK"
PGDATA="$WORK/pg"
PORT=5499
SERVER=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  # Its database is about to go for good: no graceful shutdown to wait for.
  [ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null || true
  as_pg "$BIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir "$PGDATA"
[ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
as_pg "$BIN/initdb" -D "$PGDATA" -A trust -U postgres >/dev/null
pg() { as_pg "$BIN/pg_ctl" -D "$PGDATA" -o "-p $PORT -k $PGDATA -c listen_addresses=127.0.0.1" -w "$@" >/dev/null; }
pg start
URL="postgres://postgres@127.0.0.1:$PORT/postgres"

NATTPLATS_SEED=stockholm-2019 NATTPLATS_BOOTSTRAP_ADMIN=load:load-password-1 \
  NATTPLATS_LOGIN_ATTEMPTS_PER_ADDRESS=10000 NATTPLATS_BIND=127.0.0.1:18211 \
  DATABASE_URL=$URL RUST_LOG=warn $BIN_DIR/nattplats >"$WORK/service.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf 127.0.0.1:18211/ready >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -s 127.0.0.1:18211/api/v1/auth/token -H 'content-type: application/json' \
  -d '{"username":"load","password":"load-password-1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

$BIN_DIR/nattplats-load --url http://127.0.0.1:18211 --admin load:load-password-1 \
  --desks 4 --screens 1 --streams 1 --seconds 16 --acks "$WORK/acks" --tolerate-failures \
  >"$WORK/load.out" 2>&1 &
LOAD=$!
sleep 4
pg stop -m fast
echo "PostgreSQL stopped under load"
# While it is gone: /ready, a read and a write all answer 503 with Retry-After.
check_503() { # METHOD PATH [BODY]
  local out; out=$(curl -s -o "$WORK/body" -D - -X "$1" "127.0.0.1:18211$2" \
    -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' ${3:+-d "$3"})
  echo "$out" | head -n 1 | grep -q " 503" || { echo "$1 $2: not 503: $out $(cat "$WORK/body")" >&2; exit 1; }
  echo "$out" | grep -qi "^retry-after: " || { echo "$1 $2: no Retry-After" >&2; exit 1; }
  echo "$out" | grep -qi "^content-type: application/problem+json" || { echo "$1 $2: not problem+json" >&2; exit 1; }
  grep -q '"code":"unavailable"' "$WORK/body" || { echo "$1 $2: code is not unavailable: $(cat "$WORK/body")" >&2; exit 1; }
}
check_503 GET /ready
check_503 GET "/api/v1/availability?night=2030-01-01"
check_503 POST /api/v1/guests '{"given_name":"Out","family_name":"Age","birth_year":1980,"gender":"man","citizenship":"RO"}'
echo "while it was gone: 503 problem+json with Retry-After, /ready not ready"
sleep 2
pg start
echo "PostgreSQL started again"
for i in $(seq 1 150); do curl -sf 127.0.0.1:18211/ready >/dev/null && break; sleep 0.2; done
curl -sf 127.0.0.1:18211/ready >/dev/null || { echo "the service did not recover" >&2; exit 1; }
curl -sf "127.0.0.1:18211/api/v1/availability?places=false" -H "authorization: Bearer $TOKEN" >/dev/null
echo "the service recovered by itself after $((i / 5)) s"
wait "$LOAD" || true
grep -E "^(register guest|intake|check-in)" "$WORK/load.out" || true
$BIN_DIR/nattplats-load --verify-acks "$WORK/acks" --database-url "$URL"
echo "outage test passed"
