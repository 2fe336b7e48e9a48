#!/usr/bin/env bash
# Benchmark `netlab web --upload`: a 1 GiB PUT (`curl -T`) beside the same PUT to nginx with
# `dav_methods PUT`, and a multipart form upload of the same file (`curl -F`, as the listing
# page's form sends it) beside netlab's own PUT; alternating, each fsynced and renamed into
# place by netlab. Prints the median throughput of each and the ratios.
#
# Targets (issue 15): PUT >= 1.0x nginx's; the form >= 0.9x netlab's own PUT (the multipart
# parser costs at most 10%).
#
# Usage: benches/web-sharing/upload.sh [RUNS]    (RUNS per case, default 5; the median counts)
# Env:   NETLAB=path/to/netlab            (default: target/release/netlab, built if missing)
#        SIZE=1G                          (the file's size, as `truncate -s` takes it)
#
# The disk decides both figures (and other work on the machine moves them): compare the ratio of
# one run, never figures from two.
set -euo pipefail
cd "$(dirname "$0")/../.."
. benches/lib.sh

runs=${1:-${ROUNDS:-5}}
size=${SIZE:-1G}
for tool in curl nginx python3; do
    command -v "$tool" >/dev/null || { echo "web-sharing/upload.sh: $tool is not installed" >&2; exit 1; }
done

netlab=${NETLAB:-${CARGO_TARGET_DIR:-target}/release/netlab}
if [ ! -x "$netlab" ]; then
    echo "web-sharing/upload.sh: building $netlab (cargo build --release)" >&2
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

# nginx's workers run as nobody: the scratch folder must let them through, and the upload
# folder is theirs to write.
chmod 0711 "$tmp"
mkdir -p "$tmp/dav"
chmod 0777 "$tmp/dav"
nginx_port=$(free_port)
nginx_start "$tmp/dav" "$nginx_port" "dav_methods PUT; client_max_body_size 0; client_body_in_file_only off;"
nginx_url="http://127.0.0.1:$nginx_port"

# One upload's throughput in MB/s, from curl's own timing; fails unless the server took it.
upload() {
    local code secs
    case $1 in
        put) read -r code secs < <(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' \
                 -T "$tmp/upload.bin" "$url/put.bin") ;;
        nginx) read -r code secs < <(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' \
                   -T "$tmp/upload.bin" "$nginx_url/put.bin") ;;
        form) read -r code secs < <(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' \
                  -F "file=@$tmp/upload.bin;filename=form.bin" "$url/") ;;
    esac
    case $code in 201|204|303) ;; *) echo "web-sharing/upload.sh: $1 answered $code" >&2; exit 1 ;; esac
    python3 -c "print(f'{$bytes / $secs / 1e6:.1f}')"
}

put=() form=() nginx=()
for _ in $(seq "$runs"); do
    put+=("$(upload put)")
    nginx+=("$(upload nginx)")
    form+=("$(upload form)")
done
[ "$(stat -c %s "$tmp/site/form.bin")" = "$bytes" ] || { echo "web-sharing/upload.sh: form.bin is not whole" >&2; exit 1; }

result_header
result "web: $size PUT (curl -T) vs nginx dav PUT" "$(median "${put[@]}")" "$(median "${nginx[@]}")" MB/s 1.0
result "web: $size multipart form (curl -F) vs PUT" "$(median "${form[@]}")" "$(median "${put[@]}")" MB/s 0.9
