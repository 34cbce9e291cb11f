#!/usr/bin/env bash
# The pages' render time at Stockholm size (issue 16's target: every page
# under 50 ms p99), on SQLite and then on PostgreSQL: starts the binary
# with the 2019 demo data and a manual clock, fills the night and measures
# every page with scripts/bench_pages.py. Numbers go to BENCHMARKS.md by
# hand, with the commit.
#
#   NATTPLATS_BIN=target/release/nattplats scripts/bench-pages.sh [REQUESTS] [CLIENTS] [PG_SERVER_URL]
#
# Needs python3 and, for the PostgreSQL run, psql. Without NATTPLATS_BIN
# it builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REQUESTS=${1:-1000}
CLIENTS=${2:-1}
PG=${3:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=nattplats_bench_pages_$$
BIN="${NATTPLATS_BIN:-}"
if [[ -z "$BIN" ]]; then
  cargo build --locked --release --quiet --bin nattplats
  BIN="$ROOT/target/release/nattplats"
fi
# shellcheck source=scripts/service-lib.sh
source "$ROOT/scripts/service-lib.sh"
service_bin
service_workdir
drop_pg() { psql "$PG" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; }
trap 'service_cleanup; drop_pg' EXIT INT TERM
PASSWORD="bench-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"

run_on() { # NAME DATABASE_URL
  local port base
  port=$(free_port)
  base="http://127.0.0.1:$port"
  mkdir -p "$WORK/$1"
  (
    cd "$WORK/$1"
    exec env -u NATTPLATS_CONFIG DATABASE_URL="$2" NATTPLATS_BIND="127.0.0.1:$port" \
      NATTPLATS_SEED=stockholm-2019 NATTPLATS_CLOCK=manual \
      NATTPLATS_BOOTSTRAP_ADMIN="admin:$PASSWORD" \
      NATTPLATS_LOGIN_ATTEMPTS_PER_ADDRESS=10000 RUST_LOG=warn "$BIN" serve
  ) >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "$base" bench-pages
  echo "== $1"
  python3 scripts/bench_pages.py "$base" "$PASSWORD" "$REQUESTS" "$CLIENTS"
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

run_on sqlite "sqlite://$WORK/sqlite/pages.db"
drop_pg
psql "$PG" -qc "CREATE DATABASE $PG_DB" >/dev/null
run_on postgres "${PG%/*}/$PG_DB"
