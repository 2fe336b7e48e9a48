# Shared by the benchmark scripts: how a result is reported.
#
#   result NAME NETLAB PEER UNIT TARGET [higher|lower|within]
#
# prints one row: NAME, netlab's figure, the peer's, netlab/peer, the target ratio and whether it
# is met ("higher": netlab/peer must be >= TARGET, the default; "lower": <= TARGET, for memory;
# "within": |netlab/peer - 1| <= TARGET, for agreement). TARGET "-" reports without a target.
# When BENCH_RESULTS names a file, the row is appended to it as tab-separated values too, so
# benches/all.sh can print one table of everything.

result() {
    local name=$1 netlab=$2 peer=$3 unit=$4 target=$5 sense=${6:-higher}
    local ratio met
    ratio=$(python3 -c "p=float('$peer'); print(f'{float(\"$netlab\")/p:.2f}' if p else 'inf')")
    if [ "$target" = "-" ]; then
        met="-"
    elif [ "$sense" = within ]; then
        met=$(python3 -c "print('met' if abs(float('$ratio') - 1) <= float('$target') else 'MISSED')")
    elif [ "$sense" = lower ]; then
        met=$(python3 -c "print('met' if float('$ratio') <= float('$target') else 'MISSED')")
    else
        met=$(python3 -c "print('met' if float('$ratio') >= float('$target') else 'MISSED')")
    fi
    local shown_target="-"
    if [ "$target" != "-" ]; then
        case $sense in
            lower) shown_target="<= ${target}x" ;;
            within) shown_target="1±${target}" ;;
            *) shown_target=">= ${target}x" ;;
        esac
    fi
    printf '%-44s %14s %14s %-8s %7sx %10s %s\n' "$name" "$netlab" "$peer" "$unit" "$ratio" "$shown_target" "$met"
    if [ -n "${BENCH_RESULTS:-}" ]; then
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$netlab" "$peer" "$unit" "$ratio" "$shown_target" "$met" >> "$BENCH_RESULTS"
    fi
}

# The median of the numbers given.
median() { python3 -c 'import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))' "$@"; }

result_header() {
    printf '%-44s %14s %14s %-8s %8s %10s %s\n' "benchmark" "netlab" "peer" "unit" "ratio" "target" "met"
}

# A scratch directory in $tmp, and the background servers started into $pids: all of it is
# killed, reaped and removed when the script exits.
#
#   workspace NAME
workspace() {
    tmp=$(mktemp -d "/tmp/netlab-$1.XXXXXX")
    pids=()
    trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
}

# A TCP port of 127.0.0.1 that nobody listens on now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait (at most 10 s) until something listens on TCP PORT of this machine, without connecting
# (read from /proc/net/tcp: state 0A is LISTEN).
wait_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    for _ in $(seq 200); do
        grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nothing listens on port $1" >&2
    return 1
}

# nginx serving ROOT on 127.0.0.1:PORT in the background (into $pids; its pid in $nginx_pid), as
# every script compares with it: 2 workers, sendfile, access_log off, keep-alive without a
# request limit; EXTRA is more of the http block (`gzip on;`). Its files go in $tmp/nginx (see
# workspace). Returns when it listens.
#
#   nginx_start ROOT PORT [EXTRA]
nginx_start() {
    local root=$1 port=$2 extra=${3:-}
    mkdir -p "$tmp/nginx"
    cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    $extra
    server {
        listen 127.0.0.1:$port;
        root $root;
    }
}
EOF
    nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2>>"$tmp/nginx/error.log" &
    pids+=($!)
    nginx_pid=$!
    wait_listening "$port"
}
