#!/usr/bin/env bash
# The service's OpenAPI document is valid OpenAPI: builds the debug binary,
# starts it on a throwaway SQLite database, fetches /openapi.json and checks
# it with openapi-spec-validator (pinned, in a virtualenv of its own under
# target/). Exits 1 naming every error.
#
#   scripts/openapi-validate.sh
#   NATTPLATS_BIN=target/release/nattplats scripts/openapi-validate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VALIDATOR_VERSION=0.9.0
VENV="$ROOT/target/openapi-venv"
BIN="${NATTPLATS_BIN:-}"

# shellcheck source=scripts/service-lib.sh
source "$ROOT/scripts/service-lib.sh"
pinned_venv "$VENV" "openapi-spec-validator==$VALIDATOR_VERSION"
service_bin
service_workdir
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"

# In the temp dir, so that no nattplats.toml or secret file of the checkout
# is picked up.
(
  cd "$WORK"
  exec env -u NATTPLATS_CONFIG \
    DATABASE_URL="sqlite://$WORK/v.db" \
    NATTPLATS_BIND="127.0.0.1:$PORT" \
    NATTPLATS_JWT_SECRET_FILE="$WORK/jwt.secret" \
    NATTPLATS_REPORTS_PSEUDONYM_SECRET_FILE="$WORK/pseudonym.secret" \
    RUST_LOG=warn \
    "$BIN" serve
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

wait_ready "$BASE" openapi-validate

python3 -c "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen('$BASE/openapi.json', timeout=10).read())" >"$WORK/openapi.json"
"$VENV/bin/openapi-spec-validator" --validation-errors all "$WORK/openapi.json"
