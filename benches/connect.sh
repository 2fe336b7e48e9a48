#!/usr/bin/env bash
# Bulk throughput on loopback, in one run:
#   - `netlab connect` beside OpenBSD `nc -N`, sending SIZE bytes into the same
#     `netlab serve --discard`, with stdin a pipe and with stdin a file;
#   - `netlab serve --discard` beside `socat -u TCP-LISTEN:… /dev/null` as a sink, fed by the same
#     client (nc);
#   - iperf3 on loopback, as the ceiling.
# Not a test: it prints figures and ratios, and marks the issue's targets as met or missed.
#
#   benches/connect.sh               # 1 GiB, best of 3 rounds each
#   SIZE=256M RUNS=5 benches/connect.sh
#
# Targets (issue 3): connect >= 1.2x nc with stdin a pipe, >= 1.0x with stdin a file;
# serve --discard at least as fast as socat as a sink.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

SIZE=${SIZE:-1G}
RUNS=${RUNS:-3}

cargo build --release --quiet
NETLAB="${CARGO_TARGET_DIR:-target}/release/netlab"
for tool in nc socat iperf3 python3; do
    command -v "$tool" >/dev/null || { echo "benches/connect.sh needs $tool (see .ci/run)" >&2; exit 1; }
done

workspace connect-bench

bytes=$(python3 -c "
import sys; s=sys.argv[1].upper(); m={'K':1<<10,'M':1<<20,'G':1<<30}
print(int(s[:-1])*m[s[-1]] if s[-1] in m else int(s))" "$SIZE")
file="$tmp/payload"
head -c "$bytes" /dev/zero >"$file"

# Wait (at most 10 s) until FILE has a line matching REGEX; set PORT to the first capture group.
wait_for() {
    local file=$1 regex=$2 line
    for _ in $(seq 200); do
        if [[ -f $file ]] && line=$(grep -E -m1 "$regex" "$file"); then
            [[ $line =~ $regex ]] && { PORT=${BASH_REMATCH[1]}; return 0; }
        fi
        sleep 0.05
    done
    echo "no line matching /$regex/ in $file" >&2
    return 1
}

# Seconds taken by a shell command.
seconds() {
    local start end
    start=$(date +%s.%N)
    bash -c "$1"
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

# The sink every client sends to.
"$NETLAB" serve -q --discard --port 0 --model thread >/dev/null 2>"$tmp/sink.log" &
pids+=($!)
wait_for "$tmp/sink.log" 'listening on tcp://127\.0\.0\.1:([0-9]+)'
sink=$PORT

# The cases, run in rounds (each round runs every case once, in turn, so a slow stretch of this
# VM falls on all of them alike); each case keeps its best (shortest) time, as GiB/s.
declare -A case=(
    [connect-pipe]="head -c $bytes /dev/zero | '$NETLAB' connect 127.0.0.1:$sink"
    [nc-pipe]="head -c $bytes /dev/zero | nc -N 127.0.0.1 $sink"
    [connect-file]="'$NETLAB' connect 127.0.0.1:$sink < '$file'"
    [nc-file]="nc -N 127.0.0.1 $sink < '$file'"
)
declare -A best rate
for _ in $(seq "$RUNS"); do
    for name in connect-pipe nc-pipe connect-file nc-file; do
        t=$(seconds "${case[$name]}")
        if [[ -z ${best[$name]:-} ]] || (($(echo "$t < ${best[$name]}" | bc -l))); then
            best[$name]=$t
        fi
    done
done
for name in "${!best[@]}"; do
    rate[$name]=$(echo "$bytes / ${best[$name]} / 1073741824" | bc -l)
done
# nc into netlab's sink is the sink's figure, beside socat's below.
rate[sink-netlab]=${rate[nc-file]}

# socat as the sink: one connection per socat, so a fresh one per run.
socat_run() {
    socat -d -d -u TCP-LISTEN:0,bind=127.0.0.1 /dev/null 2>"$tmp/socat.log" &
    local pid=$!
    wait_for "$tmp/socat.log" 'listening on AF=2 127\.0\.0\.1:([0-9]+)'
    local start end
    start=$(date +%s.%N)
    nc -N 127.0.0.1 "$PORT" <"$file"
    wait "$pid" || true
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
best=""
for _ in $(seq "$RUNS"); do
    t=$(socat_run)
    if [[ -z $best ]] || (($(echo "$t < $best" | bc -l))); then best=$t; fi
done
rate[sink-socat]=$(echo "$bytes / $best / 1073741824" | bc -l)

# iperf3 on loopback: the ceiling.
iperf_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
iperf3 -s -1 -B 127.0.0.1 -p "$iperf_port" >/dev/null 2>&1 &
pids+=($!)
# Wait for the listening socket without connecting to it: a probe connection would take
# iperf3's one test (-1).
wait_listening "$iperf_port"
rate[iperf3]=$(iperf3 -c 127.0.0.1 -p "$iperf_port" -n "$bytes" -J 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8 / 2**30)' ||
    echo 0)

gib() { printf '%.2f' "$1"; }
echo
echo "$SIZE over loopback, best of $RUNS (GiB/s):"
result_header
result "connect, stdin a pipe, vs nc -N" "$(gib "${rate[connect-pipe]}")" "$(gib "${rate[nc-pipe]}")" GiB/s 1.2
result "connect, stdin a file, vs nc -N" "$(gib "${rate[connect-file]}")" "$(gib "${rate[nc-file]}")" GiB/s 1.0
result "serve --discard as a sink vs socat -u" "$(gib "${rate[sink-netlab]}")" "$(gib "${rate[sink-socat]}")" GiB/s 1.0
# The ceiling, for scale: no target (and no row when iperf3 gave no figure).
if [ "$(gib "${rate[iperf3]}")" != 0.00 ]; then
    result "connect (pipe) vs iperf3, loopback ceiling" "$(gib "${rate[connect-pipe]}")" "$(gib "${rate[iperf3]}")" GiB/s -
fi
