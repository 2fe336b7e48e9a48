#!/usr/bin/env bash
# Benchmark `netlab web` compressing on the fly against nginx with `gzip on`, in one run:
#
#   wrk -t2 -c32 on a 100 KiB HTML page with `Accept-Encoding: gzip`, keep-alive
#   (target: >= 5x nginx, which compresses every response again; netlab answers from its cache
#   of compressed forms)
#
# Both send the same coding: each answer is checked to be gzip before the rounds. netlab runs
# with --quiet (its access log is on by default; nginx runs with `access_log off`). nginx: 2
# workers, `gzip on; gzip_types text/html;` at its default level (1). Needs wrk, nginx, curl,
# python3. Usage: benches/web-sharing/compress.sh [SECONDS]   (wrk duration per round, default 5;
# ROUNDS=3 rounds each, alternating with nginx, median)
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/lib.sh

duration=${1:-5}
for tool in wrk nginx curl python3; do
    command -v "$tool" >/dev/null || { echo "web-sharing/compress.sh: $tool is not installed" >&2; exit 1; }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "building release ..." >&2
cargo build --release --quiet
netlab="${CARGO_TARGET_DIR:-target}/release/netlab"

workspace web-compress-bench

# 100 KiB of HTML that reads like a page (a table of varied rows), not one line repeated.
mkdir -p "$tmp/site"
python3 - "$tmp/site/page.html" <<'EOF'
import random, sys
random.seed(15)
words = "socket bind listen accept connect send recv close select poll epoll thread fork".split()
out = ["<!doctype html><html><head><title>netlab</title></head><body><table>"]
size = sum(map(len, out))
i = 0
while size < 100 * 1024:
    row = (f"<tr><td>{i}</td><td>{' '.join(random.choices(words, k=6))}</td>"
           f"<td>{random.randint(0, 10**9)}</td></tr>\n")
    out.append(row)
    size += len(row)
    i += 1
open(sys.argv[1], "w").write("".join(out)[:100 * 1024])
EOF
touch -d '1 hour ago' "$tmp/site/page.html" # settled: netlab keeps its compressed forms
chmod -R a+rX "$tmp" # nginx workers run as an unprivileged user

netlab_port=$(free_port)
"$netlab" --quiet web "$tmp/site" --port "$netlab_port" 2>"$tmp/netlab.log" &
pids+=($!)
wait_listening "$netlab_port"
nginx_port=$(free_port)
nginx_start "$tmp/site" "$nginx_port" "gzip on; gzip_types text/html;"

for port in "$netlab_port" "$nginx_port"; do
    coding=$(curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%header{content-encoding}' \
        "http://127.0.0.1:$port/page.html")
    [ "$coding" = gzip ] || { echo "web-sharing/compress.sh: port $port sent '$coding', not gzip" >&2; exit 1; }
done
gz_size=$(curl -s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$netlab_port/page.html" | wc -c)
nginx_gz_size=$(curl -s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$nginx_port/page.html" | wc -c)
echo "page: 102400 bytes; gzip: netlab $gz_size bytes, nginx $nginx_gz_size bytes" >&2

wrk_rps() {
    wrk -t2 -c32 -d"${duration}s" -H 'Accept-Encoding: gzip' "http://127.0.0.1:$1/page.html" |
        awk '/Requests\/sec/ {print $2}'
}

# Alternating rounds, a median each: this machine's speed drifts over seconds.
ROUNDS=${ROUNDS:-3}
echo "wrk -t2 -c32 -d${duration}s, 100 KiB HTML, gzip, $ROUNDS alternating rounds ..." >&2
ours=() theirs=()
for _ in $(seq "$ROUNDS"); do
    ours+=("$(wrk_rps "$netlab_port")")
    theirs+=("$(wrk_rps "$nginx_port")")
done

echo
echo "netlab web compression vs nginx gzip on ($(nproc) cores; netlab --quiet, nginx access_log off)"
result_header
result "web 100 KiB HTML gzip req/s vs nginx (wrk)" "$(printf '%.0f' "$(median "${ours[@]}")")" \
    "$(printf '%.0f' "$(median "${theirs[@]}")")" req/s 5
