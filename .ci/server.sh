# Sourced by .ci scripts: a `councilperf serve` of theirs, and what they ask
# of it. A server that exits while a step runs must fail that step, even when
# the step's own checks pass (a client that stops getting answers may not say
# so), so each step asks `server_alive` after it.

# Starts BINARY serve ARGS… on DATABASE_URL at a free port; sets `server`
# (its pid) and `server_url`, and waits until it is ready.
start_server() {
  local binary=$1
  shift
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  server_url="http://127.0.0.1:$port"
  COUNCILPERF_BIND="127.0.0.1:$port" RUST_LOG=${RUST_LOG:-warn} "$binary" serve "$@" &
  server=$!
  for _ in $(seq 1 120); do
    curl -fs "$server_url/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$server" 2>/dev/null || server_gone "its start"
    sleep 0.5
  done
  echo "the server at $server_url was not ready after 60 s"
  return 1
}

# Fails, saying how the server exited.
server_gone() {
  local status=0
  wait "$server" || status=$?
  echo "the server exited during $1 (exit status $status)"
  exit 1
}

# Fails if the server is gone or no longer answers.
server_alive() {
  kill -0 "$server" 2>/dev/null || server_gone "$1"
  if ! curl -fs --max-time 10 "$server_url/healthz" >/dev/null 2>&1; then
    kill -0 "$server" 2>/dev/null || server_gone "$1"
    echo "the server stopped answering /healthz during $1"
    exit 1
  fi
}

# Stops the server with SIGTERM, as an operator would, and fails unless it
# shuts down cleanly (exit status 0).
stop_server() {
  server_alive "$1"
  kill -TERM "$server"
  local status=0
  wait "$server" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "the server exited with status $status when stopped after $1"
    exit 1
  fi
}
