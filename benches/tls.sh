#!/usr/bin/env bash
# Benchmark `netlab web --tls-cert` against nginx with `ssl`, in one run, on the same 1 KiB file
# and the same ECDSA P-256 certificate (TLS 1.3 on both):
#
#   1. wrk -t2 -c32 over https with keep-alive, req/s          (target: >= 1.2x nginx)
#   2. wrk -t2 -c32 with `Connection: close`: new TLS
#      connections (full handshakes) per second                 (target: >= 1.0x nginx)
#   3. SIZE bytes (default 1G) from a file through one TLS connection, timed until the receiving
#      side has every byte: `connect --tls` into `serve --tls --discard` (its -v summary counts
#      them) vs `ncat --ssl` into `ncat --ssl -l | wc -c` and socat OPENSSL into
#      OPENSSL-LISTEN | wc -c, each count checked against SIZE   (target: >= 2x each)
#
# netlab runs with --quiet (its access log is on by default; nginx runs with `access_log off`).
# nginx: 2 workers, ssl_protocols TLSv1.3, session tickets off (wrk does not resume). Needs wrk,
# nginx, curl, openssl, python3 (.ci/run installs them). Usage: benches/tls.sh [SECONDS] (wrk
# duration per round, default 5; ROUNDS=3 rounds each, alternating with nginx, median).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

duration=${1:-5}
for tool in wrk nginx curl openssl python3 ncat socat; do
    command -v "$tool" >/dev/null || { echo "tls.sh: $tool is not installed" >&2; exit 1; }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "building release ..." >&2
cargo build --release --quiet
netlab="${CARGO_TARGET_DIR:-target}/release/netlab"

workspace tls-bench

mkdir -p "$tmp/site"
head -c 1024 /dev/urandom >"$tmp/site/1k.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 2>/dev/null
chmod -R a+rX "$tmp" # nginx workers run as an unprivileged user

# Wait (bounded) until a URL answers.
wait_up() {
    for _ in $(seq 100); do
        curl -sk -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "tls.sh: $1 did not come up" >&2
    exit 1
}

start_netlab() {
    local port
    port=$(free_port)
    "$netlab" --quiet web "$tmp/site" --port "$port" \
        --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" 2>"$tmp/netlab.log" &
    pids+=($!)
    netlab_pid=$!
    netlab_url="https://127.0.0.1:$port"
    wait_up "$netlab_url/1k.bin"
}

start_nginx() {
    local port
    port=$(free_port)
    mkdir -p "$tmp/nginx"
    cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $tmp/cert.pem;
        ssl_certificate_key $tmp/key.pem;
        ssl_protocols TLSv1.3;
        root $tmp/site;
    }
}
EOF
    nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2>>"$tmp/nginx/error.log" &
    pids+=($!)
    nginx_pid=$!
    nginx_url="https://127.0.0.1:$port"
    wait_up "$nginx_url/1k.bin"
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Requests per second from wrk, keep-alive.
wrk_rps() {
    wrk -t2 -c32 -d"${duration}s" "$1/1k.bin" | awk '/Requests\/sec/ {print $2}'
}

# Requests per second from wrk with a new connection (a full TLS handshake) for each.
wrk_close() {
    wrk -t2 -c32 -d"${duration}s" -H 'Connection: close' "$1/1k.bin" | awk '/Requests\/sec/ {print $2}'
}

# This machine's speed drifts over seconds: netlab and nginx are measured in alternating rounds
# and each gets the median of its rounds.
ROUNDS=${ROUNDS:-3}
alternate() {
    local fn=$1 rounds=$2 ours=() theirs=()
    for _ in $(seq "$rounds"); do
        ours+=("$($fn "$netlab_url")")
        theirs+=("$($fn "$nginx_url")")
    done
    echo "$(median "${ours[@]}") $(median "${theirs[@]}")"
}

start_netlab
start_nginx
echo "wrk -t2 -c32 -d${duration}s over TLS 1.3, keep-alive, $ROUNDS alternating rounds ..." >&2
read -r netlab_rps nginx_rps < <(alternate wrk_rps "$ROUNDS")
echo "wrk -t2 -c32 -d${duration}s over TLS 1.3, Connection: close ..." >&2
read -r netlab_new nginx_new < <(alternate wrk_close "$ROUNDS")
stop "$netlab_pid"
stop "$nginx_pid"

size=$(numfmt --from=iec "${SIZE:-1G}")
head -c "$size" /dev/urandom >"$tmp/blob"

# One transfer of the blob: "SECONDS BYTES-RECEIVED", timed from the client's start until the
# receiver has finished counting.
send_netlab() {
    local port pid t0
    port=$(free_port)
    "$netlab" serve --port "$port" --discard -v --tls-cert "$tmp/cert.pem" \
        --tls-key "$tmp/key.pem" 2>"$tmp/sink.log" &
    pid=$!
    wait_listening "$port"
    t0=$(date +%s.%N)
    "$netlab" connect --tls --cacert "$tmp/cert.pem" "127.0.0.1:$port" <"$tmp/blob" >/dev/null
    local t1
    t1=$(date +%s.%N)
    kill -INT "$pid"
    wait "$pid" || true
    echo "$(python3 -c "print($t1 - $t0)") $(grep -o 'exactly [0-9]* bytes in' "$tmp/sink.log" | awk '{print $2}')"
}
send_ncat() {
    local port pid t0
    port=$(free_port)
    (ncat --ssl -l "127.0.0.1" "$port" --ssl-cert "$tmp/cert.pem" --ssl-key "$tmp/key.pem" \
        | wc -c >"$tmp/count") &
    pid=$!
    wait_listening "$port"
    t0=$(date +%s.%N)
    # Either side may end on a TLS read error at the close: the count says what arrived.
    ncat --ssl --send-only 127.0.0.1 "$port" <"$tmp/blob" 2>/dev/null || true
    wait "$pid" || true
    echo "$(python3 -c "print($(date +%s.%N) - $t0)") $(cat "$tmp/count")"
}
send_socat() {
    local port pid t0
    port=$(free_port)
    (socat -u "OPENSSL-LISTEN:$port,bind=127.0.0.1,cert=$tmp/cert.pem,key=$tmp/key.pem,verify=0" - \
        | wc -c >"$tmp/count") &
    pid=$!
    wait_listening "$port"
    t0=$(date +%s.%N)
    socat -u - "OPENSSL:127.0.0.1:$port,verify=0" <"$tmp/blob" || true
    wait "$pid" || true
    echo "$(python3 -c "print($(date +%s.%N) - $t0)") $(cat "$tmp/count")"
}
# GiB/s of each round's transfer (median), saying when a receiver lost bytes.
declare -A gibs
echo "sending $size bytes over TLS, $ROUNDS alternating rounds ..." >&2
for tool in netlab ncat socat; do gibs[$tool]=""; done
for _ in $(seq "$ROUNDS"); do
    for tool in netlab ncat socat; do
        read -r seconds got < <("send_$tool")
        [ "$got" = "$size" ] || echo "tls.sh: $tool's receiver got ${got:-nothing} of $size bytes" >&2
        gibs[$tool]+=" $(python3 -c "print($size / $seconds / 2**30)")"
    done
done
for tool in netlab ncat socat; do
    # shellcheck disable=SC2086 # the rounds, one word each
    gibs[$tool]=$(median ${gibs[$tool]})
done

echo
echo "netlab web --tls vs nginx ssl ($(nproc) cores; ECDSA P-256, TLS 1.3; netlab --quiet, nginx access_log off)"
result_header
result "web --tls 1 KiB req/s vs nginx (wrk)" "$(printf '%.0f' "$netlab_rps")" "$(printf '%.0f' "$nginx_rps")" req/s 1.2
result "web --tls new connections/s vs nginx (wrk)" "$(printf '%.0f' "$netlab_new")" "$(printf '%.0f' "$nginx_new")" conn/s 1.0
result "connect --tls ${SIZE:-1G} vs ncat --ssl" "$(printf '%.2f' "${gibs[netlab]}")" "$(printf '%.2f' "${gibs[ncat]}")" GiB/s 2
result "connect --tls ${SIZE:-1G} vs socat OPENSSL" "$(printf '%.2f' "${gibs[netlab]}")" "$(printf '%.2f' "${gibs[socat]}")" GiB/s 2
