#!/usr/bin/env bash
# Chat fan-out: CLIENTS clients (100) each send LINES lines (1,000) of 100 bytes into one room, and
# every client reads what the others sent: `netlab serve --chat --model poll` beside
# `ncat --broker -l` (which relays bytes as they are, without names), in alternating rounds.
# The figure is delivered bytes per second (every byte the clients read, names included), and
# delivered lines per second beside it (netlab's lines are longer by the sender's name, so the
# line rate is the fairer comparison); peak RSS of each server comes from /usr/bin/time -v.
# Not a test: it prints figures and ratios.
#
#   benches/sockets/chat.sh                   # 3 rounds
#   ROUNDS=1 CLIENTS=50 LINES=500 benches/sockets/chat.sh
#
# The client is one python3 process driving every socket through selectors: it connects them
# all, waits until the last one's "sync" line has reached every other (so the server has them
# all in the room), then all send and read at once until each has read every line meant for it.
#
# Target (issue 17): delivered bytes per second >= 1.5x ncat --broker, memory bounded.
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/lib.sh

ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-100}
LINES=${LINES:-1000}

cargo build --release --quiet
NETLAB="${CARGO_TARGET_DIR:-target}/release/netlab"
command -v ncat >/dev/null || { echo "ncat is not installed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is not installed (Debian: time)" >&2; exit 1; }

workspace sockets-chat

cat >"$tmp/clients.py" <<'PY'
import selectors, socket, sys, time

port, n, lines, notices = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
payload = b"x" * 99 + b"\n"
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    socks.append(s)
# The last client's sync line reaches every other once the server holds them all.
socks[-1].sendall(b"sync\n")
# Client i reads: the joins of the clients after it (netlab), the sync line (all but the last),
# then every other client's lines.
expect = []
for i in range(n):
    e = (n - 1) * lines + (1 if i < n - 1 else 0)
    if notices:
        e += n - 1 - i
    expect.append(e)
pre = [0] * n
for i, s in enumerate(socks[:-1]):
    want = (n - 1 - i if notices else 0) + 1
    buf = b""
    while buf.count(b"\n") < want:
        buf += s.recv(65536)
    pre[i] = buf.count(b"\n")
    expect[i] -= pre[i]
    assert buf.endswith(b"\n"), buf[-80:]
start = time.monotonic()
sel = selectors.DefaultSelector()
out = [payload * lines for _ in range(n)]
got_lines = [0] * n
got_bytes = 0
buf = bytearray(1 << 20)
for i, s in enumerate(socks):
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, i)
left = sum(1 for e in expect if e > 0)
while left:
    events = sel.select(timeout=30)
    if not events:
        sys.exit(f"no progress for 30 s; lines read {got_lines[:5]}…, expected {expect[:5]}…")
    for key, ev in events:
        i, s = key.data, key.fileobj
        if ev & selectors.EVENT_WRITE and out[i]:
            try:
                sent = s.send(out[i][:65536])
                out[i] = out[i][sent:]
            except BlockingIOError:
                pass
            if not out[i]:
                sel.modify(s, selectors.EVENT_READ, i)
        if ev & selectors.EVENT_READ:
            try:
                got = s.recv_into(buf)
            except BlockingIOError:
                continue
            if not got:
                sys.exit(f"client {i}: the server closed it")
            before = got_lines[i] < expect[i]
            got_lines[i] += buf.count(b"\n", 0, got)
            got_bytes += got
            if before and got_lines[i] >= expect[i]:
                left -= 1
elapsed = time.monotonic() - start
print(f"{got_bytes / elapsed:.0f} {sum(got_lines) / elapsed:.0f} {got_bytes} {elapsed:.3f}")
PY

# run NAME NOTICES COMMAND…: start the server under /usr/bin/time, drive it, print
# "bytes/s lines/s peak-KiB".
run() {
    local name=$1 notices=$2 port
    shift 2
    port=$(free_port)
    local cmd=("${@//\{port\}/$port}")
    /usr/bin/time -v -o "$tmp/$name.time" "${cmd[@]}" >/dev/null 2>"$tmp/$name.log" &
    local pid=$!
    pids+=("$pid")
    wait_listening "$port"
    local figures
    figures=$(python3 "$tmp/clients.py" "$port" "$CLIENTS" "$LINES" "$notices")
    # The server is /usr/bin/time's child: stopping it lets time report.
    local server
    server=$(pgrep -P "$pid" | head -1)
    kill -TERM "${server:-$pid}" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local rss
    rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$tmp/$name.time")
    echo "$figures $rss"
}

declare -A bps lps rss
prev=0
for round in $(seq "$ROUNDS"); do
    for server in netlab ncat; do
        case $server in
            netlab) line=$(run netlab 1 "$NETLAB" serve --chat --model poll --port '{port}' -q) ;;
            ncat) line=$(run ncat 0 ncat --broker -l 127.0.0.1 '{port}') ;;
        esac
        read -r b l total secs kib <<<"$line"
        echo "round $round $server: $b bytes/s, $l lines/s ($total bytes in ${secs}s), peak RSS ${kib} KiB" >&2
        [ "$server" = ncat ] && echo "round $round: netlab/ncat $(python3 -c "print(f'{$prev/$b:.2f}')")x bytes/s" >&2
        prev=$b
        bps[$server]+="$b "
        lps[$server]+="$l "
        rss[$server]=$(python3 -c "print(max(${rss[$server]:-0}, $kib))")
    done
done

# shellcheck disable=SC2086
{
    result_header
    result "chat fan-out, delivered bytes/s (${CLIENTS}x${LINES})" \
        "$(median ${bps[netlab]})" "$(median ${bps[ncat]})" "B/s" 1.5
    result "chat fan-out, delivered lines/s" \
        "$(median ${lps[netlab]})" "$(median ${lps[ncat]})" "lines/s" -
    result "chat fan-out, peak RSS" "${rss[netlab]}" "${rss[ncat]}" "KiB" -
}
