#!/usr/bin/env bash
# Every test: the Check suites and the native Win32 build, then the suites
# again built with AddressSanitizer + UndefinedBehaviorSanitizer, and the
# threaded suites built with ThreadSanitizer; both fail on any report.  Ends with one line "ws2uring: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
ws2u_ensure_packages || exit 1
ws2u_ensure_deb_src || exit 1     # the Wine conformance suite's sources

status=0
# The main build must have the Wine glue: its tests run for real, in CI too.
ws2u_configure build -Dwine_glue=enabled || exit 1
ws2u_configure build-asan -Dbuildtype=debug -Db_lto=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dwine_glue=disabled || exit 1
ws2u_configure build-tsan -Dbuildtype=debug -Db_lto=false \
    -Db_sanitize=thread -Db_lundef=false -Dwine_glue=disabled || exit 1
ninja -C build >/dev/null || exit 1
ninja -C build-asan >/dev/null || exit 1
ninja -C build-tsan >/dev/null || exit 1

echo "== unit tests =="
meson test -C build --print-errorlogs || status=1
echo "== unit tests under ASan+UBSan =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs || status=1
# The suites whose requests cross threads (submitter, reaper, waiters).  A
# report ends its test (halt_on_error); no suppressions.  Without address
# randomization, because ThreadSanitizer's fixed shadow layout clashes with
# the wide mmap randomization of recent kernels.
echo "== threaded suites under ThreadSanitizer =="
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    setarch "$(uname -m)" --addr-no-randomize \
    meson test -C build-tsan --print-errorlogs uring iocp ws2 overlapped || status=1

# Count test cases: Check's "Checks: N, Failures: F, Errors: E" lines, and
# each non-Check test (the native build) as one case.
summary=$(python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
    build-tsan/meson-logs/testlog.json <<'PY'
import json, re, sys
passed = failed = 0
for path in sys.argv[1:]:
    for line in open(path):
        t = json.loads(line)
        m = re.search(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)", t.get("stdout", ""))
        if m:
            n, f, e = map(int, m.groups())
            passed += n - f - e
            failed += f + e
            if t["result"] != "OK" and f + e == 0:
                failed += 1          # the executable itself failed (sanitizer, crash)
        elif t["result"] == "OK":
            passed += 1
        elif t["result"] != "SKIP":
            failed += 1
print(passed, failed)
PY
) || status=1
read -r passed failed <<<"${summary:-0 1}"
[ "$failed" -eq 0 ] || status=1
echo "ws2uring: $passed passed, $failed failed"
exit $status
