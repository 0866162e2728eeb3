# Sourced by tests/e2e/netns_*.sh after e2e.sh: a test bed of 2 to 6 hosts,
# each a network namespace with one veth port on a bridge that lives in a
# hub namespace. Hosts are named a .. f with 10.77.0.1 .. 10.77.0.6/24.
# Nothing is created in the caller's namespace and no host has a route
# beyond 10.77.0.0/24, so test traffic never reaches a real network.
#
#   netns_setup N                 create hosts a.. (skips without root/netns)
#   netns_exec HOST CMD...        run CMD inside HOST
#   netns_spawn HOST LOG CMD...   the same in the background -> NETNS_PID
#   netns_ip HOST                 print HOST's address
#   netns_link_down HOST          pull HOST's cable (its bridge port goes down)
#   netns_link_up HOST            plug it back in, wait until it carries
#   netns_reach FROM TO           wait until FROM gets answers from TO
#   netns_shape HOST RATE [BURST] tbf both ways on HOST's link (e.g. 100mbit)
#   netns_start_server HOST ARGS  zcp serve in HOST on :8080 -> SERVER_PID, URL
#   netns_start_host_server HOST ARGS  the same, logging to server-HOST.log
#   netns_wait_size FILE BYTES    wait (<= 20 s) until FILE holds BYTES or more
#   netns_temp_fds PID DIR        PID's open descriptors into DIR (O_TMPFILEs)
#   netns_temp_bytes PID DIR      the size of the largest of them
#
# Everything (processes inside the hosts, then the namespaces, which takes
# the veths and the bridge with them) is removed by e2e.sh's exit trap, on
# success, failure or SIGINT/SIGTERM/SIGHUP. A run killed with SIGKILL
# cannot clean up; the next netns_setup reaps namespaces whose test is gone.
[ -n "${SCRATCH:-}" ] || source "$(dirname "${BASH_SOURCE[0]}")/e2e.sh"
trap 'exit 129' HUP

NETNS_PREFIX="zcp-$$"
NETNS_HUB="$NETNS_PREFIX-hub"
NETNS_HOSTS=()  # short names, in address order
NETNS_PORT=8080

netns_name() { echo "$NETNS_PREFIX-$1"; }

netns_ip() {
  local i
  for i in "${!NETNS_HOSTS[@]}"; do
    [ "${NETNS_HOSTS[$i]}" = "$1" ] && { echo "10.77.0.$((i + 1))"; return; }
  done
  fail "netns: no host '$1' (have: ${NETNS_HOSTS[*]:-none})"
}

netns_exec() {
  local host=$1
  shift
  ip netns exec "$(netns_name "$host")" "$@"
}

# Kills every process inside namespace NS (they were started by this test),
# then deletes it.
netns_delete() {
  local ns=$1 pids
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null || true
    for _ in $(seq 100); do
      [ -z "$(ip netns pids "$ns" 2>/dev/null || true)" ] && break
      sleep 0.02
    done
  fi
  ip netns del "$ns" 2>/dev/null || true
}

netns_teardown() {
  local h
  for h in "${NETNS_HOSTS[@]:-}"; do [ -n "$h" ] && netns_delete "$(netns_name "$h")"; done
  netns_delete "$NETNS_HUB"
  NETNS_HOSTS=()
}

# Namespaces named zcp-PID-* whose test process no longer exists were left
# by a run that was SIGKILLed (e.g. a ctest timeout).
netns_reap_stale() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | sed -n 's/^\(zcp-[0-9]\+-\(hub\|[a-f]\)\)\( .*\)\?$/\1/p'); do
    pid=${ns#zcp-}
    pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null || netns_delete "$ns"
  done
}

# netns_setup N: hosts a.. (N of them, 2 to 6) on one bridge.
netns_setup() {
  local n=$1 names=(a b c d e f) i ns err="$SCRATCH/netns.err"
  [ "$n" -ge 2 ] && [ "$n" -le 6 ] || fail "netns_setup: N must be 2 to 6, got $n"
  [ "$(id -u)" = 0 ] || skip "network namespaces need root"
  command -v ip >/dev/null && command -v tc >/dev/null || skip "iproute2 (ip, tc) not installed"
  netns_reap_stale
  on_exit netns_teardown
  ip netns add "$NETNS_HUB" 2>"$err" || skip "ip netns add failed: $(cat "$err")"
  ip -n "$NETNS_HUB" link add br0 type bridge 2>"$err" || skip "no bridge support: $(cat "$err")"
  ip -n "$NETNS_HUB" link set br0 up
  for ((i = 0; i < n; i++)); do
    ns=$(netns_name "${names[$i]}")
    ip netns add "$ns" 2>"$err" || skip "ip netns add failed: $(cat "$err")"
    NETNS_HOSTS+=("${names[$i]}")
    # Created inside the hub and moved straight into the host: the veth
    # never exists in the caller's namespace.
    ip -n "$NETNS_HUB" link add "p-${names[$i]}" type veth peer name eth0 netns "$ns" 2>"$err" ||
      skip "no veth support: $(cat "$err")"
    ip -n "$NETNS_HUB" link set "p-${names[$i]}" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "10.77.0.$((i + 1))/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
  netns_check
}

# Each host routes only 10.77.0.0/24 (and its loopback), and reaches a.
netns_check() {
  local h routes
  for h in "${NETNS_HOSTS[@]}"; do
    routes=$(ip -n "$(netns_name "$h")" -4 route show table main | sed 's/ *$//')
    [ "$routes" = "10.77.0.0/24 dev eth0 proto kernel scope link src $(netns_ip "$h")" ] ||
      fail "netns: host $h has unexpected routes: $routes"
    [ -z "$(ip -n "$(netns_name "$h")" -6 route show default)" ] || fail "netns: host $h has an IPv6 default route"
  done
  for h in "${NETNS_HOSTS[@]:1}"; do netns_reach "$h" a; done
}

# netns_reach FROM TO: waits (<= 5 s) until FROM gets an answer from TO:
# connection refused on port 9 proves the round trip (ARP included).
netns_reach() {
  netns_exec "$1" "$PY" - "$(netns_ip "$2")" <<'PYEOF' || fail "netns: host $1 cannot reach $2"
import socket, sys, time
end = time.time() + 5
while True:
    try:
        socket.create_connection((sys.argv[1], 9), timeout=1).close()
        sys.exit(0)
    except ConnectionRefusedError:
        sys.exit(0)
    except OSError:
        if time.time() > end:
            raise
        time.sleep(0.05)
PYEOF
}

# netns_spawn HOST LOG CMD...: CMD in HOST in the background, stderr to
# LOG; sets NETNS_PID to CMD's own pid (ip netns exec execs it), so kill -9
# and wait reach CMD itself. (`netns_exec ... &` would give a subshell's.)
netns_spawn() {
  local host=$1 log=$2
  shift 2
  : >"$log"  # exists before the child opens it: readers may poll it at once
  ip netns exec "$(netns_name "$host")" "$@" 2>>"$log" &
  NETNS_PID=$!  # netns_teardown kills whatever still runs in HOST
}

netns_link_down() {
  ip -n "$NETNS_HUB" link set "p-$1" down || fail "netns: cannot take $1's link down"
}

netns_link_up() {
  local ns h
  ns=$(netns_name "$1")
  ip -n "$NETNS_HUB" link set "p-$1" up || fail "netns: cannot bring $1's link up"
  for _ in $(seq 200); do
    ip -n "$ns" link show eth0 | grep -q 'state UP' && break
    sleep 0.02
  done
  ip -n "$ns" link show eth0 | grep -q 'state UP' ||
    fail "netns: $1's link has no carrier after 4 s: $(ip -n "$ns" link show eth0)"
  # ARP tried while the cable was out leaves INCOMPLETE/FAILED entries
  # whose last failed probe can fail the next connect with "No route to
  # host" (seen 1 in 24 runs). Forget them, then prove the link carries.
  for h in "${NETNS_HOSTS[@]}"; do ip -n "$(netns_name "$h")" neigh flush dev eth0 2>/dev/null || true; done
  for h in "${NETNS_HOSTS[@]}"; do [ "$h" = "$1" ] || netns_reach "$1" "$h"; done
}

# netns_shape HOST RATE [BURST]: a token bucket on both ends of HOST's link,
# so HOST sends and receives at most RATE (tc syntax: 100mbit, 20mbit).
netns_shape() {
  local host=$1 rate=$2 burst=${3:-128kb}
  tc -n "$(netns_name "$host")" qdisc replace dev eth0 root tbf rate "$rate" burst "$burst" latency 100ms ||
    fail "netns: tbf on $host"
  tc -n "$NETNS_HUB" qdisc replace dev "p-$host" root tbf rate "$rate" burst "$burst" latency 100ms ||
    fail "netns: tbf on p-$host"
}

# netns_start_server HOST ARGS...: `zcp serve --listen IP:8080 ARGS...` in
# HOST, stderr to $SCRATCH/server.log; sets SERVER_PID, URL and ADDR like
# e2e.sh's start_server. The fixed port lets a restarted server take over.
netns_start_server() {
  local host=$1
  shift
  ADDR="$(netns_ip "$host"):$NETNS_PORT"
  netns_spawn "$host" "$SCRATCH/server.log" "$ZCP" serve --listen "$ADDR" "$@"
  SERVER_PID=$NETNS_PID
  wait_for_server
}

# netns_start_host_server HOST ARGS...: netns_start_server with the log in
# $SCRATCH/server-HOST.log, so servers in several hosts can run at once.
# The log is renamed once the server is up: its stderr follows the inode.
netns_start_host_server() {
  netns_start_server "$@"
  mv "$SCRATCH/server.log" "$SCRATCH/server-$1.log"
}

# netns_wait_size FILE BYTES: returns once FILE holds BYTES or more.
netns_wait_size() {
  for _ in $(seq 2000); do
    [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.01
  done
  fail "$1 did not reach $2 bytes in 20 s (has $(stat -c %s "$1" 2>/dev/null || echo none))"
}

# netns_temp_fds PID DIR: the descriptors process PID holds into DIR, one
# "fd path" per line (an O_TMPFILE shows up as "DIR/#INODE (deleted)").
netns_temp_fds() {
  local fd
  for fd in /proc/"$1"/fd/*; do
    case "$(readlink "$fd" 2>/dev/null)" in "$2/"*) echo "$fd $(readlink "$fd")" ;; esac
  done
}

# netns_temp_bytes PID DIR: how much the largest of those files holds.
netns_temp_bytes() {
  local fd max=0 n
  for fd in $(netns_temp_fds "$1" "$2" | cut -d' ' -f1); do
    n=$(stat -L -c %s "$fd" 2>/dev/null || echo 0)
    [ "$n" -gt "$max" ] && max=$n
  done
  echo "$max"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
