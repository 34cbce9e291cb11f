#!/usr/bin/env bash
# Contract fuzzing: schemathesis generates requests from the service's own
# OpenAPI document (/openapi.json) and checks that no answer is a 5xx and
# that every answer (status, content type, body) is one the document
# declares. Runs the debug binary on a throwaway SQLite database with the
# 2019 demo data and the manual clock, as an admin, so every route is
# reachable (the destructive ones too: the database is deleted afterwards).
#
#   scripts/schemathesis.sh               build if needed, fuzz, exit 1 on any failure
#   NATTPLATS_BIN=target/release/nattplats scripts/schemathesis.sh
#   SCHEMATHESIS_MAX_EXAMPLES=200 SCHEMATHESIS_SEED=7 scripts/schemathesis.sh
#
# Extra arguments are passed to `schemathesis run` (e.g. --include-path-regex guests).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SCHEMATHESIS_VERSION=4.32.5
VENV="$ROOT/target/schemathesis-venv"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-100}"
SEED="${SCHEMATHESIS_SEED:-20191201}"
BIN="${NATTPLATS_BIN:-}"

# shellcheck source=scripts/service-lib.sh
source "$ROOT/scripts/service-lib.sh"
# schemathesis, pinned, in a virtualenv of its own under target/.
pinned_venv "$VENV" "schemathesis==$SCHEMATHESIS_VERSION"
service_bin
service_workdir
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
PASSWORD="fuzz-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"

# The server runs in the temp dir so that no nattplats.toml or secret file
# of the checkout is picked up; the fuzzer's own logins must not run out of
# login budget.
(
  cd "$WORK"
  exec env -u NATTPLATS_CONFIG \
    DATABASE_URL="sqlite://$WORK/s.db" \
    NATTPLATS_BIND="127.0.0.1:$PORT" \
    NATTPLATS_SEED=stockholm-2019 \
    NATTPLATS_CLOCK=manual \
    NATTPLATS_BOOTSTRAP_ADMIN="admin:$PASSWORD" \
    NATTPLATS_JWT_SECRET_FILE="$WORK/jwt.secret" \
    NATTPLATS_LOGIN_ATTEMPTS_PER_USERNAME=10000 \
    NATTPLATS_LOGIN_ATTEMPTS_PER_ADDRESS=10000 \
    RUST_LOG="${RUST_LOG:-warn}" \
    "$BIN" serve
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

wait_ready "$BASE" schemathesis

# An admin token; the admin is then given every role at every shelter, so
# that no route answers only 403 (roles are read from the database on every
# request: the token need not be fetched again).
TOKEN=$(python3 - "$BASE" "$PASSWORD" <<'EOF'
import json, sys, urllib.request
base, password = sys.argv[1], sys.argv[2]

def call(method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    return json.load(urllib.request.urlopen(req, timeout=10))

token = call("POST", "/api/v1/auth/token", {"username": "admin", "password": password})["access_token"]
shelters = [s["id"] for s in call("GET", "/api/v1/shelters", token=token)]
admin_id = call("GET", "/api/v1/audit?limit=1", token=token)["entries"][0]["user_id"]
roles = ["admin", "coordinator", "shelter_staff", "social_emergency", "outreach"]
call("PATCH", "/api/v1/users/" + admin_id, {"roles": roles, "shelter_ids": shelters}, token)
# PATCH /users/{id} is pointed at this user, never at the admin fuzzing.
target = call("POST", "/api/v1/users", {"username": "fuzz-target", "password": password, "roles": ["outreach"]}, token)["id"]
print(token, target)
EOF
)
read -r TOKEN TARGET_USER <<<"$TOKEN"

# Per operation: what is pinned, and where a check is known to be wrong.
# positive_data_acceptance ("a schema-valid request must not be refused")
# also takes 422 where the service refuses for a reason JSON Schema cannot
# state: a rule across fields, or an id in the body that names nothing
# (422 naming the field, README "Errors"). 400 and 415 still fail it.
cat >"$WORK/schemathesis.toml" <<EOF
[[operations]]
# An event stream never ends: one event is the answer.
include-name = "GET /api/v1/availability/stream"
max-stream-events = 1
# A night outside 2000-01-01..2200-12-31 is 422, as below.
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
# Otherwise the fuzzer takes away the roles of the admin it runs as.
include-name = "PATCH /api/v1/users/{id}"
parameters = { "path.id" = "$TARGET_USER" }
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
# \`to\` at most 400 nights after \`from\`; birth_date and birth_year agree
# and are not after today (the clock is fuzzed too); last_night not before
# first_night; ids in the body (shelters, guests, incidents, places) must
# exist, each named once, and a shelter_staff user needs a shelter. And an
# integer written 342.0 is an integer to JSON Schema but a float to serde:
# the service wants 342 (months of POST /admin/retention). Reports: a
# period's rules (from not after to, at most a partnership year, a preset
# with its date); a complaint answered needs a response; survey grades
# are integers. A rule set's first night must come after every night a
# stay may already be granted for and after the newest rule set's (the
# clock is fuzzed, so the schema's example night can be in the past).
# The fuzzer sends one Idempotency-Key with other requests too: 422, as
# API.md says.
include-name-regex = '^(GET /api/v1/(cold-nights|incidents|complaints|reports/.*)|POST /api/v1/(admin/retention|guests|users|bans|incidents|intake-sessions|intake-sessions/\{id\}/(applicants|draw)|shelters|shelters/\{id\}/places|placements|stays|referrals|rule-sets|survey/responses|shelters/\{id\}/places/\{place_id\}/out-of-service|stays/\{id\}/move)|PUT /api/v1/cold-nights/\{night\}|PATCH /api/v1/complaints/\{id\})$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
# Nights (and the training clock's night) outside 2000-01-01..2200-12-31
# are 422 wherever they are read (README "Errors"); \`format: date\`
# cannot say so.
include-name-regex = '^(GET /api/v1/(availability|guests/\{id\}/eligibility|survey|audit|stays|placements)|PUT /api/v1/admin/clock|POST /api/v1/(complaints|stays/\{id\}/check-ins)|DELETE /api/v1/cold-nights/\{night\})$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
EOF

status=0
# One worker: with two, CPython 3.11's ast.parse, which Hypothesis calls
# from several threads to describe its filters, can fail with "AST
# constructor recursion depth mismatch" (a Runtime Error of the run, not a
# finding about the service).
# From the temp dir: schemathesis keeps a .schemathesis/ cache in its
# working directory.
(cd "$WORK" && "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run "$BASE/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,positive_data_acceptance \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 1 \
  --request-timeout 10 \
  --no-color \
  "$@") || status=$?

if [[ $status -ne 0 ]]; then
  echo "schemathesis: failures (exit $status); the service's log:" >&2
  tail -n 50 "$WORK/server.log" >&2
fi
exit $status
