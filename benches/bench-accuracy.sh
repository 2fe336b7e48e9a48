#!/usr/bin/env bash
# Is `netlab bench http` a faithful load generator? It and wrk load the same server in one run,
# taking turns with the same threads and connections, and must agree within 15% on requests per
# second (issue 6). The server is nginx (2 workers, reuseport, access_log off) serving a 1 KiB
# file, or `netlab web --quiet` when nginx is not installed. The median of ROUNDS runs counts.
#
#   benches/bench-accuracy.sh                        # 5 s per run, 5 rounds, 32 connections
#   DURATION=10 ROUNDS=5 CONNS=64 benches/bench-accuracy.sh
#
# Other work on the machine moves both figures: they are measured alternately for that reason.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}

for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-accuracy.sh: $tool is not installed" >&2; exit 1; }
done
echo "building release ..." >&2
cargo build --release --quiet
netlab="$(realpath "${CARGO_TARGET_DIR:-target}")/release/netlab"

tmp=$(mktemp -d /tmp/netlab-bench-accuracy.XXXXXX)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/site" "$tmp/nginx"
head -c 1024 /dev/urandom >"$tmp/site/1k.bin"
chmod -R a+rX "$tmp" # nginx workers run as an unprivileged user

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if command -v nginx >/dev/null; then
    server="nginx (2 workers)"
    cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        # reuseport: the kernel spreads connections over both workers evenly; without it one
        # worker may take most of them in one run and not in the next, and the figures swing
        # by a third between runs of the same generator.
        listen 127.0.0.1:$port reuseport backlog=4096;
        root $tmp/site;
    }
}
EOF
    nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>>"$tmp/nginx/error.log" &
else
    server="netlab web --quiet (nginx is not installed)"
    "$netlab" --quiet web "$tmp/site" --port "$port" 2>"$tmp/web.log" &
fi
server_pid=$!
url="http://127.0.0.1:$port/1k.bin"
for _ in $(seq 100); do
    curl -fs -o /dev/null "$url" && break
    sleep 0.1
done
curl -fs -o /dev/null "$url" || { echo "bench-accuracy.sh: $server did not come up" >&2; exit 1; }

wrk_rate() {
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "$url" | awk '/Requests\/sec/ {print $2}'
}
netlab_rate() {
    "$netlab" bench http "$url" -c "$CONNS" --threads "$THREADS" -d "${DURATION}s" --json |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["rate"])'
}
median() { python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[1:])):.0f}")' "$@"; }

echo "$server, 1 KiB, keep-alive, -c $CONNS, $THREADS threads, ${DURATION}s per run, $ROUNDS rounds" >&2
ours=()
theirs=()
for round in $(seq "$ROUNDS"); do
    # Take turns, each going first every other round.
    if (( round % 2 )); then
        ours+=("$(netlab_rate)"); theirs+=("$(wrk_rate)")
    else
        theirs+=("$(wrk_rate)"); ours+=("$(netlab_rate)")
    fi
    echo "  round $round: netlab bench http ${ours[-1]} req/s, wrk ${theirs[-1]} req/s" >&2
done
n=$(median "${ours[@]}")
w=$(median "${theirs[@]}")

echo "bench http: $n req/s   wrk: $w req/s   (medians; $server)"
agree=$(python3 -c "r = $n / $w; print(f'yes ({r:.2f}x)' if 0.85 <= r <= 1.15 else f'NO ({r:.2f}x)')")
echo "agree within 15%: $agree"
result_header
# Within 15% both ways: two rows, one for each bound.
result "bench http req/s vs wrk (agree within 15%)" "$n" "$w" req/s 0.15 within
