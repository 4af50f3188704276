#!/usr/bin/env python3
"""Go's own net package tests (go test -c net, windows/amd64) under Wine,
on ws2uring (through the launcher) and on Wine's builtin ws2_32, in one run:
each Test function in its own process with a 60 s limit, the two DLLs side
by side (a prefix each).  Fails when ws2uring fails or hangs in a test the
builtin passes, or hangs anywhere; a test that does so is run twice more
first, so that one slow moment on a loaded machine does not count.

    run_go_net.py SOURCE_ROOT BUILD_ROOT TEST_BUILD_DIR

Prints per DLL: tests, passed, failed, skipped, hangs, time; then every test
whose outcome differs.  The per-test table goes to go-net-report.txt."""
import os, shutil, signal, subprocess, sys, tempfile, threading, time

src, build, out = sys.argv[1:4]
limit = 60
exe = os.path.join(out, "net.test.exe")
builtin_exe = os.path.join(out, "net_builtin.test.exe")
shutil.copyfile(exe, builtin_exe)   # another name: the launcher's override must not apply
launcher = os.path.join(src, "wine-glue", "ws2uring-wine")
goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True).stdout.strip()
cwd = os.path.join(goroot, "src", "net")    # the tests read testdata/ from here
prefix = {d: os.path.join(build, "go-net-prefix-" + d) for d in ("ws2uring", "builtin")}
env = dict(os.environ, WINEDEBUG="-all", WS2URING_GLUE_DIR=os.path.join(build, "wine-glue"))


def command(dll, args):
    if dll == "ws2uring":
        return ["bash", launcher, "--prefix", prefix[dll], exe] + args
    return ["wine", builtin_exe] + args


def run(dll, args, timeout):
    """(exit status or None on timeout, output).  The output goes through a
    file, not a pipe: Wine's services, started by the first program of a
    prefix, live on and would keep a pipe open."""
    with tempfile.TemporaryFile() as f:
        p = subprocess.Popen(command(dll, args), cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=dict(env, WINEPREFIX=prefix[dll]),
                             start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            rc = None
        f.seek(0)
        return rc, f.read().decode(errors="replace").replace("\r", "")


took = {}


def outcome(dll, name):
    start = time.monotonic()
    # Not -test.short: that skips a third of the tests (the long ones, and
    # those that want the Internet, which fail here on both DLLs).
    rc, o = run(dll, ["-test.run", "^%s$" % name, "-test.v", "-test.timeout", "%ds" % (limit - 5)], limit)
    took[(dll, name)] = time.monotonic() - start
    if rc is None or "panic: test timed out" in o:
        return "HANG", o
    if rc == 0 and ("--- SKIP: %s " % name) in o:
        return "SKIP", o
    if rc == 0 and ("--- PASS: %s " % name) in o:
        return "PASS", o
    return "FAIL", o


def prepare(dll):
    """The test names; the first start creates the prefix (wine's own
    start-up, or the launcher's), then a wineserver stays up for it:
    otherwise each of the ~200 processes would start one (seconds each)."""
    rc, o = run(dll, ["-test.list", "^Test"], 300)
    subprocess.run(["wineserver", "-p"], env=dict(env, WINEPREFIX=prefix[dll]),
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return [l for l in o.split("\n") if l.startswith("Test")], rc


names, rc = prepare("builtin")
wnames, wrc = prepare("ws2uring")
if not names or rc != 0 or wrc != 0 or set(wnames) != set(names):
    print("FAIL: could not list the tests (builtin exit %s, %d names; ws2uring exit %s, %d names)"
          % (rc, len(names), wrc, len(wnames)))
    for dll in prefix:
        subprocess.run(["wineserver", "-k"], env=dict(env, WINEPREFIX=prefix[dll]), stderr=subprocess.DEVNULL)
    sys.exit(1)

results = {"ws2uring": {}, "builtin": {}}
outputs = {}
elapsed = {}


def run_all(dll):
    """Every test on one DLL, one after another."""
    start = time.monotonic()
    for n in names:
        results[dll][n], outputs[(dll, n)] = outcome(dll, n)
    elapsed[dll] = time.monotonic() - start


threads = [threading.Thread(target=run_all, args=(d,)) for d in results]
for t in threads:
    t.start()
for t in threads:
    t.join()

retried = []
for n in names:
    w, b = results["ws2uring"][n], results["builtin"][n]
    if (b == "PASS" and w != "PASS") or w == "HANG":
        for _ in range(2):
            retried.append(n)
            results["ws2uring"][n], outputs[("ws2uring", n)] = outcome("ws2uring", n)
            if results["ws2uring"][n] == "PASS" or (b != "PASS" and results["ws2uring"][n] != "HANG"):
                break

for dll in ("ws2uring", "builtin"):
    subprocess.run(["wineserver", "-k"], env=dict(env, WINEPREFIX=prefix[dll]), stderr=subprocess.DEVNULL)

print("| DLL | tests | passed | failed | skipped | hangs | time |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for dll in ("ws2uring", "builtin"):
    r = list(results[dll].values())
    print("| %s | %d | %d | %d | %d | %d | %.0f s |" % (dll, len(r), r.count("PASS"), r.count("FAIL"),
                                                       r.count("SKIP"), r.count("HANG"), elapsed[dll]))
with open(os.path.join(out, "go-net-report.txt"), "w") as rep:
    for n in names:
        rep.write("%s ws2uring=%s %.1fs builtin=%s %.1fs\n" % (n, results["ws2uring"][n], took[("ws2uring", n)],
                                                          results["builtin"][n], took[("builtin", n)]))
bad = []
for n in names:
    w, b = results["ws2uring"][n], results["builtin"][n]
    if w != b:
        print("differs: %s: ws2uring %s, builtin %s" % (n, w, b))
    if (b == "PASS" and w != "PASS") or w == "HANG":
        bad.append(n)
if retried:
    print("run again on ws2uring: " + " ".join(sorted(set(retried))))
for n in bad:
    print("FAIL %s: ws2uring %s where the builtin %s; its last lines:" % (n, results["ws2uring"][n], results["builtin"][n]))
    for l in outputs[("ws2uring", n)].strip().split("\n")[-15:]:
        print("  " + l)
print("go-net: %s" % ("ws2uring passes every test the builtin passes, no hang" if not bad
                      else "%d tests fail on ws2uring that pass on the builtin (or hang)" % len(bad)))
sys.exit(1 if bad else 0)
