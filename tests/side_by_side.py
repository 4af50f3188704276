"""Runs a Windows program's own tests under Wine, one test per process,
on ws2uring (through the launcher, as a user runs it) and on Wine's
builtin ws2_32 in the same run, the two DLLs side by side (a prefix and a
wineserver each; at the same time unless the tests share fixed ports),
and compares them test by test.

A suite using it gives the program, how to list its tests and how to read
one test's outcome (PASS, FAIL, SKIP or HANG); this module does the rest:
the prefixes, the time limit, the retries, the table, the report and the
exit status.  A test fails the run when ws2uring fails or hangs where the
builtin passes, or hangs anywhere; such a test is run twice more first, so
that one slow moment on a loaded machine does not count."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

DLLS = ("ws2uring", "builtin")


class SideBySide:
    def __init__(self, name, src, build, exe, cwd=None, limit=60, parallel=True):
        """parallel: both DLLs at once; False for a suite whose tests use
        fixed ports (they would meet on them)."""
        self.name, self.exe, self.cwd, self.limit, self.parallel = name, exe, cwd, limit, parallel
        base, ext = os.path.splitext(exe)
        # Another name: the launcher's per-program override must not apply.
        self.builtin_exe = base + "_builtin" + ext
        shutil.copyfile(exe, self.builtin_exe)
        self.launcher = os.path.join(src, "wine-glue", "ws2uring-wine")
        self.prefix = {d: os.path.join(build, "%s-prefix-%s" % (name, d)) for d in DLLS}
        self.env = dict(os.environ, WINEDEBUG="-all", WS2URING_GLUE_DIR=os.path.join(build, "wine-glue"))
        self.took = {}

    def command(self, dll, args):
        if dll == "ws2uring":
            return ["bash", self.launcher, "--prefix", self.prefix[dll], self.exe] + args
        return ["wine", self.builtin_exe] + args

    def run(self, dll, args, timeout):
        """(exit status, or None on timeout; output).  The output goes
        through a file, not a pipe: Wine's services, started by the first
        program of a prefix, live on and would keep a pipe open."""
        with tempfile.TemporaryFile() as f:
            p = subprocess.Popen(self.command(dll, args), cwd=self.cwd, stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=dict(self.env, WINEPREFIX=self.prefix[dll]),
                                 start_new_session=True)
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                rc = None
            f.seek(0)
            return rc, f.read().decode(errors="replace").replace("\r", "")

    def prepare(self, dll, list_args, parse):
        """The test names.  The first start creates the prefix (Wine's own
        start-up, or the launcher's); then a wineserver stays up for it,
        or each of hundreds of processes would start one (seconds each)."""
        rc, o = self.run(dll, list_args, 300)
        subprocess.run(["wineserver", "-p"], env=dict(self.env, WINEPREFIX=self.prefix[dll]),
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return parse(o), rc

    def stop_servers(self):
        for dll in DLLS:
            subprocess.run(["wineserver", "-k"], env=dict(self.env, WINEPREFIX=self.prefix[dll]),
                           stderr=subprocess.DEVNULL)

    def compare(self, list_args, parse, outcome, report, wanted=lambda n: True):
        """Lists the tests on both DLLs, runs each of those wanted on both
        (outcome(self, dll, name) -> (PASS|FAIL|SKIP|HANG, output)), prints
        the comparison and writes report; returns the exit status."""
        names, rc = self.prepare("builtin", list_args, parse)
        wnames, wrc = self.prepare("ws2uring", list_args, parse)
        if not names or rc != 0 or wrc != 0 or set(wnames) != set(names):
            print("FAIL: could not list the tests (builtin exit %s, %d names; ws2uring exit %s, %d names)"
                  % (rc, len(names), wrc, len(wnames)))
            self.stop_servers()
            return 1
        names = [n for n in names if wanted(n)]
        results = {d: {} for d in DLLS}
        outputs, elapsed = {}, {}

        def one(dll, n):
            start = time.monotonic()
            results[dll][n], outputs[(dll, n)] = outcome(self, dll, n)
            self.took[(dll, n)] = time.monotonic() - start

        def run_all(dll):
            start = time.monotonic()
            for n in names:
                one(dll, n)
            elapsed[dll] = time.monotonic() - start

        threads = [threading.Thread(target=run_all, args=(d,)) for d in DLLS]
        for t in threads:
            t.start()
            if not self.parallel:
                t.join()
        for t in threads:
            t.join()

        def bad(n):
            w, b = results["ws2uring"][n], results["builtin"][n]
            return (b == "PASS" and w != "PASS") or w == "HANG"

        retried = []
        for n in names:
            for _ in range(2):
                if not bad(n):
                    break
                retried.append(n)
                one("ws2uring", n)
        self.stop_servers()

        print("| DLL | tests | passed | failed | skipped | hangs | time |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for dll in DLLS:
            r = list(results[dll].values())
            print("| %s | %d | %d | %d | %d | %d | %.0f s |" % (dll, len(r), r.count("PASS"), r.count("FAIL"),
                                                               r.count("SKIP"), r.count("HANG"), elapsed[dll]))
        with open(report, "w") as rep:
            for n in names:
                rep.write("%s ws2uring=%s %.1fs builtin=%s %.1fs\n" % (
                    n, results["ws2uring"][n], self.took[("ws2uring", n)], results["builtin"][n],
                    self.took[("builtin", n)]))
        for n in names:
            w, b = results["ws2uring"][n], results["builtin"][n]
            if w != b:
                print("differs: %s: ws2uring %s, builtin %s" % (n, w, b))
        if retried:
            print("run again on ws2uring: " + " ".join(sorted(set(retried))))
        failed = [n for n in names if bad(n)]
        for n in failed:
            print("FAIL %s: ws2uring %s where the builtin %s; its last lines:"
                  % (n, results["ws2uring"][n], results["builtin"][n]))
            for line in outputs[("ws2uring", n)].strip().split("\n")[-15:]:
                print("  " + line)
        print("%s: %s" % (self.name, "ws2uring passes every test the builtin passes, no hang" if not failed
                          else "%d tests fail on ws2uring that pass on the builtin (or hang)" % len(failed)))
        sys.stdout.flush()
        return 1 if failed else 0
