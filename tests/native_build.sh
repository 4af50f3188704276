#!/usr/bin/env bash
# Builds a Win32 source natively the way a user does, with the flags from
# the build tree's uninstalled ws2uring.pc, then runs it.
#   native_build.sh BUILD_DIR SOURCE
set -euo pipefail
build=$1
src=$2
out=$build/tests/native-$(basename "$src" .c)
export PKG_CONFIG_PATH=$build/meson-uninstalled
# shellcheck disable=SC2046  # pkg-config output is a word list on purpose
cc -O2 -Wall -Werror -o "$out" "$src" $(pkg-config --cflags --libs ws2uring)
LD_LIBRARY_PATH=$build exec "$out"
