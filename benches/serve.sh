#!/usr/bin/env bash
# Greeting connections per second: every `netlab serve --model` beside Python's socketserver
# (TCPServer, ThreadingTCPServer, ForkingTCPServer) and nginx's stream module, all under the same
# load generator in one run. Servers listen on free ports of 127.0.0.1. Not a test: it prints
# figures and ratios, and marks the issue's targets as met or missed.
#
#   benches/serve.sh                 # 5 s per server, 32 connections at once
#   DURATION=10s CONNS=64 benches/serve.sh
#   ONLY="poll nginx" benches/serve.sh
#
# The load generator: LOADGEN is a command line in which {addr} stands for HOST:PORT; it must
# connect, read to EOF and close as fast as it can, and print JSON with a "rate" field
# (connections per second). By default it is netlab's own `netlab bench tcp`.
#
# Targets (issue 3): serial >= 1.3x TCPServer, thread >= 2.5x ThreadingTCPServer,
# fork >= 8x ForkingTCPServer, pool (--workers 2) and poll >= 1.2x nginx (stream, 2 workers).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

DURATION=${DURATION:-5s}
CONNS=${CONNS:-32}
ONLY=${ONLY:-"serial python-serial thread python-thread fork python-fork pool poll nginx"}
NGINX_MODULE=${NGINX_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}
MESSAGE="Thank you for connecting"

cargo build --release --quiet
NETLAB="${CARGO_TARGET_DIR:-target}/release/netlab"
LOADGEN=${LOADGEN:-"$NETLAB bench tcp {addr} -c $CONNS -d $DURATION --json"}

workspace serve-bench

# Wait (at most 10 s) until FILE has a line matching REGEX; set ADDR to the first capture group.
wait_for() {
    local file=$1 regex=$2 line
    for _ in $(seq 200); do
        if [[ -f $file ]] && line=$(grep -E -m1 "$regex" "$file"); then
            [[ $line =~ $regex ]] && { ADDR=${BASH_REMATCH[1]}; return 0; }
        fi
        sleep 0.05
    done
    echo "no line matching /$regex/ in $file:" >&2
    cat "$file" >&2 || true
    return 1
}


# Start a server in the background (in this shell, so its pid is kept); set ADDR to HOST:PORT.
start() {
    local name=$1 log="$tmp/$1.log"
    case $name in
        serial | thread | pool | fork | poll)
            # pool runs 2 workers, as nginx runs 2 worker processes (the default of 8 serves more
            # long clients at once, but on 2 cores each extra sleeper costs a wake-up per client).
            local extra=()
            [ "$name" = pool ] && extra=(--workers 2)
            "$NETLAB" serve -q --port 0 --model "$name" "${extra[@]}" >/dev/null 2>"$log" &
            pids+=($!)
            wait_for "$log" 'listening on tcp://([0-9.:]+)'
            ;;
        python-*)
            local kind=${name#python-}
            python3 - "$kind" "$MESSAGE" >"$log" 2>&1 <<'PY' &
import socketserver, sys
kind, message = sys.argv[1], sys.argv[2].encode()
base = {"serial": socketserver.TCPServer,
        "thread": socketserver.ThreadingTCPServer,
        "fork": socketserver.ForkingTCPServer}[kind]
class Server(base):
    allow_reuse_address = True
    request_queue_size = 1024   # as netlab's --backlog default; Python's 5 would drop SYNs
class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(message)
server = Server(("127.0.0.1", 0), Handler)
print("listening on", "%s:%d" % server.server_address, flush=True)
server.serve_forever()
PY
            pids+=($!)
            wait_for "$log" 'listening on ([0-9.:]+)'
            ;;
        nginx)
            local port
            port=$(free_port)
            mkdir -p "$tmp/nginx"
            cat >"$tmp/nginx/nginx.conf" <<CONF
load_module $NGINX_MODULE;
worker_processes 2;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
stream {
    server {
        listen 127.0.0.1:$port backlog=1024;
        return "$MESSAGE";
    }
}
CONF
            nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" >/dev/null 2>"$log" &
            pids+=($!)
            for _ in $(seq 200); do
                (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
                sleep 0.05
            done
            ADDR="127.0.0.1:$port"
            ;;
    esac
}

# Run the load generator against ADDR; print connections per second.
measure() {
    local addr=$1 out
    local command=${LOADGEN//\{addr\}/$addr}
    if ! out=$($command) || ! python3 -c 'import json,sys; print("%.0f" % json.loads(sys.argv[1])["rate"])' "$out" 2>/dev/null; then
        echo "the load generator failed: $command" >&2
        echo "(set LOADGEN; see the top of benches/serve.sh)" >&2
        return 1
    fi
}

declare -A rate
for name in $ONLY; do
    start "$name"
    rate[$name]=$(measure "$ADDR")
    printf '%-14s %10s conn/s\n' "$name" "${rate[$name]}" >&2
    kill "${pids[-1]}" 2>/dev/null || true
    wait "${pids[-1]}" 2>/dev/null || true
done

echo
result_header
# One row per pair that ran: netlab's model beside its peer.
row() {
    local model=$1 peer=$2 label=$3 target=$4
    [[ -n ${rate[$model]:-} && -n ${rate[$peer]:-} ]] || return 0
    result "serve --model $model vs $label" "${rate[$model]}" "${rate[$peer]}" conn/s "$target"
}
row serial python-serial "TCPServer" 1.3
row thread python-thread "ThreadingTCPServer" 2.5
row fork python-fork "ForkingTCPServer" 8
row pool nginx "nginx stream" 1.2
row poll nginx "nginx stream" 1.2
