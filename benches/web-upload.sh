#!/usr/bin/env bash
# Benchmark `netlab web --upload`: a 1 GiB multipart form upload (`curl -F`, as the listing
# page's form sends it) beside a PUT of the same file to the same server (`curl -T`),
# alternating, each fsynced and renamed into place. Prints the median throughput of each and
# the form's ratio to the PUT.
#
# Target (issue 15): the form >= 0.9x netlab's own PUT (the multipart parser costs at most 10%).
#
# Usage: benches/web-upload.sh [RUNS]    (RUNS per case, default 5; the median counts)
# Env:   NETLAB=path/to/netlab            (default: target/release/netlab, built if missing)
#        SIZE=1G                          (the file's size, as `truncate -s` takes it)
#
# The disk decides both figures (and other work on the machine moves them): compare the ratio of
# one run, never figures from two.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

runs=${1:-5}
size=${SIZE:-1G}
command -v curl >/dev/null || { echo "web-upload.sh: curl is not installed" >&2; exit 1; }

netlab=${NETLAB:-${CARGO_TARGET_DIR:-target}/release/netlab}
if [ ! -x "$netlab" ]; then
    echo "web-upload.sh: building $netlab (cargo build --release)" >&2
    cargo build --release --quiet
fi
netlab=$(realpath "$netlab")

workspace web-upload
mkdir -p "$tmp/site"
# Sparse: reading it costs no disk, so the server's writes are what is timed.
truncate -s "$size" "$tmp/upload.bin"
bytes=$(stat -c %s "$tmp/upload.bin")

port=$(free_port)
"$netlab" web "$tmp/site" --port "$port" --upload --overwrite -q &
pids+=($!)
wait_listening "$port"
url="http://127.0.0.1:$port"

# One upload's throughput in MB/s, from curl's own timing; fails unless the server took it.
upload() {
    local code secs
    case $1 in
        put) read -r code secs < <(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' \
                 -T "$tmp/upload.bin" "$url/put.bin") ;;
        form) read -r code secs < <(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' \
                  -F "file=@$tmp/upload.bin;filename=form.bin" "$url/") ;;
    esac
    case $code in 201|204|303) ;; *) echo "web-upload.sh: $1 answered $code" >&2; exit 1 ;; esac
    python3 -c "print(f'{$bytes / $secs / 1e6:.1f}')"
}

put=() form=()
for _ in $(seq "$runs"); do
    put+=("$(upload put)")
    form+=("$(upload form)")
done
[ "$(stat -c %s "$tmp/site/form.bin")" = "$bytes" ] || { echo "web-upload.sh: form.bin is not whole" >&2; exit 1; }

result_header
result "web: $size multipart form (curl -F) vs PUT" "$(median "${form[@]}")" "$(median "${put[@]}")" MB/s 0.9
