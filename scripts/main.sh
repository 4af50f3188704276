#!/usr/bin/env bash
# The main job: install what is missing, build, and run the benchmarks:
# completion-port throughput (ws2uring beside a mutex+condvar queue), then
# the echo comparison (Win32 IOCP server on ws2uring beside raw io_uring and
# epoll servers, and the same server as a PE under Wine on its builtin
# ws2_32 and on ws2uring; one run, tables and PNG plot), then two optimisations on and
# off in one run (batched submission, inline receives; bench_bulk).
#   scripts/main.sh [echo-seconds] [echo-rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
ws2u_ensure_packages gnuplot-nox
ws2u_configure build
ninja -C build >/dev/null
echo "ws2uring: built in build/ (library build/libws2uring.so, pkg-config: build/meson-uninstalled)"
./build/benchmarks/bench_iocp 2000000 7
# The echo comparison includes the same server as a Windows program under
# Wine, on Wine's builtin ws2_32 and on ws2uring (fast and compatible mode).
IMPLS="uring epoll ws2uring wine-builtin wine-ws2uring wine-compat" bash benchmarks/run_echo.sh build "${1:-3}" 1 "${2:-3}"
bash benchmarks/run_bulk.sh build 2 "${2:-3}"
