#!/usr/bin/env bash
# Hostile load against the real binary, on loopback only, bounded in time (about three minutes
# with the default 10-second attacks). One command runs it all:
#
#   benches/hostile.sh [SECONDS]        # length of each slowhttptest attack, default 10
#   NETLAB=target/debug/netlab benches/hostile.sh   # use a binary already built
#
# For each attack it prints what a normal client saw meanwhile (curl in a loop, one request
# every 0.2 s with a 5 s limit: requests answered / tried and the worst latency) and the server's
# resources before and after (threads, open descriptors, RSS and child processes, from /proc).
#
#   1-4. slowhttptest against `netlab web`: slowloris (slow headers), slow body (R-U-Dead-Yet),
#        slow read, range attack ("Apache killer"); 500 attacking connections each, which is
#        under the default --max-conns 1024 (over it, the limit answers: see 5).
#   1b.  slowloris over the limit, three runs of `slowhttptest -H -c 5000 -r 1000 -i 5` (30 s
#        each, whatever SECONDS says) against the default --max-conns 1024, a normal curl -m 3
#        once a second: at the limit, web evicts the connection that has waited longest for a
#        request head, so every normal request should be answered.
#   5.   a flood of connections beyond --max-conns on `web` (and `serve`, once it exists):
#        the ones over the limit are refused at once, the server stays up and recovers.
#   6.   descriptors run out (`ulimit -n 64`): a clear log line, no crash, service resumes when
#        descriptors come free.
#   7.   10,000 connections opened and closed, twice: threads, descriptors, children and RSS
#        return to where they started.
#
# Needs slowhttptest, curl and python3 (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

attack=${1:-10}
for tool in slowhttptest curl python3; do
    command -v "$tool" >/dev/null || { echo "hostile.sh: $tool is not installed" >&2; exit 1; }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [ -z "${NETLAB:-}" ]; then
    echo "building release ..." >&2
    cargo build --release --quiet
    NETLAB="${CARGO_TARGET_DIR:-target}/release/netlab"
fi

workspace hostile

mkdir -p "$tmp/site"
echo "hello" >"$tmp/site/index.html"
head -c $((1 << 20)) /dev/urandom >"$tmp/site/big.bin"

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

# start NAME ARGS...: start a netlab server, wait (bounded) for its first line; sets $pid, $addr.
start() {
    local name=$1
    shift
    local log="$tmp/$name.log"
    "$NETLAB" "$@" --port 0 2>"$log" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 200); do
        if grep -q "listening on" "$log" 2>/dev/null; then
            addr=$(sed -n '1s/.*listening on [a-z]*:\/\/\([^/ ]*\).*/\1/p' "$log")
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "hostile.sh: $name did not start:" >&2
    cat "$log" >&2
    return 1
}

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# resources PID: threads, descriptors, RSS and children of a process.
resources() {
    local p=$1
    if [ ! -d "/proc/$p" ]; then
        echo "process gone"
        return
    fi
    local threads fds rss kids
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$p/status")
    fds=$(ls "/proc/$p/fd" | wc -l)
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")
    kids=$(pgrep -P "$p" | wc -l || true)
    echo "threads=$threads fds=$fds rss=${rss}KiB children=$kids"
}

threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# settle PID THREADS: wait (at most 20 s) until the thread count is back to THREADS.
settle() {
    for _ in $(seq 200); do
        [ "$(threads_of "$1")" -le "$2" ] && return 0
        sleep 0.1
    done
}

# probe URL SECONDS OUT [EVERY [LIMIT]]: a normal client in the background, one request every
# EVERY seconds (default 0.2), each given LIMIT seconds (default 5).
probe() {
    local url=$1 secs=$2 out=$3 every=${4:-0.2} limit=${5:-5}
    : >"$out"
    (
        end=$((SECONDS + secs))
        while [ "$SECONDS" -lt "$end" ]; do
            # curl prints the status (000: no answer) and time even when it fails.
            line=$(curl -s -o /dev/null --max-time "$limit" -w '%{http_code} %{time_total}' "$url" || true)
            echo "${line:-000 $limit}" >>"$out"
            sleep "$every"
        done
    ) &
    probe_pid=$!
}

# seen OUT [LABEL]: "answered/tried, worst latency" (and how the others were answered).
seen() {
    awk -v label="${2:-normal client}" '
        { n++; if ($1 == 200) ok++; else other[$1]++; if ($2 > worst) worst = $2 }
        END {
            printf "%s: %d/%d answered 200, worst latency %.3f s", label, ok, n, worst
            for (code in other) printf ", %d got %s", other[code], (code == "000" ? "no answer" : code)
            printf "\n"
        }' "$1"
}

# A Python helper for clients that hold, flood and churn connections (all to loopback).
cat >"$tmp/clients.py" <<'EOF'
import select, socket, sys, threading, time

def hold(host, port, n, secs, request):
    """Open n connections (send `request` on each), wait secs, report what each got, close."""
    socks, refused, failed = [], 0, 0
    for _ in range(n):
        try:
            s = socket.create_connection((host, port), timeout=2)
            if request:
                s.sendall(request.encode())
            socks.append(s)
        except OSError:
            failed += 1
    time.sleep(secs)
    answered_503 = held = closed = 0
    readable = set(select.select(socks, [], [], 0)[0]) if socks else set()
    for s in socks:
        if s not in readable:
            held += 1
            continue
        try:
            data = s.recv(64)
        except OSError:
            data = b""
        if data.startswith(b"HTTP/1.1 503"):
            answered_503 += 1
        elif data == b"":
            closed += 1
        else:
            held += 1
    print(f"{n} connections: {held} held by the server, {answered_503} answered 503, "
          f"{closed} closed without a word, {failed} could not connect")
    sys.stdout.flush()
    if len(sys.argv) > 6:
        # Keep holding until stdin closes (the script says when).
        sys.stdin.read()
    for s in socks:
        s.close()

def churn(host, port, total, workers, request):
    """Open and close `total` connections, `workers` at a time; each sends `request` (if any)
    and reads to the end."""
    done = [0, 0]
    lock = threading.Lock()
    def work(count):
        ok = bad = 0
        for _ in range(count):
            try:
                with socket.create_connection((host, port), timeout=10) as s:
                    if request:
                        s.sendall(request.encode())
                    while s.recv(65536):
                        pass
                ok += 1
            except OSError:
                bad += 1
        with lock:
            done[0] += ok
            done[1] += bad
    threads = [threading.Thread(target=work, args=(total // workers,)) for _ in range(workers)]
    start = time.time()
    for t in threads: t.start()
    for t in threads: t.join()
    print(f"{done[0]} connections completed, {done[1]} failed, in {time.time() - start:.1f} s")

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
request = "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
if mode == "hold":
    hold(host, port, int(sys.argv[4]), float(sys.argv[5]), "")
elif mode == "churn-http":
    churn(host, port, int(sys.argv[4]), 8, request)
elif mode == "churn-tcp":
    churn(host, port, int(sys.argv[4]), 8, "")
EOF

section() { printf '\n== %s\n' "$1"; }

# ---------------------------------------------------------------------------------------------
# 1-4: slowhttptest against web
# ---------------------------------------------------------------------------------------------

slow() {
    local title=$1 target=$2
    shift 2
    section "$title"
    start web web "$tmp/site" --quiet
    local url="http://$addr"
    local before
    before=$(threads_of "$pid")
    echo "before: $(resources "$pid")"
    probe "$url/index.html" "$attack" "$tmp/probe"
    slowhttptest "$@" -l "$attack" -u "$url$target" -p 3 >"$tmp/slow.out" 2>&1 || true
    wait "$probe_pid" || true
    echo "during: $(sed 's/\x1b\[[0-9;]*[a-zA-Z]//g' "$tmp/slow.out" | grep -E 'closed:|pending:|connected:|error:|service available:' | tail -5 | tr -s ' \t\n' ' ')"
    echo "at the end of the attack: $(resources "$pid")"
    seen "$tmp/probe"
    settle "$pid" "$before"
    echo "after: $(resources "$pid")"
    stop "$pid"
}

slow "1. slowloris (slow headers), 500 connections" /index.html -H -c 500 -r 250 -i 2 -x 24
slow "2. slow body (R-U-Dead-Yet), 500 connections" /index.html -B -c 500 -r 250 -i 2 -s 65536
slow "3. slow read, 500 connections" /big.bin -X -c 500 -r 250 -w 512 -y 1024 -n 2 -z 32 -k 2
slow "4. range attack (Apache killer), 500 connections" /big.bin -R -c 500 -r 250 -a 10 -b 3000

# ---------------------------------------------------------------------------------------------
# 1b: slowloris over --max-conns
# ---------------------------------------------------------------------------------------------

for run in 1 2 3; do
    section "1b. slowloris over --max-conns: 5,000 connections against 1,024, 30 s, run $run of 3"
    start web web "$tmp/site" --quiet
    before=$(threads_of "$pid")
    echo "before: $(resources "$pid")"
    probe "http://$addr/index.html" 30 "$tmp/probe" 1 3
    slowhttptest -H -c 5000 -r 1000 -i 5 -l 30 -u "http://$addr/index.html" -p 3 \
        >"$tmp/slow.out" 2>&1 || true
    wait "$probe_pid" || true
    echo "during: $(sed 's/\x1b\[[0-9;]*[a-zA-Z]//g' "$tmp/slow.out" | grep -E 'closed:|pending:|connected:|error:|service available:' | tail -5 | tr -s ' \t\n' ' ')"
    echo "at the end of the attack: $(resources "$pid")"
    seen "$tmp/probe" "normal client (curl -m 3, once a second)"
    settle "$pid" "$before"
    echo "after: $(resources "$pid")"
    stop "$pid"
done

# ---------------------------------------------------------------------------------------------
# 5: beyond --max-conns
# ---------------------------------------------------------------------------------------------

section "5a. web: 400 connections held open for 3 s against --max-conns 100"
start web web "$tmp/site" --quiet --max-conns 100
before=$(threads_of "$pid")
echo "before: $(resources "$pid")"
python3 "$tmp/clients.py" hold "${addr%:*}" "${addr##*:}" 400 3 &
flood=$!
sleep 0.5
probe "http://$addr/index.html" 2 "$tmp/probe"
wait "$probe_pid" || true
echo "during: $(resources "$pid")"
seen "$tmp/probe" "normal client during the flood (the held connections sent no head: evicted)"
wait "$flood" || true
settle "$pid" "$before"
echo "after: $(resources "$pid")"
probe "http://$addr/index.html" 2 "$tmp/probe"
wait "$probe_pid" || true
seen "$tmp/probe" "normal client after the flood"
stop "$pid"

section "5b. serve: 400 connections held open against --max-conns 100"
if start serve serve --echo --max-conns 100 2>/dev/null; then
    before=$(threads_of "$pid")
    echo "before: $(resources "$pid")"
    python3 "$tmp/clients.py" hold "${addr%:*}" "${addr##*:}" 400 2
    settle "$pid" "$before"
    echo "after: $(resources "$pid")"
    reply=$(printf 'ping\n' | timeout 5 "$NETLAB" connect --idle-timeout 2s "$addr" 2>/dev/null || true)
    echo "after the flood, a new client: ${reply:-no answer}"
    stop "$pid"
else
    echo "skipped: netlab serve does not start here (not implemented yet?)"
fi

# ---------------------------------------------------------------------------------------------
# 6: out of descriptors
# ---------------------------------------------------------------------------------------------

section "6. web under ulimit -n 64: 100 connections held, then let go"
log="$tmp/web-fd.log"
(ulimit -n 64 && exec "$NETLAB" web "$tmp/site" --port 0) 2>"$log" &
pid=$!
pids+=("$pid")
for _ in $(seq 200); do grep -q "listening on" "$log" && break; sleep 0.05; done
addr=$(sed -n '1s/.*listening on http:\/\/\([^/ ]*\).*/\1/p' "$log")
before=$(threads_of "$pid")
echo "before: $(resources "$pid")"
mkfifo "$tmp/hold"
python3 "$tmp/clients.py" hold "${addr%:*}" "${addr##*:}" 100 1 keep <"$tmp/hold" &
holder=$!
exec 3>"$tmp/hold"
for _ in $(seq 100); do grep -q "accept failed" "$log" && break; sleep 0.05; done
echo "log: $(grep -m1 "accept failed" "$log" || echo "(no accept failure logged)")"
echo "while descriptors are out: $(resources "$pid")"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$addr/index.html" || true)
echo "a new request while descriptors are out: ${code} (000 = no answer within 2 s)"
exec 3>&- # the holder closes its connections
wait "$holder" || true
settle "$pid" "$before"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$addr/index.html" || true)
echo "after the descriptors came free, a new request: $code"
if kill -0 "$pid" 2>/dev/null; then echo "server alive: yes"; else echo "server alive: NO"; fi
echo "after: $(resources "$pid")"
echo "accept failures logged: $(grep -c "accept failed" "$log" || true)"
stop "$pid"

# ---------------------------------------------------------------------------------------------
# 7: 10,000 connections opened and closed
# ---------------------------------------------------------------------------------------------

churn() {
    local title=$1 mode=$2
    shift 2
    section "$title"
    if ! start churn "$@" --quiet 2>/dev/null; then
        echo "skipped: netlab $1 does not start here (not implemented yet?)"
        return
    fi
    local before
    before=$(threads_of "$pid")
    # Warm up (thread stacks, allocator arenas), let it settle, then measure.
    python3 "$tmp/clients.py" "$mode" "${addr%:*}" "${addr##*:}" 200 >/dev/null
    settle "$pid" "$before"
    echo "before: $(resources "$pid")"
    for round in 1 2; do
        python3 "$tmp/clients.py" "$mode" "${addr%:*}" "${addr##*:}" 10000
        settle "$pid" "$before"
        echo "after round $round: $(resources "$pid")"
    done
    stop "$pid"
}

churn "7a. web: 10,000 connections opened and closed (one request each)" churn-http web "$tmp/site"
churn "7b. serve (thread model): 10,000 connections opened and closed" churn-tcp serve --message hi
churn "7c. serve (fork model): 10,000 connections opened and closed" churn-tcp serve --message hi --model fork
churn "7d. serve (poll model): 10,000 connections opened and closed" churn-tcp serve --message hi --model poll
