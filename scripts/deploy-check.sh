#!/usr/bin/env bash
# The deployment files checked as far as a machine without a container
# runtime or a cluster allows:
#  - deploy/compose.yaml against the Compose specification's schema and
#    deploy/k8s/nattplats.yaml against Kubernetes' (check-jsonschema and
#    kubernetes-validate, pinned, in a virtualenv of their own under target/);
#  - the binary started with exactly the environment, user and working
#    directory (read-only where the manifest says so) that each gives it,
#    the migration run first, every instance answering /ready
#    (scripts/deploy_check.py says what is replaced and what is checked).
#
#   scripts/deploy-check.sh [POSTGRES_URL]   with a URL: a fresh database on that
#                                            server per run; without: SQLite
#   NATTPLATS_BIN=target/release/nattplats scripts/deploy-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CHECK_JSONSCHEMA_VERSION=0.39.0
KUBERNETES_VALIDATE_VERSION=1.37.0
PYYAML_VERSION=6.0.4
VENV="$ROOT/target/deploy-venv"
BIN="${NATTPLATS_BIN:-}"
PG_URL="${1:-}"

want="check-jsonschema==$CHECK_JSONSCHEMA_VERSION kubernetes-validate==$KUBERNETES_VALIDATE_VERSION PyYAML==$PYYAML_VERSION"
if [[ "$(cat "$VENV/.pinned" 2>/dev/null || true)" != "$want" ]]; then
  echo "deploy-check: installing $want into $VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $want
  echo "$want" >"$VENV/.pinned"
fi

"$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml
"$VENV/bin/kubernetes-validate" --strict --quiet deploy/k8s/nattplats.yaml
echo "deploy-check: deploy/k8s/nattplats.yaml is valid for Kubernetes $KUBERNETES_VALIDATE_VERSION"

if [[ -z "$BIN" ]]; then
  cargo build --locked --quiet --workspace --bins
  BIN="$ROOT/target/debug/nattplats"
fi
[[ "$BIN" = /* ]] || BIN="$ROOT/$BIN"

"$VENV/bin/python" scripts/deploy_check.py --bin "$BIN" --dockerfile Dockerfile \
  --compose deploy/compose.yaml --k8s deploy/k8s/nattplats.yaml --postgres "$PG_URL"
