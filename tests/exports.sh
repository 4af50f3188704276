#!/usr/bin/env bash
# Every name Wine 8.0's ws2_32.dll exports (tests/ws2_32.exports, from
# `winedump -j export`) must be provided by libws2uring.so natively, under
# its own name or, for names glibc also has, as ws2u_NAME / __wrap_NAME.
#   exports.sh LIBRARY LIST
set -euo pipefail
lib=$1
list=$2
have=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/^ws2u_//; s/^__wrap_//' | sort -u)
missing=$(comm -23 <(sort -u "$list") <(printf '%s\n' "$have"))
if [ -n "$missing" ]; then
    echo "missing exports:" $missing
    exit 1
fi
echo "all $(wc -l < "$list") ws2_32 exports present"
