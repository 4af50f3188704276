#!/usr/bin/env bash
# goserver.exe (Go, windows/amd64) under Wine on ws2uring (the launcher) and
# on Wine's builtin ws2_32, in the same prefix, each serving goclient, a
# native Linux client that checks every byte (echo ping-pong and stream,
# HTTP keep-alive posts, a file sent with TransmitFile, a byte range).
# Fails when ws2uring fails; the builtin's result is reported beside it.
#   run_go_server.sh SOURCE_ROOT BUILD_ROOT TEST_BUILD_DIR
set -uo pipefail
src=$1 build=$2 dir=$3
prefix=$build/go-prefix
export WINEDEBUG=-all WS2URING_GLUE_DIR=$build/wine-glue
status=0

run() {   # run ws2uring|builtin
    local out=$dir/goserver.$1.out err=$dir/goserver.$1.err pid start
    : > "$out"
    start=$(date +%s%N)
    if [ "$1" = ws2uring ]; then
        bash "$src/wine-glue/ws2uring-wine" --prefix "$prefix" "$dir/goserver.exe" all > "$out" 2> "$err" &
    else
        # A copy under another name: the launcher's per-program override
        # must not apply to it.
        cp -f "$dir/goserver.exe" "$dir/goserver_builtin.exe"
        WINEPREFIX=$prefix wine "$dir/goserver_builtin.exe" all > "$out" 2> "$err" &
    fi
    pid=$!
    # (the first run may create the prefix: up to a minute)
    for _ in $(seq 600); do
        grep -q '^http ' "$out" && break
        kill -0 $pid 2> /dev/null || break
        sleep 0.2
    done
    local echo_addr http_addr
    echo_addr=$(tr -d '\r' < "$out" | awk '$1 == "echo" { print $2 }')
    http_addr=$(tr -d '\r' < "$out" | awk '$1 == "http" { print $2 }')
    if [ -z "$http_addr" ]; then
        echo "FAIL $1: goserver.exe printed no addresses"
        sed 's/^/  stderr: /' "$err"
        kill $pid 2> /dev/null
        wait $pid 2> /dev/null
        return 1
    fi
    local rc=0
    timeout 300 "$dir/goclient" "$echo_addr" "$http_addr" | sed "s/^/  $1: /"
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
    # goclient ends with /quit: the server must exit 0 on its own.
    timeout 30 tail --pid=$pid -f /dev/null || { echo "FAIL $1: goserver.exe did not exit after /quit"; kill $pid; rc=1; }
    wait $pid || { echo "FAIL $1: goserver.exe exited $?"; sed 's/^/  stderr: /' "$err"; rc=1; }
    echo "  $1: $(( ($(date +%s%N) - start) / 1000000 )) ms"
    return $rc
}

if run ws2uring; then
    echo "ok goserver.exe on ws2uring"
else
    echo "FAIL goserver.exe on ws2uring"
    status=1
fi
if run builtin; then
    echo "ok goserver.exe on the builtin"
else
    echo "note: goserver.exe fails on Wine's builtin (reported, not required)"
fi
WINEPREFIX=$prefix wineserver -k 2> /dev/null || true
exit $status
