#!/usr/bin/env bash
# `netlab urldecode` beside python3 on the same URL lines, in one run:
#
#   1. plain decoding, 100 MB of URL lines from stdin to /dev/null,
#      beside `urllib.parse.unquote` per line                         (target: >= 50x python)
#   2. --json, 10 MB of URL lines, beside urlsplit + parse_qsl + json.dumps per line
#                                                                      (target: >= 20x python)
#   3. peak RSS of plain decoding for 10 MB and 100 MB inputs (it must not grow with the input)
#
# Throughput is input bytes per second of wall time, the median of RUNS runs (default 5), netlab
# and python in turn.
# Usage: benches/urldecode.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

runs=${1:-5}
for tool in python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "urldecode.sh: $tool is not installed" >&2; exit 1; }
done
echo "building release ..." >&2
cargo build --release --quiet
netlab="$(realpath "${CARGO_TARGET_DIR:-target}")/release/netlab"

work=$(mktemp -d /tmp/netlab-urldecode-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# URL lines like the notes' baidu queries: Chinese and other text percent-encoded in paths and
# query strings, over several hosts. Deterministic (seeded).
cat > "$work/gen.py" <<'PY'
import random, sys, urllib.parse
random.seed(7)
words = ["python教程", "测试", "网络编程", "hello world", "a&b=c", "naïve café", "東京", "emoji 😀",
         "x" * 20, "socket", "线程池", "epoll"]
hosts = ["www.baidu.com", "news.baidu.com", "example.org", "m.sohu.com", "api.github.com",
         "localhost:8080"]
names = ["wd", "word", "q", "tn", "cl", "rn", "ie"]
target, n, out = int(sys.argv[1]), 0, sys.stdout
while n < target:
    q = "&".join(f"{random.choice(names)}={urllib.parse.quote(random.choice(words))}"
                 for _ in range(random.randint(1, 4)))
    path = "/" + "/".join(urllib.parse.quote(random.choice(words)) for _ in range(random.randint(0, 3)))
    line = f"https://{random.choice(hosts)}{path}?{q}\n"
    out.write(line)
    n += len(line.encode())
PY
cat > "$work/unquote.py" <<'PY'
import sys
from urllib.parse import unquote
write = sys.stdout.write
for line in sys.stdin:
    write(unquote(line))
PY
cat > "$work/pyjson.py" <<'PY'
import sys, json
from urllib.parse import urlsplit, parse_qsl
write = sys.stdout.write
for line in sys.stdin:
    u = urlsplit(line.rstrip("\n"))
    write(json.dumps({"scheme": u.scheme, "netloc": u.netloc, "host": u.hostname, "port": u.port,
                      "path": u.path, "query": u.query, "fragment": u.fragment,
                      "params": parse_qsl(u.query)}, ensure_ascii=False))
    write("\n")
PY
python3 "$work/gen.py" 100000000 > "$work/100M.txt"
python3 "$work/gen.py" 10000000 > "$work/10M.txt"

# Wall times (seconds, to the microsecond, measured around the process) of two commands reading
# FILE on stdin, run in turn RUNS times each, so a slow stretch of this VM falls on both alike;
# prints each command's median. The commands are given as two strings.
alternate() {
    local file=$1
    python3 - "$runs" "$file" "$2" "$3" <<'PY2'
import shlex, statistics, subprocess, sys, time
runs, path = int(sys.argv[1]), sys.argv[2]
commands = [shlex.split(c) for c in sys.argv[3:5]]
times = [[], []]
for _ in range(runs):
    for i, command in enumerate(commands):
        with open(path, "rb") as stdin:
            start = time.perf_counter()
            subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, check=True)
            times[i].append(time.perf_counter() - start)
print(" ".join(f"{statistics.median(t):.6f}" for t in times))
PY2
}
# Peak RSS in KiB of one run.
peak() {
    local file=$1; shift
    /usr/bin/time -f '%M' -o "$work/time" "$@" < "$file" > /dev/null 2>/dev/null
    tail -1 "$work/time"
}
mbps() { python3 -c "print(f'{$1 / 1e6 / float(\"$2\"):.1f}')"; }

size100=$(stat -c %s "$work/100M.txt")
size10=$(stat -c %s "$work/10M.txt")

echo "urldecode: $runs runs each, netlab and python in turn, median wall time; MB/s of input" >&2
result_header
read -r t_nl t_py < <(alternate "$work/100M.txt" "$netlab urldecode" "python3 $work/unquote.py")
result "urldecode 100 MB vs python unquote" "$(mbps "$size100" "$t_nl")" "$(mbps "$size100" "$t_py")" MB/s 50

read -r t_nl t_py < <(alternate "$work/10M.txt" "$netlab urldecode --json" "python3 $work/pyjson.py")
result "urldecode --json 10 MB vs python" "$(mbps "$size10" "$t_nl")" "$(mbps "$size10" "$t_py")" MB/s 20

rss10=$(peak "$work/10M.txt" "$netlab" urldecode)
rss100=$(peak "$work/100M.txt" "$netlab" urldecode)
result "urldecode peak RSS 100 MB vs 10 MB input" "$rss100" "$rss10" KiB 1.25 lower
rss10=$(peak "$work/10M.txt" "$netlab" urldecode --json)
rss100=$(peak "$work/100M.txt" "$netlab" urldecode --json)
result "urldecode --json peak RSS 100 MB vs 10 MB" "$rss100" "$rss10" KiB 1.25 lower
