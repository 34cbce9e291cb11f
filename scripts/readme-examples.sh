#!/usr/bin/env bash
# The README's examples run as written: starts the service as the README
# does (NATTPLATS_SEED=stockholm-2019 NATTPLATS_CLOCK=manual, the debug
# binary, in an empty temporary directory, on a free port instead of
# 8080), takes the demo admin's password from what it prints, and runs
# every ```sh block of README.md that talks to localhost:8080, top to
# bottom in one shell (scripts/readme_examples.py). Fails on any answer of
# 400 or more and on an answer that differs from the `# {...}` line after
# its command. Needs curl and jq (installed from Debian's packages when
# missing and running as root).
#
#   scripts/readme-examples.sh
#   NATTPLATS_BIN=target/release/nattplats scripts/readme-examples.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN="${NATTPLATS_BIN:-}"

missing=()
for tool in curl jq; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "readme-examples: needs ${missing[*]}" >&2
    exit 1
  fi
  echo "readme-examples: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# shellcheck source=scripts/service-lib.sh
source "$ROOT/scripts/service-lib.sh"
service_bin
service_workdir
PORT=$(free_port)
mkdir "$WORK/run"
(
  cd "$WORK/run"
  exec env -u NATTPLATS_CONFIG -u DATABASE_URL -u NATTPLATS_BOOTSTRAP_ADMIN \
    NATTPLATS_SEED=stockholm-2019 NATTPLATS_CLOCK=manual \
    NATTPLATS_BIND="127.0.0.1:$PORT" \
    "$BIN"
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; then
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "readme-examples: the service did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.2
done

PASSWORD=$(python3 - "$WORK/server.log" <<'EOF_PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
m = re.search(r'"admin".*?password\W+([A-Za-z0-9]{12,})', text)
if not m:
    sys.exit("readme-examples: the demo admin's password was not printed")
print(m.group(1))
EOF_PY
)

python3 scripts/readme_examples.py README.md "$PORT" "$PASSWORD" >"$WORK/examples.sh"
status=0
(cd "$WORK/run" && timeout 300 bash "$WORK/examples.sh") || status=$?
if [[ $status -ne 0 ]]; then
  echo "readme-examples: failed (exit $status); the service's log:" >&2
  tail -n 30 "$WORK/server.log" >&2
fi
exit $status
