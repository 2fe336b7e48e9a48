#!/usr/bin/env bash
# Benchmark `netlab fetch` beside curl: 10 MiB and 1 GiB from a local nginx (sendfile on, a free
# port on 127.0.0.1), each to /dev/null and to a file, in the same run. Prints the median wall
# time, throughput and lowest peak RSS (/usr/bin/time -v) of each, and netlab's ratios to curl.
#
# Targets (issue 5): throughput >= 1.0x curl; peak RSS no higher than curl's, for both sizes.
#
# Usage: benches/fetch.sh [RUNS]        (RUNS per case, default 5; the median counts)
# Env:   NETLAB=path/to/netlab          (default: $CARGO_TARGET_DIR or target, release, built if missing)
#        SIZES="10M 1G"                 (sizes to test, as `truncate -s` takes them)
#
# Other work on the same machine makes the numbers noisy: compare runs made side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

runs=${1:-5}
sizes=${SIZES:-"10M 1G"}

for tool in nginx curl /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "fetch.sh: $tool is not installed" >&2; exit 1; }
done

netlab=${NETLAB:-${CARGO_TARGET_DIR:-target}/release/netlab}
if [ ! -x "$netlab" ]; then
    echo "fetch.sh: building $netlab (cargo build --release)" >&2
    cargo build --release --quiet
fi
netlab=$(realpath "$netlab")

work=$(mktemp -d /tmp/netlab-fetch-bench.XXXXXX)
nginx_pid=
cleanup() {
    if [ -n "$nginx_pid" ]; then kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The files nginx serves: sparse, so no disk is read; nginx's workers must be able to read them.
mkdir -p "$work/www" "$work/out" "$work/logs"
for size in $sizes; do truncate -s "$size" "$work/www/$size.bin"; done
chmod -R a+rX "$work"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$port;
        root $work/www;
    }
}
EOF
nginx -p "$work" -c "$work/nginx.conf" &
nginx_pid=$!

# Wait (bounded: 10 s) until nginx answers.
for _ in $(seq 100); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/${sizes%% *}.bin" 2>/dev/null; then break; fi
    sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/${sizes%% *}.bin" || { echo "fetch.sh: nginx did not start" >&2; cat "$work/logs/error.log" >&2; exit 1; }

# One measured run: prints "seconds max_rss_kib". Wall time in nanoseconds around the run
# (time -v only has 10 ms steps); peak RSS from time -v.
measure() {
    local stats="$work/time.txt" start end
    start=$(date +%s%N)
    /usr/bin/time -v -o "$stats" "$@" >/dev/null 2>"$work/stderr.txt" || {
        echo "fetch.sh: failed: $*" >&2; cat "$work/stderr.txt" >&2; exit 1
    }
    end=$(date +%s%N)
    awk -F': ' -v ns=$((end - start)) '
        /Maximum resident set size/ { rss = $2 }
        END { printf "%.4f %d\n", ns / 1e9, rss }' "$stats"
}

declare -A times best_time best_rss
# One run of one tool: record its time and keep its lowest peak RSS.
run_case() {
    local size=$1 dest=$2 tool=$3 url=$4 out key secs rss got want
    key="$size/$dest/$tool"
    if [ "$dest" = devnull ]; then out=/dev/null; else out="$work/out/$tool.bin"; fi
    if [ "$tool" = netlab ]; then
        read -r secs rss < <(measure "$netlab" -q fetch --no-progress -o "$out" "$url")
    else
        read -r secs rss < <(measure curl -s -o "$out" "$url")
    fi
    if [ "$dest" = file ]; then
        got=$(stat -c %s "$out"); want=$(stat -c %s "$work/www/$size.bin")
        [ "$got" = "$want" ] || { echo "fetch.sh: $tool wrote $got bytes, not $want" >&2; exit 1; }
        rm -f "$out"
        sync
    fi
    times[$key]="${times[$key]:-} $secs"
    best_rss[$key]=$(( rss < ${best_rss[$key]:-999999999} ? rss : ${best_rss[$key]:-999999999} ))
}

for size in $sizes; do
    url="http://127.0.0.1:$port/$size.bin"
    for dest in devnull file; do
        # The tools take turns, so cache and writeback effects fall on both alike.
        for i in $(seq "$runs"); do
            if (( i % 2 )); then order="netlab curl"; else order="curl netlab"; fi
            for tool in $order; do run_case "$size" "$dest" "$tool" "$url"; done
        done
    done
done

# Each case's time is the median of its runs: one lucky run (this VM's speed drifts) does not
# decide a ratio.
for key in "${!times[@]}"; do
    # shellcheck disable=SC2086 # the runs' times, one word each
    best_time[$key]=$(median ${times[$key]})
done
printf '\nnetlab fetch vs curl — nginx on 127.0.0.1, median of %s runs (peak RSS: the lowest)\n\n' "$runs"
printf '%-5s %-9s %-7s %10s %12s %12s\n' size to tool seconds MiB/s "peak RSS KiB"
for size in $sizes; do
    bytes=$(stat -c %s "$work/www/$size.bin")
    for dest in devnull file; do
        for tool in netlab curl; do
            key="$size/$dest/$tool"
            mibs=$(awk -v b="$bytes" -v s="${best_time[$key]}" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1048576 : 0) }')
            label=$([ "$dest" = devnull ] && echo /dev/null || echo file)
            printf '%-5s %-9s %-7s %10s %12s %12s\n' "$size" "$label" "$tool" "${best_time[$key]}" "$mibs" "${best_rss[$key]}"
        done
    done
done

# One row per case: throughput (higher is better) and peak RSS (lower is better) beside curl.
mibs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1048576 : 0) }'; }
printf '\n'
result_header
for size in $sizes; do
    bytes=$(stat -c %s "$work/www/$size.bin")
    for dest in devnull file; do
        n="$size/$dest/netlab"; c="$size/$dest/curl"
        label=$([ "$dest" = devnull ] && echo /dev/null || echo file)
        result "fetch $size to $label, MiB/s vs curl" "$(mibs "$bytes" "${best_time[$n]}")" "$(mibs "$bytes" "${best_time[$c]}")" MiB/s 1.0
        result "fetch $size to $label, peak RSS vs curl" "${best_rss[$n]}" "${best_rss[$c]}" KiB 1.0 lower
    done
done
