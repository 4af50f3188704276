#!/bin/bash
# Builds libuv's own test runner, uv_run_tests_a.exe (libuv and its tests,
# linked statically), for Windows with mingw-w64, from Debian's libuv1
# source package (apt-get source; the project's set-up adds the deb-src
# entry).  The source is fetched once into the build folder.
#   build_libuv.sh OUTPUT_EXE WORK_DIR
set -euo pipefail
out=$(realpath -m "$1") work=$2
mkdir -p "$work"
cd "$work"
if [ ! -e src/.complete ]; then
    echo "# getting Debian's libuv1 source (apt-get source, once)"
    rm -rf download src
    mkdir download
    (cd download && apt-get source --download-only -qq libuv1 2>/dev/null)
    dpkg-source --no-check -x download/*.dsc src >/dev/null
    touch src/.complete
fi
cat > mingw.cmake <<'TOOLCHAIN'
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
TOOLCHAIN
# -O1: a third quicker to build than libuv's -O2 default, and what the
# tests need.
[ -e build/build.ninja ] ||
    cmake -S src -B build -G Ninja -DCMAKE_TOOLCHAIN_FILE="$work/mingw.cmake" -DBUILD_TESTING=ON \
          -DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS=-O1 >cmake.log
ninja -C build uv_run_tests_a >ninja.log
cp -f build/uv_run_tests_a.exe "$out"
