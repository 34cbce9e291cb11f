#!/usr/bin/env bash
# The pages in a real browser (issue 16): builds the binary, starts it with
# the 2019 demo data and a manual clock, first on SQLite and then on
# PostgreSQL, makes the users, guests and stays the tests need through the
# API, and runs tests/browser/ (node's test runner, playwright-core
# driving Debian's Chromium, axe-core on every page). Screenshots of each
# page in both languages land in target/screenshots/.
#
#   scripts/browser-tests.sh [PG_SERVER_URL]   (default postgres://postgres@127.0.0.1:5432/postgres)
#   NATTPLATS_BIN=target/release/nattplats scripts/browser-tests.sh
#   NATTPLATS_BROWSER_TESTS=tests/browser/desk.test.mjs scripts/browser-tests.sh   (some files only)
#
# Needs node and npm (npm ci installs the pinned packages of
# package-lock.json when node_modules is missing), Chromium at
# /usr/bin/chromium (or NATTPLATS_TEST_CHROMIUM), psql for the PostgreSQL
# run. `npx playwright install` is never used: it downloads a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN="${NATTPLATS_BIN:-}"
PG=${1:-postgres://postgres@127.0.0.1:5432/postgres}
# A database of this run's own: two runs at once (two checkouts) never
# drop each other's.
PG_DB=nattplats_browser_$$
CHROMIUM=${NATTPLATS_TEST_CHROMIUM:-/usr/bin/chromium}
SHOTS="$ROOT/target/screenshots"

[[ -x "$CHROMIUM" ]] || { echo "browser-tests: no Chromium at $CHROMIUM (apt-get install chromium)" >&2; exit 1; }
if [[ ! -f node_modules/playwright-core/package.json || ! -f node_modules/axe-core/axe.min.js ]]; then
  npm ci --no-audit --no-fund
fi

# shellcheck source=scripts/service-lib.sh
source "$ROOT/scripts/service-lib.sh"
service_bin
service_workdir
drop_pg() { psql "$PG" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; }
trap 'service_cleanup; drop_pg' EXIT INT TERM
mkdir -p "$SHOTS"
PASSWORD="browser-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
# Failed sign-ins before the limit (the test meets it); the address budget
# is large, since every test signs in from 127.0.0.1.
PER_USERNAME=3

# Makes the world of the tests through the API and writes it as JSON.
prepare() { # BASE FILE
  python3 - "$1" "$PASSWORD" "$PER_USERNAME" >"$2" <<'EOF_PY'
import json, sys, urllib.request
base, password, per_username = sys.argv[1], sys.argv[2], int(sys.argv[3])

def call(method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + "/api/v1" + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=10) as res:
        text = res.read()
        return json.loads(text) if text else None

admin = call("POST", "/auth/token", {"username": "admin", "password": password})["access_token"]
call("PUT", "/admin/clock", {"now": "2019-12-01T18:00:00+01:00"}, admin)
shelter = call("GET", "/shelters", token=admin)[0]
sid = shelter["id"]
users = {}
for name, roles, shelters in [
    ("desk", ["shelter_staff"], [sid]),
    ("coord", ["coordinator"], []),
    ("gone", ["shelter_staff"], [sid]),
    ("guesser", ["coordinator"], []),
]:
    users[name] = call("POST", "/users", {"username": name, "password": password,
                                          "roles": roles, "shelter_ids": shelters}, admin)["id"]
desk = call("POST", "/auth/token", {"username": "desk", "password": password})["access_token"]
coord = call("POST", "/auth/token", {"username": "coord", "password": password})["access_token"]

def guest(given, family, gender, token):
    return call("POST", "/guests", {"given_name": given, "family_name": family, "birth_year": 1980,
                                    "gender": gender, "citizenship": "RO"}, token)["id"]

def bed_of(stay):
    return stay["nights"][0]["label"] if "label" in stay["nights"][0] else None

places = {p["id"]: p["label"] for p in call("GET", f"/shelters/{sid}/places", token=admin)}
ion = call("POST", "/stays", {"guest_id": guest("Ion", "Rusu", "man", desk), "shelter_id": sid}, desk)
call("POST", f"/stays/{ion['id']}/check-ins", {}, desk)
maria = call("POST", "/stays", {"guest_id": guest("Maria", "Popescu", "woman", desk), "shelter_id": sid}, desk)
elena = call("POST", "/placements", {"guest_id": guest("Elena", "Dumitru", "woman", coord), "kind": "emergency",
                                     "shelter_id": sid, "reason": "no bed"}, coord)
held = {ion["nights"][0]["place_id"], maria["nights"][0]["place_id"], elena["place_id"]}
free = sorted((label, pid) for pid, label in places.items() if pid not in held and label.startswith("R"))
broken_label, broken = free[-1]
call("POST", f"/shelters/{sid}/places/{broken}/out-of-service",
     {"first_night": "2019-12-01", "last_night": "2019-12-03", "reason": "broken bed"}, admin)
print(json.dumps({
    "base": base, "password": password, "admin_token": admin, "per_username": per_username,
    "shelter_name": shelter["name"],
    "desk": "desk", "coord": "coord", "gone": "gone", "gone_id": users["gone"], "guesser": "guesser",
    "checked_in_bed": places[ion["nights"][0]["place_id"]],
    "expected_bed": places[maria["nights"][0]["place_id"]],
    "placement_bed": places[elena["place_id"]],
    "out_of_service_bed": broken_label,
}))
EOF_PY
}

run_on() { # NAME DATABASE_URL
  local port base
  port=$(free_port)
  base="http://127.0.0.1:$port"
  mkdir -p "$WORK/$1"
  (
    cd "$WORK/$1"
    exec env -u NATTPLATS_CONFIG \
      DATABASE_URL="$2" \
      NATTPLATS_BIND="127.0.0.1:$port" \
      NATTPLATS_SEED=stockholm-2019 \
      NATTPLATS_CLOCK=manual \
      NATTPLATS_BOOTSTRAP_ADMIN="admin:$PASSWORD" \
      NATTPLATS_LOGIN_ATTEMPTS_PER_USERNAME=$PER_USERNAME \
      NATTPLATS_LOGIN_ATTEMPTS_PER_ADDRESS=10000 \
      RUST_LOG="${RUST_LOG:-warn}" \
      "$BIN" serve
  ) >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "$base" browser-tests
  prepare "$base" "$WORK/$1/world.json"
  echo "== browser tests on $1"
  local status=0
  NATTPLATS_BROWSER_WORLD="$WORK/$1/world.json" NATTPLATS_BROWSER_BACKEND="$1" \
    NATTPLATS_SCREENSHOTS="$SHOTS" NATTPLATS_TEST_CHROMIUM="$CHROMIUM" \
    node --test --test-concurrency=1 ${NATTPLATS_BROWSER_TESTS:-tests/browser/} || status=$?
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  if [[ $status -ne 0 ]]; then
    echo "browser-tests: failed on $1; the service's log:" >&2
    tail -n ${NATTPLATS_BROWSER_LOG_LINES:-30} "$WORK/server.log" >&2
    exit "$status"
  fi
}

run_on sqlite "sqlite://$WORK/sqlite/pages.db"
drop_pg
psql "$PG" -qc "CREATE DATABASE $PG_DB" >/dev/null
run_on postgres "${PG%/*}/$PG_DB"
echo "browser tests passed on both backends; screenshots in target/screenshots/"
