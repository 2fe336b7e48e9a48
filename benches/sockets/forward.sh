#!/usr/bin/env bash
# Relay throughput: SIZE bytes of zeros sent by `netlab connect` through `netlab serve --forward`
# into a discard server (`netlab serve --discard`), beside the same bytes through socat's relay
# (`socat TCP-LISTEN:P,fork,reuseaddr TCP:127.0.0.1:Q`) into the same sink, and straight into the
# sink for context. The relays alternate, round by round, and each figure is the median of its
# rounds. Not a test: it prints figures and the ratio.
#
#   benches/sockets/forward.sh                  # 3 rounds of 1 GiB
#   SIZE=256M ROUNDS=5 benches/sockets/forward.sh
#   MODEL=fork benches/sockets/forward.sh       # the relay's --model (default thread)
#   NETLAB=target/debug/netlab benches/sockets/forward.sh   # skip the release build
#
# Target (issue 17): serve --forward >= 1.5x socat's relay.
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/lib.sh

SIZE=${SIZE:-1G}
ROUNDS=${ROUNDS:-3}
MODEL=${MODEL:-thread}
if [ -z "${NETLAB:-}" ]; then
    cargo build --release --quiet
    NETLAB="${CARGO_TARGET_DIR:-target}/release/netlab"
fi
command -v socat >/dev/null || { echo "socat is not installed" >&2; exit 1; }

workspace forward-bench

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

"$NETLAB" serve -q --port 0 --discard 2>"$tmp/sink.log" &
pids+=($!)
wait_for "$tmp/sink.log" 'listening on tcp://([0-9.:]+)'
SINK=$ADDR

"$NETLAB" serve -q --port 0 --model "$MODEL" --forward "$SINK" 2>"$tmp/relay.log" &
pids+=($!)
wait_for "$tmp/relay.log" 'listening on tcp://([0-9.:]+)'
RELAY=$ADDR

SOCAT_PORT=$(free_port)
socat "TCP-LISTEN:$SOCAT_PORT,bind=127.0.0.1,fork,reuseaddr" "TCP:$SINK" &
pids+=($!)
wait_listening "$SOCAT_PORT"
SOCAT="127.0.0.1:$SOCAT_PORT"

BYTES=$(python3 -c "
s='$SIZE'; units={'K':1<<10,'M':1<<20,'G':1<<30}
print(int(s[:-1])*units[s[-1]] if s[-1] in units else int(s))")

# Send SIZE zeros to ADDR through `netlab connect`; print GiB/s.
send() {
    local start end
    start=$(date +%s.%N)
    head -c "$SIZE" /dev/zero | "$NETLAB" connect -q "$1" >/dev/null
    end=$(date +%s.%N)
    python3 -c "print(f'{$BYTES / ($end - $start) / (1 << 30):.3f}')"
}

declare -A rounds
for round in $(seq "$ROUNDS"); do
    for name in netlab socat direct; do
        case $name in
            netlab) addr=$RELAY ;;
            socat) addr=$SOCAT ;;
            direct) addr=$SINK ;;
        esac
        figure=$(send "$addr")
        rounds[$name]="${rounds[$name]:-} $figure"
        printf 'round %s/%s  %-8s %8s GiB/s\n' "$round" "$ROUNDS" "$name" "$figure" >&2
    done
done

# shellcheck disable=SC2086 # the rounds' figures, one word each
netlab=$(median ${rounds[netlab]})
# shellcheck disable=SC2086
socat=$(median ${rounds[socat]})
# shellcheck disable=SC2086
direct=$(median ${rounds[direct]})

echo
echo "$SIZE through a relay into serve --discard, sent by netlab connect: the median of $ROUNDS rounds"
result_header
result "serve --forward (model $MODEL) vs socat relay" "$netlab" "$socat" GiB/s 1.5
result "serve --forward vs no relay (context)" "$netlab" "$direct" GiB/s -
