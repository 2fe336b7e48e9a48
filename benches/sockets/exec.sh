#!/usr/bin/env bash
# A process per client: `netlab serve --exec /bin/echo hi` beside `ncat -k -l --exec` and socat's
# `TCP-LISTEN,fork … EXEC:`, connections per second under `netlab bench tcp -c 4` (connect, read
# "hi" to EOF, close). Each server runs one program per connection, so the figure is what it
# costs to start a child and hand it the socket. Not a test: it prints figures and ratios.
#
#   benches/sockets/exec.sh                  # 3 rounds of 3 s per server
#   DURATION=5s ROUNDS=5 benches/sockets/exec.sh
#   MODEL=fork benches/sockets/exec.sh       # netlab's fork model instead of thread
#
# The servers take turns in every round (netlab first in odd rounds, last in even ones) and each
# figure is the median of its rounds, so none gets all of a good or bad stretch of this VM.
#
# Targets (issue 17): >= 1.5x ncat --exec, >= 1.5x socat EXEC.
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/lib.sh

DURATION=${DURATION:-3s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-4}
MODEL=${MODEL:-thread}

for tool in ncat socat; do
    command -v "$tool" >/dev/null || { echo "sockets/exec.sh: $tool is not installed" >&2; exit 1; }
done

cargo build --release --quiet
NETLAB="${CARGO_TARGET_DIR:-target}/release/netlab"

workspace exec-bench

port_netlab=$(free_port)
"$NETLAB" serve -q --port "$port_netlab" --model "$MODEL" --exec /bin/echo hi 2>"$tmp/netlab.log" &
pids+=($!)
port_ncat=$(free_port)
ncat -k -l 127.0.0.1 "$port_ncat" --exec "/bin/echo hi" 2>"$tmp/ncat.log" &
pids+=($!)
port_socat=$(free_port)
socat "TCP-LISTEN:$port_socat,bind=127.0.0.1,fork,reuseaddr,backlog=1024" EXEC:'/bin/echo hi' \
    2>"$tmp/socat.log" &
pids+=($!)
for port in "$port_netlab" "$port_ncat" "$port_socat"; do
    wait_listening "$port"
done

# Connections per second against 127.0.0.1:PORT (0 when the run failed).
measure() {
    local out
    if ! out=$("$NETLAB" bench tcp "127.0.0.1:$1" -c "$CONNS" -d "$DURATION" --expect 'hi\n' --json) ||
        ! python3 -c 'import json,sys; print("%.0f" % json.loads(sys.argv[1])["rate"])' "$out" 2>/dev/null; then
        echo "sockets/exec.sh: load on port $1 failed" >&2
        echo 0
    fi
}

declare -A rounds
for name in netlab ncat socat; do rounds[$name]=""; done
for round in $(seq "$ROUNDS"); do
    order="netlab ncat socat"
    (( round % 2 )) || order="socat ncat netlab"
    for name in $order; do
        port_var="port_$name"
        figure=$(measure "${!port_var}")
        echo "round $round: $name $figure connections/s" >&2
        rounds[$name]+=" $figure"
    done
done

# shellcheck disable=SC2086
netlab=$(median ${rounds[netlab]})
# shellcheck disable=SC2086
ncat=$(median ${rounds[ncat]})
# shellcheck disable=SC2086
socat=$(median ${rounds[socat]})
result_header
result "serve --exec /bin/echo hi (model $MODEL) vs ncat" "$netlab" "$ncat" conn/s 1.5
result "serve --exec /bin/echo hi (model $MODEL) vs socat" "$netlab" "$socat" conn/s 1.5
