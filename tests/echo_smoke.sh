#!/usr/bin/env bash
# The Win32 IOCP echo server under real load for a moment: AcceptEx posted
# ahead, workers, overlapped receives and sends; every echoed byte checked.
#   echo_smoke.sh BUILD_DIR
set -euo pipefail
bin=$1/benchmarks
port=$(( 20000 + RANDOM % 30000 ))
"$bin/iocp_echo_server" "$port" 2 4 > "$1/echo-smoke-server.log" &
server=$!
"$bin/loadgen" smoke "$port" 16 64 1 0.5
"$bin/loadgen" smoke "$port" 4 4096 1 0.2
wait "$server"
cat "$1/echo-smoke-server.log"
