#!/usr/bin/env bash
# The echo comparison, in one run: for each configuration (connections
# 1/16/64, messages 64 B/4 KiB) the raw io_uring server, the epoll server
# and the Win32 IOCP server on ws2uring take turns, ROUNDS times, each
# serving the same load client.  The server side is pinned to CPU 0 and the
# client to CPU 1, the same way for every column.  Prints one line per run
# (loadgen's), then a table of medians with ratios, and writes a PNG plot.
#   run_echo.sh BUILD_DIR [SECONDS] [WARMUP] [ROUNDS]
set -euo pipefail
build=${1:?build dir}
secs=${2:-3}
warm=${3:-1}
rounds=${4:-3}
out=${OUT_DIR:-$build/bench-results}
mkdir -p "$out"
raw="$out/echo-runs.txt"
: > "$raw"
bin=$build/benchmarks
srv_cpu=0
cli_cpu=$(( $(nproc) > 1 ? 1 : 0 ))

serve() {   # serve IMPL PORT SECONDS
    case $1 in
        uring)    taskset -c $srv_cpu "$bin/echo_uring" "$2" "$3" ;;
        uring-fixed) taskset -c $srv_cpu "$bin/echo_uring" "$2" "$3" fixed ;;
        epoll)    taskset -c $srv_cpu "$bin/echo_epoll" "$2" "$3" ;;
        ws2uring) taskset -c $srv_cpu "$bin/iocp_echo_server" "$2" 2 "$3" > /dev/null ;;
        # The same server as a PE under Wine's builtin ws2_32 (more time:
        # Wine starts in a second or two).
        # (a copy under another name: the per-program override of the
        # ws2uring column must not apply to it)
        wine-builtin) WINEPREFIX=$wine_prefix taskset -c $srv_cpu wine "$wine_copy" "$2" 2 \
                          $(( $3 + 3 )) > /dev/null 2>&1 ;;
        wine-ws2uring) taskset -c $srv_cpu bash "$launcher" --prefix "$wine_prefix" "$bin/iocp_echo_server.exe" \
                          "$2" 2 $(( $3 + 3 )) > /dev/null 2>&1 ;;
        # The same PE server on another build's glue (ALT_GLUE_DIR: say,
        # before a change), in a prefix of its own, for old-against-new
        # comparisons interleaved in one run.
        wine-ws2uring-alt) WS2URING_GLUE_DIR=$ALT_GLUE_DIR taskset -c $srv_cpu bash "$alt_launcher" \
                          --prefix "$alt_prefix" "$bin/iocp_echo_server.exe" "$2" 2 $(( $3 + 3 )) > /dev/null 2>&1 ;;
        # A Go echo server (tests/go/goserver, windows/amd64) under Wine:
        # Go's runtime, its completion port and its net package.
        go-builtin) WINEPREFIX=$wine_prefix taskset -c $srv_cpu wine "$go_copy" echo "$2" \
                        $(( $3 + 3 )) > /dev/null 2>&1 ;;
        go-ws2uring) taskset -c $srv_cpu bash "$launcher" --prefix "$wine_prefix" "$go_exe" echo "$2" \
                         $(( $3 + 3 )) > /dev/null 2>&1 ;;
        # ws2uring's compatible mode: the program's ports stay Wine's.
        wine-compat) WS2URING_WINE_MODE=compatible taskset -c $srv_cpu bash "$launcher" --prefix "$wine_prefix" \
                          "$bin/iocp_echo_server.exe" "$2" 2 $(( $3 + 3 )) > /dev/null 2>&1 ;;
    esac
}

# IMPLS adds columns, e.g. IMPLS="uring uring-fixed epoll ws2uring wine-builtin";
# go-builtin and go-ws2uring are the Go echo server under Wine on each DLL.
impls=${IMPLS:-uring epoll ws2uring}

# Under Wine the server side is the program and wineserver: both pinned to
# the server's CPU (where wineserver runs moves the figures by up to 2.6x).
wine_prefix=$(readlink -f "$out")/wine-prefix
wine_copy=$(readlink -f "$out")/iocp_echo_server_builtin.exe
go_exe=$(readlink -f "$build")/tests/go/goserver.exe
go_copy=$(readlink -f "$out")/goserver_builtin.exe
launcher=$(dirname "$0")/../wine-glue/ws2uring-wine
export WS2URING_GLUE_DIR=${WS2URING_GLUE_DIR:-$(readlink -f "$build")/wine-glue}
if [[ " $impls " == *" wine-"* || " $impls " == *" go-"* ]]; then
    cp -f "$bin/iocp_echo_server.exe" "$wine_copy"
    [[ " $impls " != *" go-"* ]] || cp -f "$go_exe" "$go_copy"
    export WINEDEBUG=-all
    [ -f "$wine_prefix/system.reg" ] || WINEPREFIX=$wine_prefix wineboot -i > /dev/null 2>&1
    WINEPREFIX=$wine_prefix wineserver -k 2> /dev/null || true
    WINEPREFIX=$wine_prefix taskset -c $srv_cpu wineserver -p
    trap 'WINEPREFIX=$wine_prefix wineserver -k 2> /dev/null || true' EXIT
fi
alt_prefix=$(readlink -f "$out")/wine-prefix-alt
alt_launcher=${ALT_GLUE_DIR:-.}/../../wine-glue/ws2uring-wine   # the alternative tree's own launcher
if [[ " $impls " == *" wine-ws2uring-alt "* ]]; then
    [ -d "${ALT_GLUE_DIR:-}" ] || { echo "wine-ws2uring-alt: set ALT_GLUE_DIR to another build's wine-glue" >&2; exit 2; }
    [ -f "$alt_launcher" ] || alt_launcher=$launcher
    [ -f "$alt_prefix/system.reg" ] || WINEPREFIX=$alt_prefix wineboot -i > /dev/null 2>&1
    WINEPREFIX=$alt_prefix wineserver -k 2> /dev/null || true
    WINEPREFIX=$alt_prefix taskset -c $srv_cpu wineserver -p
    trap 'WINEPREFIX=$wine_prefix wineserver -k 2> /dev/null; WINEPREFIX=$alt_prefix wineserver -k 2> /dev/null || true' EXIT
fi
for conns in 1 16 64; do
    for size in 64 4096; do
        for round in $(seq "$rounds"); do
            for impl in $impls; do
                port=$(( 20000 + RANDOM % 30000 ))
                serve "$impl" "$port" $(( secs + warm + 3 )) &
                pid=$!
                taskset -c $cli_cpu "$bin/loadgen" "$impl" "$port" "$conns" "$size" "$secs" "$warm" \
                    | tee -a "$raw"
                kill "$pid" 2> /dev/null || true
                wait "$pid" 2> /dev/null || true
            done
        done
    done
done

python3 - "$raw" "$out" <<'PY'
import re, statistics, sys
raw, out = sys.argv[1], sys.argv[2]
runs = {}
for line in open(raw):
    f = dict(kv.split("=", 1) for kv in line.split())
    key = (int(f["conns"]), int(f["size"]), f["impl"])
    runs.setdefault(key, []).append((float(f["req_per_sec"]), int(f["p99_us"]), int(f["errors"])))
med = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
p99 = {k: statistics.median(r[1] for r in v) for k, v in runs.items()}
errs = sum(r[2] for v in runs.values() for r in v)
print()
print("| conns | size | uring req/s | epoll req/s | ws2uring req/s | ws2uring/uring | ws2uring p99 us |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
with open(f"{out}/echo-table.dat", "w") as dat:
    for conns in (1, 16, 64):
        for size in (64, 4096):
            u, e, w = (med.get((conns, size, i), 0) for i in ("uring", "epoll", "ws2uring"))
            ratio = w / u if u else 0
            print(f"| {conns} | {size} | {u:.0f} | {e:.0f} | {w:.0f} | {ratio:.2f} | {p99.get((conns, size, 'ws2uring'), 0)} |")
            if size == 64:
                wb = med.get((conns, size, "wine-builtin"), 0)
                ww = med.get((conns, size, "wine-ws2uring"), 0)
                dat.write(f"{conns} {u:.0f} {e:.0f} {w:.0f} {wb:.0f} {ww:.0f}\n")
extra = sorted({k[2] for k in med} - {"uring", "epoll", "ws2uring", "wine-builtin", "wine-ws2uring", "wine-compat",
                                       "go-builtin", "go-ws2uring", "wine-ws2uring-alt"})
for impl in extra:
    print(f"\n| conns | size | {impl} req/s | {impl}/uring |")
    print("| ---: | ---: | ---: | ---: |")
    for conns in (1, 16, 64):
        for size in (64, 4096):
            x, u = med.get((conns, size, impl), 0), med.get((conns, size, "uring"), 0)
            print(f"| {conns} | {size} | {x:.0f} | {x / u if u else 0:.2f} |")
if any(k[2] == "wine-ws2uring" for k in med) and any(k[2] == "wine-builtin" for k in med):
    print("\nUnder Wine: the same PE server on ws2uring and on Wine's builtin ws2_32")
    print("\n| conns | size | builtin req/s | ws2uring req/s | ws2uring/builtin | compatible mode req/s | compatible/builtin |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for conns in (1, 16, 64):
        for size in (64, 4096):
            b, w = med.get((conns, size, "wine-builtin"), 0), med.get((conns, size, "wine-ws2uring"), 0)
            c = med.get((conns, size, "wine-compat"), 0)
            print(f"| {conns} | {size} | {b:.0f} | {w:.0f} | {w / b if b else 0:.2f} | {c:.0f} | {c / b if b else 0:.2f} |")
def versus(title, base, other, base_name, other_name):
    """One table: other's medians against base's, with other's p99."""
    if not any(k[2] == base for k in med) or not any(k[2] == other for k in med):
        return
    print(f"\n{title}")
    print(f"\n| conns | size | {base_name} req/s | {other_name} req/s | {other_name}/{base_name} | {other_name} p99 us |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for conns in (1, 16, 64):
        for size in (64, 4096):
            b, w = med.get((conns, size, base), 0), med.get((conns, size, other), 0)
            print(f"| {conns} | {size} | {b:.0f} | {w:.0f} | {w / b if b else 0:.2f} | {p99.get((conns, size, other), 0)} |")
versus("Under Wine: the PE server on this build's glue and on ALT_GLUE_DIR's, interleaved",
       "wine-ws2uring-alt", "wine-ws2uring", "alternative", "this build")
versus("Under Wine: the Go echo server (tests/go/goserver) on ws2uring and on Wine's builtin ws2_32",
       "go-builtin", "go-ws2uring", "builtin", "ws2uring")
print(f"\nerrors in all runs: {errs}")
PY

if command -v gnuplot > /dev/null; then
    gnuplot <<GP
set terminal pngcairo size 800,500 noenhanced
set output "$out/echo.png"
set title "Echo, 64-byte ping-pong: requests/s by connections (median of $rounds)"
set xlabel "connections"
set ylabel "requests/s"
set logscale x 2
set key left top
set grid
plot "$out/echo-table.dat" using 1:2 with linespoints title "raw io_uring", \
     "" using 1:3 with linespoints title "epoll", \
     "" using 1:4 with linespoints title "Win32 IOCP on ws2uring", \
     "" using 1:(\$5 > 0 ? \$5 : 1/0) with linespoints title "PE under Wine, builtin ws2_32", \
     "" using 1:(\$6 > 0 ? \$6 : 1/0) with linespoints title "PE under Wine on ws2uring"
GP
    echo "plot: $out/echo.png"
fi
