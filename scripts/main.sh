#!/usr/bin/env bash
# The main job: install what is missing, build, and run the completion-port
# benchmark (ws2uring beside a plain mutex+condvar queue, one run).
#   scripts/main.sh [ops-per-run] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
ws2u_ensure_packages
ws2u_configure build
ninja -C build >/dev/null
echo "ws2uring: built in build/ (library build/libws2uring.so, pkg-config: build/meson-uninstalled)"
./build/benchmarks/bench_iocp "${1:-2000000}" "${2:-7}"
