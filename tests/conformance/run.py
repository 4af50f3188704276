#!/usr/bin/env python3
"""Wine's own ws2_32 conformance tests, on ws2uring and on Wine's builtin.

  run.py SOURCE_ROOT BUILD_ROOT [--files sock,afd,protocol] [--dlls ws2uring,builtin]
         [--only UNIT,...] [--report FILE]

1. Gets dlls/ws2_32/tests and include/ of Debian's wine source package, the
   version of the installed wine64 (apt-get source; the project's set-up adds
   the deb-src entry), once, into BUILD_ROOT/conformance/wine-VERSION.
2. Builds each test file as a Windows program with mingw-w64 against Wine's
   own headers and import libraries, with driver.c as its test list and
   units.py's cut of its START_TEST into units.
3. Runs each file under Wine on ws2uring (through the ws2uring-wine
   launcher) and on the builtin, in one prefix.  A watchdog gives each unit
   a time limit: a unit that hangs is killed, one that crashes ends its
   process, and the file goes on from the next unit.
4. Prints, per file and DLL: checks executed, failures, todo, skipped,
   crashes, hangs, time; then each check ws2uring fails where the builtin
   passes it.  Exits 1 when such a check, or a crash or hang only on
   ws2uring, is not in expected-failures.txt, or when an entry there no
   longer fails (the list may only shrink).
"""
import argparse
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ["sock", "afd", "protocol"]
# The test DLL's imports (dlls/ws2_32/tests/Makefile.in), then the defaults
# of a Wine test module.
LIBS = ["-lwinecrt0", "-liphlpapi", "-lws2_32", "-luser32", "-lmsvcrt", "-lkernel32", "-lntdll", "-lgcc"]
WINE_PE_LIBS = "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows"
UNIT_LIMIT = 120          # seconds a unit may run before it counts as hung
CHECK = re.compile(r"^([\w.]+):(\d+):(?:[\d.]+:)? (Test failed|Test marked todo|Test succeeded inside todo block|"
                   r"Test marked flaky|Test succeeded inside flaky todo block|Tests skipped)")
SUMMARY = re.compile(r"^[0-9a-f]+:\w+:(?:[\d.]+:)? (\d+) tests executed \((\d+) marked as todo, (\d+) as flaky, "
                     r"(\d+) failures?\), (\d+) skipped")
# A check whose condition was false: a plain failure, or one marked todo
# (expected to fail under Wine).  "Succeeded inside todo" passed.
BAD = ("Test failed", "Test marked todo", "Test marked flaky")


def say(*a):
    print(*a, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# ---- 1. the sources -------------------------------------------------------------

def wine_source(build):
    q = subprocess.run(["dpkg-query", "-W", "-f=${source:Package} ${source:Version}", "wine64"],
                       capture_output=True, text=True)
    if q.returncode:
        raise SystemExit("wine64 is not installed (scripts/setup.sh installs it)")
    package, version = q.stdout.split()
    dest = os.path.join(build, "conformance", f"wine-{version}")
    if os.path.exists(os.path.join(dest, ".complete")):
        return dest, version
    say(f"# getting {package} {version}'s conformance tests (apt-get source, once)")
    tmp = dest + ".download"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    r = subprocess.run(["apt-get", "source", "--download-only", "-qq", f"{package}={version}"], cwd=tmp,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        raise SystemExit(f"apt-get source {package}={version} failed (no deb-src entry? scripts/setup.sh "
                         f"adds one):\n{r.stderr}")
    dsc = [f for f in os.listdir(tmp) if f.endswith(".dsc")][0]
    sh(["dpkg-source", "--no-check", "-x", dsc, "src"], cwd=tmp, stdout=subprocess.DEVNULL)
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(os.path.join(dest, "dlls", "ws2_32"))
    shutil.copytree(os.path.join(tmp, "src", "dlls", "ws2_32", "tests"),
                    os.path.join(dest, "dlls", "ws2_32", "tests"))
    shutil.copytree(os.path.join(tmp, "src", "include"), os.path.join(dest, "include"))
    shutil.rmtree(tmp)
    open(os.path.join(dest, ".complete"), "w").close()
    return dest, version


# ---- 2. the programs --------------------------------------------------------------

def newer(target, *inputs):
    return not os.path.exists(target) or any(os.path.getmtime(i) > os.path.getmtime(target) for i in inputs)


def build_file(name, wine, out):
    """Builds ws2_32_NAME.exe; returns its units [(index, name)]."""
    src = os.path.join(wine, "dlls", "ws2_32", "tests", name + ".c")
    cut = os.path.join(out, name + ".c")
    units_txt = os.path.join(out, name + ".units")
    exe = os.path.join(out, f"ws2_32_{name}.exe")
    units_py, driver = os.path.join(HERE, "units.py"), os.path.join(HERE, "driver.c")
    if newer(units_txt, src, units_py):
        with open(units_txt, "w") as f:
            sh([sys.executable, units_py, src, cut], stdout=f)
    if newer(exe, cut, driver):
        # As Wine's build compiles a test module: its headers, msvcrt's.
        flags = ["-nostdinc", "-I" + os.path.join(wine, "include", "msvcrt"), "-I" + os.path.join(wine, "include"),
                 "-D_MSVCR_VER=0", "-D__WINESRC__", "-D_WIN32", "-fno-builtin", "-fshort-wchar", "-Wno-format",
                 "-O2", "-w"]
        cc = "x86_64-w64-mingw32-gcc"
        sh([cc] + flags + ["-c", "-o", cut[:-2] + ".o", cut])
        sh([cc] + flags + [f"-DW2U_TEST_NAME={name}", "-c", "-o", cut[:-2] + "_driver.o", driver])
        sh([cc, "-nostdlib", "-nostartfiles", "-Wl,--entry,mainCRTStartup", "-o", exe, cut[:-2] + ".o",
            cut[:-2] + "_driver.o", "-L" + WINE_PE_LIBS] + LIBS)
    units = []
    for line in open(units_txt):
        i, n = line.split()
        units.append((int(i), n))
    return exe, units


# ---- 3. running, with the watchdog ---------------------------------------------------

class Result:
    def __init__(self):
        self.executed = self.todo = self.failures = self.todo_passed = self.skipped = 0
        self.crashes, self.hangs = [], []      # unit names
        self.done = set()                      # units that ran to their end
        self.bad = defaultdict(int)            # (file, line) -> false checks
        self.first = {}                        # (file, line) -> first message
        self.unit_of = {}                      # (file, line) -> unit where first seen
        self.unit_time = {}
        self.seconds = 0.0


def run_once(cmd, env, units, result, log, limit):
    """Runs the program from unit env['W2U_CONF_FROM']; returns the index to
    go on from, or None when the program ran to its end."""
    names = dict(units)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
    current, deadline, unit_sum, summary, crash = None, time.monotonic() + limit, 0, None, None
    buf = b""
    while True:
        timeout = deadline - time.monotonic()
        ready = select.select([proc.stdout], [], [], max(timeout, 0))[0] if timeout > 0 else []
        if not ready:
            if timeout > 0:
                continue
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            which = current if current is not None else -1
            result.hangs.append(names.get(which, "(between units)"))
            say(f"  HANG {names.get(which, '(between units)')}: killed after {limit} s")
            return (which + 1) if which >= 0 else None
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if line.startswith("@@w2u "):
                f = line.split()
                if f[1] == "begin":
                    current = int(f[2])
                    deadline = time.monotonic() + limit
                elif f[1] == "end":
                    n = [int(x) for x in f[3:9]]
                    result.executed += n[0]
                    result.todo += n[1]
                    result.failures += n[2]
                    result.todo_passed += n[3]
                    result.skipped += n[4]
                    unit_sum += n[0]
                    result.done.add(names[int(f[2])])
                    result.unit_time[names[int(f[2])]] = int(f[9]) / 1000
                    current = None
                    deadline = time.monotonic() + limit
                elif f[1] == "crash":
                    crash = f[3]
                continue
            m = CHECK.match(line)
            if m:
                key = (m.group(1), int(m.group(2)))
                if m.group(3) in BAD:
                    result.bad[key] += 1
                    result.first.setdefault(key, line)
                    result.unit_of.setdefault(key, names.get(current, "(outside units)"))
                continue
            s = SUMMARY.match(line)
            if s:
                summary = [int(x) for x in s.groups()]
    proc.wait()
    if current is not None:
        result.crashes.append(names[current])
        say(f"  CRASH {names[current]}: " + (f"exception {crash}" if crash else f"exit status {proc.returncode}"))
        return current + 1
    if summary:
        # Checks outside any unit (start-up, clean-up) count too.
        result.executed += max(summary[0] - unit_sum, 0)
    return None


def run_file(exe, units, dll, ctx, only):
    res = Result()
    start = time.monotonic()
    env = dict(os.environ, WINEPREFIX=ctx.prefix, WINEDEBUG="-all", W2U_CONF_FROM="0")
    if only:
        env["W2U_CONF_ONLY"] = only
    base = os.path.basename(exe)[:-4]
    if dll == "ws2uring":
        env["WS2URING_GLUE_DIR"] = os.path.join(ctx.build, "wine-glue")
        cmd = ["bash", os.path.join(ctx.source, "wine-glue", "ws2uring-wine"), "--prefix", ctx.prefix, exe,
               base[len("ws2_32_"):]]
    else:
        # Another name, so that ws2uring's per-program override does not apply.
        copy = os.path.join(os.path.dirname(exe), base + "_builtin.exe")
        shutil.copyfile(exe, copy)
        cmd = ["wine", copy, base[len("ws2_32_"):]]
    with open(os.path.join(ctx.out, f"{base}.{dll}.stderr"), "w") as log:
        frm = 0
        while frm is not None and frm < len(units):
            env["W2U_CONF_FROM"] = str(frm)
            frm = run_once(cmd, env, units, res, log, ctx.limit)
    res.seconds = time.monotonic() - start
    return res


def prepare_prefix(ctx):
    """The prefix both DLLs run in; headless (Wine's null display driver,
    so that the tests' windows exist without X)."""
    env = dict(os.environ, WINEPREFIX=ctx.prefix, WINEDEBUG="-all")
    if not os.path.exists(os.path.join(ctx.prefix, "system.reg")):
        say(f"# creating the Wine prefix {ctx.prefix} (once, about 15 s)")
        os.makedirs(ctx.prefix, exist_ok=True)
        subprocess.run(["wineboot", "-i"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["wineserver", "-w"], env=env)
    user = os.path.join(ctx.prefix, "user.reg")
    if '"Graphics"="null"' not in open(user, errors="replace").read():
        subprocess.run(["wine", "reg", "add", r"HKCU\Software\Wine\Drivers", "/v", "Graphics", "/d", "null", "/f"],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["wineserver", "-w"], env=env)
    # A wineserver of its own session: the watchdog kills a hung test's
    # process group, never the server.
    subprocess.Popen(["wineserver", "-p", "30"], env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).wait()


# ---- 4. the comparison ----------------------------------------------------------------

def read_expected(path):
    """{key: (kind, unit, reason)}.  Lines of the list:
         FILE:LINE fails UNIT REASON    the check at FILE:LINE (in UNIT) fails
         FILE:LINE flaky UNIT REASON    it may fail or pass
         FILE:UNIT crash|hang REASON    the unit crashes or hangs"""
    out = {}
    for n, line in enumerate(open(path), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 3)
        kind = parts[1] if len(parts) > 1 else ""
        where = parts[0].split(":", 1)[-1]
        if where.isdigit() and kind in ("fails", "flaky") and len(parts) == 4:
            out[parts[0]] = (kind, parts[2], parts[3])
        elif not where.isdigit() and kind in ("crash", "hang") and len(parts) >= 3:
            out[parts[0]] = (kind, where, line.split(None, 2)[2])
        else:
            raise SystemExit(f"{path}:{n}: want 'FILE:LINE fails|flaky UNIT REASON' or "
                             f"'FILE:UNIT crash|hang REASON'")
    return out


def table(rows):
    for name, dll, r in rows:
        slow = sorted(r.unit_time.items(), key=lambda kv: -kv[1])[:3]
        if slow:
            say(f"# slowest units of {name}.c on {dll}: " + ", ".join(f"{u} {t:.1f} s" for u, t in slow))
    # failures: checks that failed outside todo_wine; todo: inside it (Wine
    # knows it misses Windows there); todo ok: inside it, yet held (as on
    # Windows; wine/test.h counts these as failures too).
    say(f"{'file':<12} {'dll':<9} {'checks':>9} {'failures':>8} {'todo':>6} {'todo ok':>7} {'skipped':>7} "
        f"{'crashes':>7} {'hangs':>5} {'time':>7}")
    for name, dll, r in rows:
        say(f"{name + '.c':<12} {dll:<9} {r.executed:>9} {r.failures:>8} {r.todo:>6} {r.todo_passed:>7} "
            f"{r.skipped:>7} {len(r.crashes):>7} {len(r.hangs):>5} {r.seconds:>6.1f}s")


def compare(name, w, b, expected, seen):
    """Problems: [(unit, text)] where ws2uring is worse than the builtin and
    the list does not say so."""
    problems = []
    fname = name + ".c"
    for kind, lst in (("crash", w.crashes), ("hang", w.hangs)):
        for unit in lst:
            key = f"{fname}:{unit}"
            seen.add(key)
            if unit in b.crashes or unit in b.hangs:
                continue
            if expected.get(key, ("",))[0] == kind:
                continue
            problems.append((unit, f"{key}: {kind}es on ws2uring, runs to its end on the builtin"))
    # A unit the builtin ran that never started on ws2uring (the program
    # did not start, or ended early) is a failure of its own.
    for unit in sorted(b.done):
        if unit not in w.done and unit not in w.crashes and unit not in w.hangs:
            problems.append((unit, f"{fname}:{unit}: did not run on ws2uring"))
    lost = set(b.crashes) | set(b.hangs)
    for key in sorted(w.bad):
        if key[0] != fname or b.bad.get(key) or w.unit_of[key] in lost:
            continue
        k = f"{key[0]}:{key[1]}"
        seen.add(k)
        if expected.get(k, ("",))[0] in ("fails", "flaky"):
            continue
        problems.append((w.unit_of[key], f"{k} ({w.unit_of[key]}): fails on ws2uring ({w.bad[key]}x), passes on "
                                         f"the builtin: {w.first[key]}"))
    return problems


def confirm(name, exe, units, problems, expected, ctx):
    """Runs the units with unexpected problems once more on both DLLs (Wine's
    tests have timing windows): a problem stays only if ws2uring shows it
    again and the builtin passes again; others are reported as flaky."""
    redo = sorted({u for u, _ in problems if u in dict((n, i) for i, n in units)})
    if not redo:
        return [t for _, t in problems]
    say(f"# {name}.c again on both DLLs, for {', '.join(redo)}")
    again = run_file(exe, units, "ws2uring", ctx, ",".join(redo))
    builtin = run_file(exe, units, "builtin", ctx, ",".join(redo))
    stayed = []
    for unit, text in problems:
        where = text.split(" ", 1)[0].rstrip(":")
        line = where.split(":", 1)[1]
        if line.isdigit():
            key = (where.split(":")[0], int(line))
            real = again.bad.get(key) and not builtin.bad.get(key)
        else:
            real = unit in again.crashes or unit in again.hangs or unit not in again.done
        if real:
            stayed.append(text)
        else:
            say(f"FLAKY {text} (not so on a second run of both)")
    return stayed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("build")
    ap.add_argument("--files", default=",".join(FILES))
    ap.add_argument("--dlls", default="ws2uring,builtin")
    ap.add_argument("--only", default="")
    ap.add_argument("--limit", type=int, default=UNIT_LIMIT)
    ap.add_argument("--report", help="write the check-by-check comparison here")
    ap.add_argument("--prune", action="store_true",
                    help="remove the entries that pass now from expected-failures.txt (it only shrinks)")
    ctx = ap.parse_args()
    ctx.source, ctx.build = os.path.abspath(ctx.source), os.path.abspath(ctx.build)
    ctx.out = os.path.join(ctx.build, "conformance")
    ctx.prefix = os.path.join(ctx.out, "prefix")
    os.makedirs(ctx.out, exist_ok=True)

    wine, version = wine_source(ctx.build)
    say(f"# Wine conformance tests of wine {version}, on ws2uring and on the builtin")
    prepare_prefix(ctx)
    expected = read_expected(os.path.join(HERE, "expected-failures.txt"))
    dlls = ctx.dlls.split(",")
    rows, problems, seen, results = [], [], set(), {}
    for name in ctx.files.split(","):
        exe, units = build_file(name, wine, ctx.out)
        for dll in dlls:
            say(f"# {name}.c on {dll} ({len(units)} units)")
            r = run_file(exe, units, dll, ctx, ctx.only)
            results[(name, dll)] = r
            rows.append((name, dll, r))
        if dlls == ["ws2uring", "builtin"]:
            found = compare(name, results[(name, "ws2uring")], results[(name, "builtin")], expected, seen)
            problems += confirm(name, exe, units, found, expected, ctx)
    say("")
    table(rows)
    if dlls != ["ws2uring", "builtin"]:
        return 0
    # Entries that no longer fail must go: the list only shrinks.  Judged
    # only where this run saw the whole unit on ws2uring.
    covered = [n + ".c" for n in ctx.files.split(",")]
    stale = []
    for key, (kind, unit, reason) in expected.items():
        fname, what = key.split(":", 1)
        if fname not in covered or kind == "flaky" or key in seen:
            continue
        r = results[(fname[:-2], "ws2uring")]
        if what.isdigit() and (unit not in r.done or r.bad.get((fname, int(what)))):
            continue
        if not what.isdigit() and what not in r.done:
            continue
        stale.append(f"{key}: in expected-failures.txt ({kind}) but passes on ws2uring now: remove it")
    if ctx.prune and stale:
        path = os.path.join(HERE, "expected-failures.txt")
        gone = {t.split(": ", 1)[0] for t in stale}
        kept = [l for l in open(path) if l.split(None, 1)[:1] == [] or l.split(None, 1)[0] not in gone]
        with open(path, "w") as f:
            f.writelines(kept)
        say(f"# removed {len(gone)} entries that pass now from expected-failures.txt")
        stale = []
    if ctx.report:
        with open(ctx.report, "w") as f:
            for name in ctx.files.split(","):
                w, b = results[(name, "ws2uring")], results[(name, "builtin")]
                for key in sorted(set(w.bad) | set(b.bad)):
                    unit = w.unit_of.get(key) or b.unit_of.get(key)
                    f.write(f"{key[0]}:{key[1]} {unit} ws2uring={w.bad.get(key, 0)} builtin={b.bad.get(key, 0)} "
                            f"{(w.first.get(key) or b.first.get(key))}\n")
                for u in w.crashes + w.hangs:
                    f.write(f"{name}.c:{u} {'crash' if u in w.crashes else 'hang'} on ws2uring\n")
    for p in problems + stale:
        say("FAIL " + p)
    listed = sum(1 for k in expected if k.split(":", 1)[0] in covered)
    say(f"wine-conformance: {len(problems)} checks worse on ws2uring than on the builtin and not expected, "
        f"{len(stale)} stale expected entries, {listed} expected failures listed")
    return 1 if problems or stale else 0


if __name__ == "__main__":
    sys.exit(main())
