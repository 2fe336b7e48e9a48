#!/usr/bin/env bash
# Benchmark `netlab web` as a file-sharing server (issue 15), one section per feature, each
# beside its peer in the same run:
#
#   archives: the tar.gz of a tree of 2,000 files (100 MiB, text and random bytes half and half)
#             downloaded with curl from `web --archives`, against `tar -czf - DIR > /dev/null` on
#             the same tree (alternating, ROUNDS=3 each, medians): tree MiB/s (target: reported);
#             and netlab's peak RSS (VmHWM) over the downloads (target: <= 32 MiB).
#
#   compress: benches/web-sharing/compress.sh — 100 KiB HTML with Accept-Encoding: gzip, wrk
#             req/s beside nginx `gzip on` (target: >= 5x).
#   upload:   benches/web-sharing/upload.sh — a 1 GiB PUT beside nginx `dav_methods PUT`
#             (target: >= 1.0x) and a 1 GiB multipart form beside netlab's own PUT (>= 0.9x).
#
# Usage: benches/web-sharing.sh [SECTION ...]   (default: every section; sections: archives,
#        compress, upload; environment passes through: ROUNDS, SIZE …)
# Needs curl, tar, gzip, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(archives compress upload)
rounds=${ROUNDS:-3}
for tool in curl tar gzip python3; do
    command -v "$tool" >/dev/null || { echo "web-sharing.sh: $tool is not installed" >&2; exit 1; }
done

echo "building release ..." >&2
cargo build --release --quiet
netlab="${CARGO_TARGET_DIR:-target}/release/netlab"

workspace web-sharing

# Start `netlab web ARGS...` on a free port: sets netlab_pid and netlab_url.
start_netlab() {
    local port
    port=$(free_port)
    "$netlab" --quiet web "$@" --port "$port" 2>"$tmp/netlab.log" &
    pids+=($!)
    netlab_pid=$!
    netlab_url="http://127.0.0.1:$port"
    wait_listening "$port"
}

# Seconds one command takes (wall clock).
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.3f}')"
}

section_archives() {
    local tree=$tmp/tree
    echo "archives: making a tree of 2,000 files (100 MiB) ..." >&2
    python3 - "$tree" <<'PY'
import base64, os, sys
root = sys.argv[1]
size = 50 * 1024
for i in range(2000):
    d = os.path.join(root, f"d{i // 100:02}", f"e{i // 10 % 10}")
    os.makedirs(d, exist_ok=True)
    raw = os.urandom(size)
    # Half the files text (base64: compresses to ~3/4), half random bytes (does not).
    body = base64.b64encode(raw)[:size] if i % 2 else raw
    with open(os.path.join(d, f"file-{i:04}.{'txt' if i % 2 else 'bin'}"), "wb") as f:
        f.write(body)
PY
    local mib
    mib=$(du -sm "$tree" | cut -f1)
    start_netlab "$tree" --archives
    local ours=() theirs=()
    for _ in $(seq "$rounds"); do
        ours+=("$(seconds curl -sS --fail -o /dev/null "$netlab_url/?download=tar.gz")")
        theirs+=("$(seconds sh -c "tar -czf - -C '$tmp' tree > /dev/null")")
    done
    local rss_kb
    rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$netlab_pid/status")
    local ours_rate theirs_rate
    ours_rate=$(python3 -c "print(f'{$mib / $(median "${ours[@]}"):.1f}')")
    theirs_rate=$(python3 -c "print(f'{$mib / $(median "${theirs[@]}"):.1f}')")
    result "archives: tar.gz of 2,000 files (vs tar -czf)" "$ours_rate" "$theirs_rate" "MiB/s" -
    result "archives: netlab peak RSS (vs 32 MiB)" "$((rss_kb / 1024))" 32 "MiB" 1.0 lower
}

result_header
for section in "${sections[@]}"; do
    case $section in
        archives) section_archives ;;
        compress | upload) bash "benches/web-sharing/$section.sh" ;;
        *) echo "web-sharing.sh: no section $section (sections: archives compress upload)" >&2; exit 2 ;;
    esac
done
