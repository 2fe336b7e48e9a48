#!/usr/bin/env bash
# The one entry point for netlab's performance figures. It installs the peers the benchmarks
# need (with apt-get, when run as root), runs every benchmark script in benches/ with
# BENCH_RESULTS set (each reports its figures through lib.sh's `result`), and prints one table:
# benchmark, netlab's figure, the peer's, the ratio, the target, met or not — with the date and
# the machine it ran on. README's Performance section is that table (`--markdown`).
#
#   benches/all.sh                      # every script with its own defaults (tens of minutes)
#   benches/all.sh --quick              # shorter runs: checks the scripts; rough figures
#   benches/all.sh --markdown           # the table as Markdown, to paste into README
#   benches/all.sh --only web,bench-accuracy
#   benches/all.sh --no-install         # never call apt-get
#
# Each script's own output goes to a log file (its path is printed at the end); a script that
# fails is listed under the table and the others still run. Exit status: 0 when every script
# ran, 1 otherwise (a missed target is not a failure of the script: see the `met` column).
set -euo pipefail
cd "$(dirname "$0")/.."

markdown=0
quick=0
install=1
only=""
while [ $# -gt 0 ]; do
    case $1 in
        --markdown) markdown=1 ;;
        --quick) quick=1 ;;
        --no-install) install=0 ;;
        --only) only=${2:?--only needs a list, e.g. web,fetch}; shift ;;
        --only=*) only=${1#--only=} ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "all.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# --- peers ---------------------------------------------------------------------------------------
# command (or file) -> Debian package
declare -A needs=(
    [nginx]=nginx
    [/usr/lib/nginx/modules/ngx_stream_module.so]=libnginx-mod-stream
    [wrk]=wrk
    [iperf3]=iperf3
    [socat]=socat
    [nc]=netcat-openbsd
    [curl]=curl
    [python3]=python3
    [bc]=bc
    [/usr/bin/time]=time
)
missing=()
for what in "${!needs[@]}"; do
    if [[ $what == /* ]]; then [ -e "$what" ] && continue; else command -v "$what" >/dev/null && continue; fi
    missing+=("${needs[$what]}")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$install" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing ${missing[*]} ..." >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    else
        echo "all.sh: missing ${missing[*]} (run as root to install them); the scripts that need them will fail" >&2
    fi
fi

# --- the scripts ---------------------------------------------------------------------------------
# In the order the chapter goes; any other script in benches/ runs after these.
order=(urldecode serve connect web fetch bench-accuracy)
scripts=()
for name in "${order[@]}"; do [ -f "benches/$name.sh" ] && scripts+=("$name"); done
for file in benches/*.sh; do
    name=$(basename "$file" .sh)
    case " lib all ${order[*]} " in *" $name "*) continue ;; esac
    scripts+=("$name")
done
if [ -n "$only" ]; then
    chosen=()
    for name in ${only//,/ }; do
        [ -f "benches/$name.sh" ] || { echo "all.sh: no benches/$name.sh" >&2; exit 2; }
        chosen+=("$name")
    done
    scripts=("${chosen[@]}")
fi

# Shorter runs for --quick: environment and arguments per script.
declare -A quick_envs=([serve]="DURATION=2s" [connect]="SIZE=256M RUNS=1" [fetch]="SIZES=10M"
    [bench-accuracy]="DURATION=3 ROUNDS=1" [sockets]="ROUNDS=1 SIZE=256M CLIENTS=50 LINES=500"
    [web-sharing]="SIZE=256M ROUNDS=1")
declare -A quick_args=([urldecode]=1 [web]=3 [fetch]=1)

echo "building release ..." >&2
cargo build --release --quiet

logs=$(mktemp -d /tmp/netlab-bench-logs.XXXXXX)
export BENCH_RESULTS="$logs/results.tsv"
: >"$BENCH_RESULTS"
failed=()
for name in "${scripts[@]}"; do
    args=()
    envs=()
    if [ "$quick" = 1 ]; then
        read -ra envs <<<"${quick_envs[$name]:-}"
        read -ra args <<<"${quick_args[$name]:-}"
    fi
    start=$(date +%s)
    printf '%-16s ' "$name" >&2
    if env "${envs[@]}" bash "benches/$name.sh" "${args[@]}" >"$logs/$name.log" 2>&1; then
        echo "done in $(($(date +%s) - start)) s" >&2
    else
        status=$?
        echo "FAILED (exit $status) — last lines of $logs/$name.log:" >&2
        tail -5 "$logs/$name.log" | sed 's/^/    /' >&2
        failed+=("$name")
    fi
done

# --- the table -----------------------------------------------------------------------------------
cores=$(nproc)
memory=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
cpu=${cpu:-$(uname -m)}
kernel=$(uname -r)
day=$(date +%Y-%m-%d)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
dirty=$(git status --porcelain 2>/dev/null | grep -q . && echo "+changes" || true)
machine="$cores cores, $memory RAM, $cpu, Linux $kernel"
[ "$quick" = 1 ] && quick_note=" (--quick: short runs, rough figures)" || quick_note=""

if [ "$markdown" = 1 ]; then
    echo "Measured $day on $machine; netlab $commit$dirty, \`benches/all.sh\`$quick_note."
    echo
    echo "| benchmark | netlab | peer | unit | ratio | target | met |"
    echo "|---|---:|---:|---|---:|---:|---|"
    while IFS=$'\t' read -r bench ours theirs unit ratio target met; do
        echo "| $bench | $ours | $theirs | $unit | ${ratio}x | $target | $met |"
    done <"$BENCH_RESULTS"
else
    echo
    echo "netlab benchmarks — $day — $machine — $commit$dirty$quick_note"
    printf '%-48s %14s %14s %-8s %8s %10s %s\n' benchmark netlab peer unit ratio target met
    while IFS=$'\t' read -r bench ours theirs unit ratio target met; do
        printf '%-48s %14s %14s %-8s %7sx %10s %s\n' "$bench" "$ours" "$theirs" "$unit" "$ratio" "$target" "$met"
    done <"$BENCH_RESULTS"
fi
met=$(awk -F'\t' '$7 == "met"' "$BENCH_RESULTS" | wc -l)
missed=$(awk -F'\t' '$7 == "MISSED"' "$BENCH_RESULTS" | wc -l)
echo
echo "$met met, $missed missed; logs of every script in $logs"
if [ ${#failed[@]} -gt 0 ]; then
    echo "scripts that failed: ${failed[*]}"
    exit 1
fi
