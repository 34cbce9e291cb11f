# Sourced by the scripts that run the service on a throwaway database
# (schemathesis.sh, openapi-validate.sh, readme-examples.sh): the binary,
# a temporary directory removed at exit together with the server started
# in it, and a free port. The caller sets ROOT (the checkout) and BIN
# (empty: build and use the debug binary).

# Sets BIN to an absolute path, building the debug binary when none is named.
service_bin() {
  if [[ -z "$BIN" ]]; then
    cargo build --locked --quiet --workspace --bins
    BIN="$ROOT/target/debug/nattplats"
  fi
  [[ "$BIN" = /* ]] || BIN="$ROOT/$BIN"
}

# Makes WORK; at exit the server whose pid is in SERVER_PID is stopped and
# WORK removed.
service_workdir() {
  WORK=$(mktemp -d)
  SERVER_PID=
  trap service_cleanup EXIT INT TERM
}

service_cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}

# A port on 127.0.0.1 that nothing listens on.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until the service at $1 answers /ready (20 s at most); fails,
# showing its log, if the server (SERVER_PID) stops first. $2 names the
# script in the message.
wait_ready() {
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request; urllib.request.urlopen('$1/ready', timeout=1)" 2>/dev/null; then
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "$2: the service did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.2
  done
}

# Makes the virtualenv $1 hold the pinned packages that follow (pip's
# NAME==VERSION), installing them when one is missing or of another version.
pinned_venv() {
  local venv=$1 want installed
  shift
  installed=$("$venv/bin/pip" freeze 2>/dev/null || true)
  for want in "$@"; do
    if ! grep -qixF "$want" <<<"$installed"; then
      echo "installing $* into $venv"
      python3 -m venv "$venv"
      "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
      return
    fi
  done
}
