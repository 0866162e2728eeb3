# Sourced by e2e tests after e2e.sh: start_crawl_faults runs
# tests/support/crawl_fault_server.py (a listing server whose paths fail in
# chosen ways) on a free port, its request log in $SCRATCH/requests.log,
# stopped on exit, and sets U to its http://127.0.0.1:PORT.
source "$ZCP_SOURCE_DIR/tests/support/nginx.sh"  # free_port, wait_port

start_crawl_faults() {
  local port
  port=$(free_port)
  $PY "$ZCP_SOURCE_DIR/tests/support/crawl_fault_server.py" "$port" 2>"$SCRATCH/requests.log" &
  on_exit "kill $!"
  wait_port "$port"
  U="http://127.0.0.1:$port"
}
