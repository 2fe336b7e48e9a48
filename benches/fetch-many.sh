#!/usr/bin/env bash
# Benchmark `netlab fetch` with many URLs beside curl: COUNT small files (1 KiB) from a local
# nginx in one invocation, each saved by name (`-O` for netlab, `--remote-name-all` for curl),
# both keeping one connection for all of them. hyperfine times each tool; the rounds alternate
# netlab and curl, and the medians of the rounds' medians are reported with netlab's ratio.
#
# Target (issue 16): >= 1.2x curl's speed with the same URL list on its command line.
#
# Usage: benches/fetch-many.sh [ROUNDS]   (default 3; each round is hyperfine --runs 5 per tool)
# Env:   NETLAB=path/to/netlab            (default: $CARGO_TARGET_DIR or target, release, built if missing)
#        COUNT=100                        (how many URLs)
#
# Other work on the same machine makes the numbers noisy: compare ratios from one run.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

rounds=${1:-3}
count=${COUNT:-100}

for tool in nginx curl hyperfine; do
    command -v "$tool" >/dev/null || { echo "fetch-many.sh: $tool is not installed" >&2; exit 1; }
done

netlab=${NETLAB:-${CARGO_TARGET_DIR:-target}/release/netlab}
if [ ! -x "$netlab" ]; then
    echo "fetch-many.sh: building $netlab (cargo build --release)" >&2
    cargo build --release --quiet
fi
netlab=$(realpath "$netlab")

workspace fetch-many
mkdir -p "$tmp/www" "$tmp/logs"
for i in $(seq "$count"); do head -c 1024 /dev/urandom >"$tmp/www/f$i.bin"; done
chmod -R a+rX "$tmp"

port=$(free_port)
cat >"$tmp/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$port;
        root $tmp/www;
    }
}
EOF
nginx -p "$tmp" -c "$tmp/nginx.conf" &
pids+=($!)
wait_listening "$port"

urls=()
for i in $(seq "$count"); do
    urls+=("http://127.0.0.1:$port/f$i.bin")
done
netlab_cmd="$netlab fetch -s -O --output-dir $tmp/out-netlab ${urls[*]}"
curl_cmd="curl -s --remote-name-all --output-dir $tmp/out-curl ${urls[*]}"

# One hyperfine of one command: its median in seconds.
timed() {
    local json="$tmp/hf.json"
    hyperfine -N --style none --warmup 1 --runs 5 --export-json "$json" \
        --prepare "sh -c 'rm -rf $2 && mkdir -p $2'" "$1" >"$tmp/hf.log" 2>&1 ||
        { echo "fetch-many.sh: failed: $1" >&2; tail -5 "$tmp/hf.log" >&2; exit 1; }
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$json"
}

netlab_times=()
curl_times=()
for _ in $(seq "$rounds"); do
    netlab_times+=("$(timed "$netlab_cmd" "$tmp/out-netlab")")
    curl_times+=("$(timed "$curl_cmd" "$tmp/out-curl")")
done
# Both saved every file whole.
for i in $(seq "$count"); do
    cmp -s "$tmp/www/f$i.bin" "$tmp/out-netlab/f$i.bin" || { echo "fetch-many.sh: netlab's f$i.bin differs" >&2; exit 1; }
    cmp -s "$tmp/www/f$i.bin" "$tmp/out-curl/f$i.bin" || { echo "fetch-many.sh: curl's f$i.bin differs" >&2; exit 1; }
done

netlab_s=$(median "${netlab_times[@]}")
curl_s=$(median "${curl_times[@]}")
# Files per second, so that a higher ratio is better.
netlab_rate=$(python3 -c "print(f'{$count / $netlab_s:.0f}')")
curl_rate=$(python3 -c "print(f'{$count / $curl_s:.0f}')")
result_header
result "fetch $count x 1 KiB, one invocation (-O)" "$netlab_rate" "$curl_rate" files/s 1.2
echo "medians: netlab ${netlab_s}s, curl ${curl_s}s (rounds: netlab ${netlab_times[*]}; curl ${curl_times[*]})"
