#!/usr/bin/env python3
"""libuv's own test suite (Debian's libuv1 source, built for Windows with
mingw-w64) under Wine, on ws2uring and on Wine's builtin ws2_32, in one
run: each network test in its own process with a 60 s limit, the builtin's
run and then ws2uring's (tests/side_by_side.py).  libuv reaches Winsock through every door a
runtime uses: AcceptEx and ConnectEx from WSAIoctl, WSARecv/WSASend on a
completion port with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, uv_poll's
IOCTL_AFD_POLL on \\Device\\Afd, and sockets handed to a child process.

    run_libuv.py SOURCE_ROOT BUILD_ROOT EXE

Prints per DLL: tests, passed, failed, skipped, hangs, time; then every test
whose outcome differs.  The per-test table goes to libuv-report.txt."""
import os
import re
import sys

src, build, exe = sys.argv[1:3] + [os.path.abspath(sys.argv[3])]
sys.path.insert(0, os.path.join(src, "tests"))
from side_by_side import SideBySide  # noqa: E402

# The tests of sockets, name look-up and readiness; libuv's file system,
# tty, process and thread tests do not reach ws2_32.
NETWORK = re.compile(r"^(tcp|udp|poll|getaddrinfo|getnameinfo|gethostname|getsockname|ip[46]_|ip_name|connect|"
                     r"listen|delayed_accept|multiple_listen|socket|shutdown|close|callback_stack|not_readable|"
                     r"not_writable|readable_on_eof|ipc_|spawn_tcp_server|threadpool_cancel_get|"
                     r"interface_addresses)")
# Tests whose outcome depends on the machine's network, not on the DLL.
NOT_COMPARED = {
    "tcp_close_while_connecting": "connects to 1.2.3.4 expecting no route; where a network answers every "
                                  "address (this CI's does), a connect quick enough succeeds before the close",
}
for name, why in NOT_COMPARED.items():
    print("# not compared: %s: %s" % (name, why))
# libuv's tests listen on fixed ports (TEST_PORT 9123 and a few more):
# one DLL after the other.
suite = SideBySide("libuv", src, build, exe, cwd=os.path.dirname(exe), parallel=False)
# libuv's own limit per test is seconds; under Wine on a loaded 2-core
# machine both DLLs need more.
suite.env["UV_TEST_TIMEOUT_MULTIPLIER"] = "4"


def outcome(s, dll, name):
    rc, o = s.run(dll, [name], s.limit)
    if rc is None or re.search(r"^not ok \d+ - %s\b.*timeout" % re.escape(name), o, re.M | re.I):
        return "HANG", o
    if re.search(r"^ok \d+ - %s # SKIP" % re.escape(name), o, re.M):
        return "SKIP", o
    if rc == 0 and re.search(r"^ok \d+ - %s\s*$" % re.escape(name), o, re.M):
        return "PASS", o
    return "FAIL", o


def names(o):
    # "--list" prints one name a line, a test's helper processes after it.
    return [line.split()[0] for line in o.split("\n") if re.match(r"^[a-z]\w*(\s|$)", line)]


sys.exit(suite.compare(["--list"], names, outcome, os.path.join(os.path.dirname(exe), "libuv-report.txt"),
                       wanted=lambda n: NETWORK.match(n) and n not in NOT_COMPARED))
