#!/usr/bin/env bash
# Benchmark `netlab web` against nginx and `python3 -m http.server`, in one run, on the same files:
#
#   1. wrk -t2 -c32 on a 1 KiB file with keep-alive         (target: >= 1.3x nginx, >= 25x python)
#   2. curl of a 100 MiB file, bytes/s                        (target: >= 0.9x nginx)
#   3. peak RSS (VmHWM) holding 1000 idle keep-alive connections (reported; nginx: master + workers)
#
# netlab runs with --quiet: its access log is on by default and nginx runs with `access_log off`.
# nginx: 2 workers, sendfile on, access_log off. Needs wrk, nginx, curl, python3 (.ci/run installs
# them). Usage: benches/web.sh [SECONDS]   (wrk duration per round, default 5; ROUNDS=3 rounds
# each, alternating with nginx, median; CURL_ROUNDS=7 downloads each, likewise)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

duration=${1:-5}
for tool in wrk nginx curl python3; do
    command -v "$tool" >/dev/null || { echo "web.sh: $tool is not installed" >&2; exit 1; }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "building release ..." >&2
cargo build --release --quiet
netlab="${CARGO_TARGET_DIR:-target}/release/netlab"

workspace web-bench

mkdir -p "$tmp/site"
head -c 1024 /dev/urandom >"$tmp/site/1k.bin"
head -c $((100 << 20)) /dev/urandom >"$tmp/site/100m.bin"
chmod -R a+rX "$tmp" # nginx workers run as an unprivileged user


# Wait (bounded) until a URL answers.
wait_up() {
    for _ in $(seq 100); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "web.sh: $1 did not come up" >&2
    exit 1
}

start_netlab() {
    local port
    port=$(free_port)
    "$netlab" --quiet web "$tmp/site" --port "$port" 2>"$tmp/netlab.log" &
    pids+=($!)
    netlab_pid=$!
    netlab_url="http://127.0.0.1:$port"
    wait_up "$netlab_url/1k.bin"
}

start_nginx() {
    local port
    port=$(free_port)
    nginx_start "$tmp/site" "$port"
    nginx_url="http://127.0.0.1:$port"
    wait_up "$nginx_url/1k.bin"
}

start_python() {
    local port
    port=$(free_port)
    (cd "$tmp/site" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
    pids+=($!)
    python_pid=$!
    python_url="http://127.0.0.1:$port"
    wait_up "$python_url/1k.bin"
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Requests per second from wrk.
wrk_rps() {
    wrk -t2 -c32 -d"${duration}s" "$1/1k.bin" | awk '/Requests\/sec/ {print $2}'
}

# One 100 MiB download, in bytes per second.
curl_speed() {
    curl -s -o /dev/null -w '%{speed_download}' "$1/100m.bin"
}

# This machine's speed drifts over seconds: netlab and nginx are measured in alternating rounds
# and each gets the median of its rounds, so neither gets all the good (or bad) moments.
ROUNDS=${ROUNDS:-3}
CURL_ROUNDS=${CURL_ROUNDS:-7}
alternate() {
    local fn=$1 rounds=$2 ours=() theirs=()
    for _ in $(seq "$rounds"); do
        ours+=("$($fn "$netlab_url")")
        theirs+=("$($fn "$nginx_url")")
    done
    echo "$(median "${ours[@]}") $(median "${theirs[@]}")"
}

# Open 1000 keep-alive connections, one request each, hold them while $2 runs.
hold_1000() {
    python3 - "$1" "$2" <<'EOF'
import socket, subprocess, sys
url, then = sys.argv[1], sys.argv[2]
host, port = url.split("//")[1].split(":")
conns = []
for _ in range(1000):
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: bench\r\n\r\n")
    conns.append(s)
for s in conns:
    got = b""
    while b"\r\n\r\n" not in got or len(got) < got.index(b"\r\n\r\n") + 4 + 1024:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
print(subprocess.check_output(then, shell=True, text=True).strip())
EOF
}

echo "wrk -t2 -c32 -d${duration}s on 1 KiB, keep-alive, $ROUNDS alternating rounds ..." >&2
start_netlab
start_nginx
read -r netlab_rps nginx_rps < <(alternate wrk_rps "$ROUNDS")
start_python
python_rps=$(wrk_rps "$python_url")
stop "$python_pid"

echo "curl, 100 MiB ..." >&2
read -r netlab_speed nginx_speed < <(alternate curl_speed "$CURL_ROUNDS")
stop "$netlab_pid"
stop "$nginx_pid"

echo "peak RSS with 1000 idle keep-alive connections ..." >&2
start_netlab
netlab_rss=$(hold_1000 "$netlab_url" "awk '/VmHWM/ {print \$2}' /proc/$netlab_pid/status")
stop "$netlab_pid"
start_nginx
sleep 0.2 # let the master fork its workers
nginx_rss=$(hold_1000 "$nginx_url" "total=0; for p in $nginx_pid \$(pgrep -P $nginx_pid); do kb=\$(awk '/VmHWM/ {print \$2}' /proc/\$p/status); total=\$((total + kb)); done; echo \$total")
stop "$nginx_pid"

mib() { python3 -c "print(f'{$1 / 1048576:.1f}')"; }
echo
echo "netlab web vs peers ($(nproc) cores; netlab --quiet, nginx access_log off)"
result_header
result "web 1 KiB req/s vs nginx (wrk)" "$(printf '%.0f' "$netlab_rps")" "$(printf '%.0f' "$nginx_rps")" req/s 1.3
result "web 1 KiB req/s vs python3 http.server (wrk)" "$(printf '%.0f' "$netlab_rps")" "$(printf '%.0f' "$python_rps")" req/s 25
result "web 100 MiB download vs nginx (curl)" "$(mib "$netlab_speed")" "$(mib "$nginx_speed")" MiB/s 0.9
# Reported, no target: nginx's figure adds up its master and workers.
result "web peak RSS, 1000 idle conns vs nginx" "$(python3 -c "print(f'{$netlab_rss/1024:.1f}')")" \
    "$(python3 -c "print(f'{$nginx_rss/1024:.1f}')")" MiB - lower
