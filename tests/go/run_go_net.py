#!/usr/bin/env python3
"""Go's own net package tests (go test -c net, windows/amd64) under Wine,
on ws2uring and on Wine's builtin ws2_32, in one run: each Test function
in its own process with a 60 s limit (tests/side_by_side.py).

    run_go_net.py SOURCE_ROOT BUILD_ROOT TEST_BUILD_DIR

Prints per DLL: tests, passed, failed, skipped, hangs, time; then every test
whose outcome differs.  The per-test table goes to go-net-report.txt."""
import os
import subprocess
import sys

src, build, out = sys.argv[1:4]
sys.path.insert(0, os.path.join(src, "tests"))
from side_by_side import SideBySide  # noqa: E402

goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True).stdout.strip()
# The tests read testdata/ from the package's folder.
suite = SideBySide("go-net", src, build, os.path.join(out, "net.test.exe"), cwd=os.path.join(goroot, "src", "net"))


def outcome(s, dll, name):
    # Not -test.short: that skips a third of the tests (the long ones, and
    # those that want the Internet, which fail here on both DLLs).
    rc, o = s.run(dll, ["-test.run", "^%s$" % name, "-test.v", "-test.timeout", "%ds" % (s.limit - 5)], s.limit)
    if rc is None or "panic: test timed out" in o:
        return "HANG", o
    if rc == 0 and ("--- SKIP: %s " % name) in o:
        return "SKIP", o
    if rc == 0 and ("--- PASS: %s " % name) in o:
        return "PASS", o
    return "FAIL", o


def names(o):
    return [line for line in o.split("\n") if line.startswith("Test")]


sys.exit(suite.compare(["-test.list", "^Test"], names, outcome, os.path.join(out, "go-net-report.txt")))
