#!/usr/bin/env bash
# Runs the Windows test programs under Wine: on ws2uring (through the
# ws2uring-wine launcher) and on Wine's builtin ws2_32, in the same prefix,
# and requires both to pass and to agree check by check.  Also: a DLL built
# for another Wine refuses to start with a message naming both versions,
# and --trace prints ws2uring's calls.
#   run_wine.sh SOURCE_ROOT BUILD_ROOT TEST_BUILD_DIR
set -uo pipefail
src=$1 build=$2 exes=$3
prefix=$build/wine-test-prefix
launcher=$src/wine-glue/ws2uring-wine
export WINEDEBUG=-all
status=0
say() { echo "$*"; }
fail() { echo "FAIL $*"; status=1; }
noise='^(it looks like wine32|multiarch needs|execute "dpkg|apt-get install wine32|[0-9a-f]+:err:(winediag|systray))'

# Every name and ordinal Wine's own ws2_32.dll exports, ours exports too.
exports() { winedump -j export "$1" | awk '/Entry Pt/ { on = 1; next } on && NF >= 3 && $2 ~ /^[0-9]+$/ { print $2, $3 }' | sort; }
wine_dll=$(dirname "$(readlink -f "$(command -v wine)")")/../lib/x86_64-linux-gnu/wine/x86_64-windows/ws2_32.dll
[ -f "$wine_dll" ] || wine_dll=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/ws2_32.dll
missing=$(comm -23 <(exports "$wine_dll") <(exports "$build/wine-glue/ws2_32.dll"))
if [ -z "$missing" ] && [ -n "$(exports "$wine_dll")" ]; then
    say "ok exports: all $(exports "$wine_dll" | wc -l) of Wine's names at Wine's ordinals"
else
    fail "exports missing from ws2uring's ws2_32.dll: $missing"
fi

# Where Wine's builtin differs from Windows, ws2uring must still pass;
# the builtin's failure of that check is reported under the Wine bug's name.
declare -A wine_bugs=(
    [wine_iocp:close-in-flight]="Wine 8.0's builtin completes a receive cancelled by closesocket with ERROR_HANDLES_CLOSED (676), not ERROR_OPERATION_ABORTED (995)"
    [wine_iocp:mswsock-wsarecvex]="Wine 8.0's mswsock.dll WSARecvEx returns -1 without setting an error, with 6 bytes waiting (it looks unimplemented)"
    [wine_basic:async-cancel-ended]="Wine 8.0's builtin WSACancelAsyncRequest is a stub that returns 0 for any handle"
    [wine_iocp:mswsock-getacceptexsockaddrs]="Wine 8.0's mswsock.dll GetAcceptExSockaddrs does nothing unless mswsock's own AcceptEx ran first (that is when it looks ws2_32's function up)"
    [wine_doors:afd-recv-datagram]="Wine 8.0 does not serve IOCTL_AFD_RECEIVE_DATAGRAM (STATUS_INVALID_DEVICE_REQUEST), which libuv's UDP receive uses on a base provider"
    [wine_doors:afd-recv-datagram-short]="Wine 8.0 does not serve IOCTL_AFD_RECEIVE_DATAGRAM (STATUS_INVALID_DEVICE_REQUEST)"
    [wine_doors:afd-recv-datagram-nonblocking]="Wine 8.0 does not serve IOCTL_AFD_RECEIVE_DATAGRAM (STATUS_INVALID_DEVICE_REQUEST)"
    [wine_basic:apc-blocked-send]="Wine 8.0's builtin waits for a blocking send without running the thread's APCs; its blocking receive runs them, as Windows does (sock.c test_WSARecv), and Windows' blocking calls share that alertable wait"
    [wine_basic:apc-blocked-send-dontroute]="Wine 8.0's builtin waits for a blocking send without running the thread's APCs, as in apc-blocked-send"
    [wine_basic:apc-blocked-wsasendmsg]="Wine 8.0's builtin waits for a blocking WSASendMsg without running the thread's APCs, as in apc-blocked-send"
    [wine_basic:apc-blocked-wsarecvmsg]="Wine 8.0's builtin runs the APC in a blocked WSARecvMsg but then, in about half the runs here, never returns with the datagram sent after it (the thread still waits 5 s later)"
    [wine_basic:apc-blocked-transmitfile]="Wine 8.0's builtin waits for a blocking TransmitFile without running the thread's APCs, as in apc-blocked-send"
    [wine_basic:apc-blocked-connect]="Wine 8.0's builtin waits for a blocking connect without running the thread's APCs, as in apc-blocked-send"
    [wine_basic:apc-blocked-wsaconnect]="Wine 8.0's builtin waits for a blocking WSAConnect without running the thread's APCs, as in apc-blocked-send"
    [wine_basic:apc-blocked-connect-by-name]="Wine 8.0's builtin waits for WSAConnectByName's connect without running the thread's APCs, as in apc-blocked-send"
    [wine_basic:connect-by-name-limit]="Wine 8.0's builtin WSAConnectByName ignores its time limit: the connect waits for the kernel's SYN retries (here until the listener closes, WSAECONNREFUSED)"
    [wine_basic:closesocket-blocked-send]="Wine 8.0's builtin returns 0 (no error) from a blocking send whose socket another thread closed"
    [wine_doors:dll-wsaduplicatesocket]="Wine 8.0's builtin completes the receive cancelled by closing the socket's last handle with ERROR_HANDLES_CLOSED (676), not ERROR_OPERATION_ABORTED (995), as in wine_iocp close-in-flight"
)

# Each program runs on ws2uring and on the builtin (a copy under another
# name, so that the per-program DLL override does not apply to it).
# The completion-port programs run on ws2uring's compatible mode too.
for run in wine_basic wine_iocp wine_iocp:compatible wine_doors wine_doors:compatible; do
    prog=${run%%:*}
    mode=${run#"$prog"}
    mode=${mode#:}
    [ -z "$mode" ] || say "# $prog in ws2uring's $mode mode (Wine's completion ports)"
    # (Wine's console ends lines with CR LF: dropped, for the comparison.)
    WS2URING_WINE_MODE=${mode:-fast} WS2URING_GLUE_DIR=$build/wine-glue \
        bash "$launcher" --prefix "$prefix" "$exes/$prog.exe" ws2uring \
        2> "$exes/$prog.ws2uring.err" | tr -d '\r' > "$exes/$prog.ws2uring.out"
    rc=${PIPESTATUS[0]}
    grep -Ev "$noise" "$exes/$prog.ws2uring.err" | sed 's/^/  stderr: /'
    sed 's/^/  ws2uring: /' "$exes/$prog.ws2uring.out"
    [ $rc -eq 0 ] || fail "$prog on ws2uring exited $rc"
    cp -f "$exes/$prog.exe" "$exes/${prog}_builtin.exe"
    WINEPREFIX=$prefix wine "$exes/${prog}_builtin.exe" builtin 2> /dev/null | tr -d '\r' > "$exes/$prog.builtin.out"
    sed 's/^/  builtin: /' "$exes/$prog.builtin.out"
    # The builtin's failures must all be named Wine bugs; those checks are
    # left out of the comparison.
    known=()
    while read -r _ check _; do
        check=${check%:}
        if [ -n "${wine_bugs[$prog:$check]:-}" ]; then
            say "known Wine bug ($prog $check): ${wine_bugs[$prog:$check]}"
            known+=("$check")
        else
            fail "$prog on Wine's builtin: $check failed, not a known Wine bug"
        fi
    done < <(grep '^FAIL ' "$exes/$prog.builtin.out")
    skip='^#'
    for k in "${known[@]}"; do skip="$skip|^(ok|FAIL) $k(:|\$)"; done
    if ! diff <(grep -Ev "$skip" "$exes/$prog.ws2uring.out") <(grep -Ev "$skip" "$exes/$prog.builtin.out") > /dev/null; then
        fail "$prog: ws2uring and the builtin disagree:"
        diff <(grep -Ev "$skip" "$exes/$prog.ws2uring.out") <(grep -Ev "$skip" "$exes/$prog.builtin.out")
    else
        say "ok $prog: same results on ws2uring and on the builtin"
    fi
done

# Bad pointers: on ws2uring only.  Windows answers each with WSAEFAULT;
# Wine 8.0's builtin crashes at the first (its bind copies the sockaddr
# without a guard: "Unhandled page fault" in memcpy), so there is nothing
# to compare with.
WS2URING_GLUE_DIR=$build/wine-glue bash "$launcher" --prefix "$prefix" "$exes/wine_faults.exe" ws2uring \
    2> "$exes/wine_faults.ws2uring.err" | tr -d '\r' > "$exes/wine_faults.ws2uring.out"
rc=${PIPESTATUS[0]}
grep -Ev "$noise" "$exes/wine_faults.ws2uring.err" | sed 's/^/  stderr: /'
sed 's/^/  ws2uring: /' "$exes/wine_faults.ws2uring.out"
if [ $rc -eq 0 ] && ! grep -q '^FAIL ' "$exes/wine_faults.ws2uring.out"; then
    say "ok wine_faults: every bad pointer WSAEFAULT on ws2uring, nothing leaked or left locked"
else
    fail "wine_faults on ws2uring exited $rc"
fi

# Built for another Wine: refused at load, one message naming both.
wrong=$exes/wrong-wine
mkdir -p "$wrong"
cp -f "$build/wine-glue/ws2_32-wrong-wine.dll" "$wrong/ws2_32.dll"
cp -f "$build/wine-glue/ws2uring.dll" "$build/wine-glue/ws2uring.so" "$build/libws2uring.so.0" "$wrong/"
cp -f "$exes/wine_basic.exe" "$exes/wine_wrong.exe"
WS2URING_GLUE_DIR=$wrong bash "$launcher" --prefix "$prefix" "$exes/wine_wrong.exe" ws2uring \
    > /dev/null 2> "$exes/wrong.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "ws2uring: built for Wine 0.0, refusing to run under Wine " "$exes/wrong.err"; then
    say "ok refused-other-wine: $(grep -m1 'refusing' "$exes/wrong.err")"
else
    fail "a DLL built for Wine 0.0 was not refused (exit $rc)"; cat "$exes/wrong.err"
fi
# The launcher's --trace: one line per call with its result.
WS2URING_GLUE_DIR=$build/wine-glue bash "$launcher" --trace --prefix "$prefix" "$exes/wine_basic.exe" ws2uring \
    > /dev/null 2> "$exes/trace.err"
# In the fast mode the program's completion port is ws2uring's: its
# CreateIoCompletionPort shows in the trace.
if grep -q '^ws2uring: socket(0x2, 0x1, ' "$exes/trace.err" && grep -q '^ws2uring: WSACleanup(' "$exes/trace.err" &&
   grep -q '^ws2uring: CreateIoCompletionPort(0xffffffffffffffff, ' "$exes/trace.err"; then
    say "ok trace: $(grep -c '^ws2uring: [A-Za-z_]*(' "$exes/trace.err") calls traced, the port ws2uring's"
else
    fail "--trace printed no call lines"; head "$exes/trace.err"
fi
exit $status
