#!/usr/bin/env bash
# serve and connect beyond ncat and socat (issue 17): a program per client, a relay and a chat
# room, each beside the peer people would use for it. Runs the scripts in benches/sockets/ one
# after another; each prints its own figures and ratios (and reports them to benches/all.sh).
#
#   benches/sockets.sh                 # exec, forward and chat with their defaults
#   benches/sockets.sh exec chat       # some of them
#   ROUNDS=1 benches/sockets.sh        # environment passes through to each script
#
# | script             | netlab                               | peer                         |
# |--------------------|--------------------------------------|------------------------------|
# | sockets/exec.sh    | serve --exec /bin/echo hi, conn/s    | ncat --exec, socat EXEC      |
# | sockets/forward.sh | serve --forward, 1 GiB relayed       | socat TCP-LISTEN,fork TCP:   |
# | sockets/chat.sh    | serve --chat --model poll, fan-out   | ncat --broker                |
set -euo pipefail
cd "$(dirname "$0")/.."

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(exec forward chat)
failed=()
for part in "${parts[@]}"; do
    script="benches/sockets/$part.sh"
    [ -f "$script" ] || { echo "sockets.sh: no $script (have: exec forward chat)" >&2; exit 2; }
    echo "== $script"
    bash "$script" || failed+=("$part")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "sockets.sh: ${failed[*]} failed" >&2
    exit 1
fi
