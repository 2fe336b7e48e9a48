#!/usr/bin/env bash
# Greeting connections per second: every `netlab serve --model` beside Python's socketserver
# (TCPServer, ThreadingTCPServer, ForkingTCPServer) and nginx's stream module, all under the same
# load generator in one run. Servers listen on free ports of 127.0.0.1. Not a test: it prints
# figures and ratios, and marks the issue's targets as met or missed.
#
#   benches/serve.sh                 # 3 rounds of 3 s per server, 32 connections at once
#   DURATION=5s ROUNDS=5 CONNS=64 benches/serve.sh
#   ONLY="poll nginx" benches/serve.sh
#
# This VM's speed drifts over seconds, so the servers are measured in rounds — each round runs
# every server once, in turn — and each server's figure is the median of its rounds: no server
# gets all of a good (or bad) stretch.
#
# Two more rows put the fork figure in context (reported, no target): a bare C fork-per-connection
# server built here with cc (the ceiling for a dynamically linked process on this machine), and
# netlab built statically (RUSTFLAGS=-Ctarget-feature=+crt-static; fork copies fewer mappings),
# when the host is x86_64 Linux with glibc. STATIC=0 skips the static build.
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

DURATION=${DURATION:-3s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-32}
ONLY=${ONLY:-"serial python-serial thread python-thread fork python-fork c-fork fork-static pool poll nginx"}
NGINX_MODULE=${NGINX_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}
MESSAGE="Thank you for connecting"

cargo build --release --quiet
NETLAB="${CARGO_TARGET_DIR:-target}/release/netlab"
LOADGEN=${LOADGEN:-"$NETLAB bench tcp {addr} -c $CONNS -d $DURATION --json"}

workspace serve-bench

# The context rows' servers, built only when asked for and possible.
if [[ " $ONLY " == *" c-fork "* ]] && command -v cc >/dev/null; then
    cat >"$tmp/cfork.c" <<'C'
/* Fork per connection, as small as it gets: accept, fork, the child sends and exits. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    const char *msg = argv[1];
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) || listen(fd, 1024)) return 1;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    dprintf(2, "listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
    for (;;) {
        int conn = accept(fd, NULL, NULL);
        if (conn < 0) continue;
        if (fork() == 0) {
            close(fd);
            send(conn, msg, strlen(msg), MSG_MORE);
            close(conn);
            _exit(0);
        }
        close(conn);
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
    }
}
C
    cc -O2 -o "$tmp/cfork" "$tmp/cfork.c"
fi
STATIC_NETLAB=""
if [[ " $ONLY " == *" fork-static "* && ${STATIC:-1} != 0 && $(uname -m) == x86_64 ]] &&
    ldd --version 2>&1 | grep -qi 'gnu libc\|glibc'; then
    echo "building a static netlab for the context row ..." >&2
    if RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/static" \
        cargo build --release --quiet --target x86_64-unknown-linux-gnu; then
        STATIC_NETLAB="${CARGO_TARGET_DIR:-target}/static/x86_64-unknown-linux-gnu/release/netlab"
    fi
fi

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
        serial | thread | pool | fork | poll | fork-static)
            # pool runs 2 workers, as nginx runs 2 worker processes (the default of 8 serves more
            # long clients at once, but on 2 cores each extra sleeper costs a wake-up per client).
            local bin=$NETLAB model=$name extra=()
            [ "$name" = pool ] && extra=(--workers 2)
            [ "$name" = fork-static ] && { bin=$STATIC_NETLAB; model=fork; }
            "$bin" serve -q --port 0 --model "$model" "${extra[@]}" >/dev/null 2>"$log" &
            pids+=($!)
            wait_for "$log" 'listening on tcp://([0-9.:]+)'
            ;;
        c-fork)
            "$tmp/cfork" "$MESSAGE" 2>"$log" &
            pids+=($!)
            wait_for "$log" 'listening on ([0-9.:]+)'
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

declare -A rounds rate
for round in $(seq "$ROUNDS"); do
    for name in $ONLY; do
        case $name in
            c-fork) [ -x "$tmp/cfork" ] || continue ;;
            fork-static) [ -n "$STATIC_NETLAB" ] || continue ;;
        esac
        start "$name"
        figure=$(measure "$ADDR")
        rounds[$name]="${rounds[$name]:-} $figure"
        printf 'round %s/%s  %-14s %10s conn/s\n' "$round" "$ROUNDS" "$name" "$figure" >&2
        kill "${pids[-1]}" 2>/dev/null || true
        wait "${pids[-1]}" 2>/dev/null || true
    done
done
for name in "${!rounds[@]}"; do
    # shellcheck disable=SC2086 # the rounds' figures, one word each
    rate[$name]=$(printf '%.0f' "$(median ${rounds[$name]})")
done

echo
echo "greeting connections per second: the median of $ROUNDS rounds of $DURATION, $CONNS at once"
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
# Context for the fork figure, no targets.
if [[ -n ${rate[fork]:-} && -n ${rate[c-fork]:-} ]]; then
    result "serve --model fork vs a bare C fork server" "${rate[fork]}" "${rate[c-fork]}" conn/s -
fi
if [[ -n ${rate[fork-static]:-} && -n ${rate[python-fork]:-} ]]; then
    result "serve --model fork, static build, vs ForkingTCPServer" "${rate[fork-static]}" \
        "${rate[python-fork]}" conn/s -
fi
