#!/usr/bin/python3
"""Driver behind ci/pyzmq-tests (run with Debian's /usr/bin/python3).

Builds an overlay package dir, runs pytest on pyzmq's own test suite with our
plugin, prints one PASS/FAIL/SKIP line per test and the final
`N passed, M failed` line.

Why an overlay: the tests must come from the pyzmq 24.0.1 sdist, but `zmq`
must be Debian's installed (built) python3-zmq, and the tests import their
helpers as `zmq.tests`.  So OVERLAY/zmq/ holds a symlink to every entry of
/usr/lib/python3/dist-packages/zmq except `tests`, which is a fresh copy of
the sdist's zmq/tests.  With OVERLAY first on sys.path, `import zmq` runs
Debian's code and `zmq.tests` is the sdist's suite; nothing is copied into
the repo and neither the cache nor /usr is written to.

Why a resume loop: a young libzmq can segfault or deadlock.  The plugin logs
each test's start, so when pytest dies or our watchdog kills it, the running
test is recorded as FAIL and pytest is restarted on the tests not yet run.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEBIAN_ZMQ = "/usr/lib/python3/dist-packages/zmq"
PYZMQ_VERSION = "24.0.1"
GRACE = 30  # seconds past the per-test timeout before the watchdog kills pytest


def log(msg):
    print(msg, flush=True)


def read_expected(path):
    ids = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            ids.append(line.split(" #", 1)[0].strip())  # allow a trailing " # comment"
    return ids


def build_overlay(work, sdist):
    overlay = os.path.join(work, "overlay")
    pkg = os.path.join(overlay, "zmq")
    os.makedirs(pkg)
    for name in sorted(os.listdir(DEBIAN_ZMQ)):
        if name in ("tests", "__pycache__"):
            continue
        os.symlink(os.path.join(DEBIAN_ZMQ, name), os.path.join(pkg, name))
    shutil.copytree(os.path.join(sdist, "zmq", "tests"), os.path.join(pkg, "tests"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return overlay


def indent(text, n=40):
    lines = text.rstrip().splitlines()
    if len(lines) > n:
        lines = ["... (%d lines cut)" % (len(lines) - n)] + lines[-n:]
    return "\n".join("    | " + l for l in lines)


class Run:
    def __init__(self, args):
        self.a = args
        self.results = {}       # nodeid -> (outcome, detail)
        self.order = []         # nodeids in collection order
        self.collected = None   # set after the first session's collection
        self.libcheck_ok = False
        self.mapped = None

    def record(self, nodeid, outcome, detail="", secs=None):
        if nodeid in self.results:
            return
        self.results[nodeid] = (outcome, detail)
        if nodeid not in self.order:
            self.order.append(nodeid)
        tag = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[outcome]
        took = " (%.1fs)" % secs if secs is not None and secs >= 1 else ""
        if outcome == "skipped":
            log("%s %s  (%s)" % (tag, nodeid, detail.strip().splitlines()[-1][:200] if detail.strip() else ""))
        else:
            log("%s %s%s" % (tag, nodeid, took))
            if outcome == "failed" and detail:
                log(indent(detail))

    def session(self, select, deadline, session_no):
        """Run one pytest process on `select` (None: everything) while following
        its event log.  Returns (status, id of the test that was running when
        it ended or None, whether any result came in, why we killed it or
        None, excerpt of its output if it ended abnormally)."""
        a = self.a
        self.libcheck_ok = False  # every session must prove its library again
        events = os.path.join(a.work, "events-%d.jsonl" % session_no)
        open(events, "w").close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(
            LD_LIBRARY_PATH=a.libdir,
            PYTHONPATH=os.pathsep.join([a.overlay, HERE]),
            PYTHONDONTWRITEBYTECODE="1",   # keep /usr and the cache pristine
            PYTHONNOUSERSITE="1",
            ZMQ_OXIDE_LIBDIR=a.libdir,
            ZMQ_OXIDE_OVERLAY=a.overlay,
            ZMQ_OXIDE_EVENTS=events,
            ZMQ_TEST_TIMEOUT=str(a.test_timeout),  # the suite's own SIGALRM guard
            HOME=os.path.join(a.work, "home"),
        )
        cmd = ["/usr/bin/python3", "-s", "-m", "pytest",
               "-p", "oxide_pyzmq_plugin", "-p", "no:cacheprovider",
               "-c", os.path.join(HERE, "pytest.ini"), "--rootdir", a.overlay,
               "--basetemp", os.path.join(a.work, "tmp-%d" % session_no),
               "--continue-on-collection-errors", "-q", "-rN",
               "--timeout", str(a.test_timeout), "--timeout-method", "signal"]
        if select is not None:
            sel = os.path.join(a.work, "select-%d.txt" % session_no)
            with open(sel, "w") as f:
                f.write("".join(i + "\n" for i in select))
            cmd += ["--oxide-select", sel]
        cmd.append("zmq/tests")
        out = open(os.path.join(a.work, "pytest-%d.log" % session_no), "w")
        # unshare execs the command, so pytest keeps the pid we watch and kill.
        wrap = ["unshare", "-n", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"] if a.netns else []
        proc = subprocess.Popen(wrap + cmd, cwd=a.overlay, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        pos = 0
        running = None
        started = None
        last_event = time.time()
        progressed = False
        killed_why = None
        buf = ""
        while True:
            rc = proc.poll()
            with open(events) as f:
                f.seek(pos)
                chunk = f.read()
                pos = f.tell()
            buf += chunk
            *lines, buf = buf.split("\n")
            for line in lines:
                if not line.strip():
                    continue
                ev = json.loads(line)
                last_event = time.time()
                kind = ev["ev"]
                if kind == "libcheck":
                    self.mapped = ev["mapped"]
                elif kind == "libcheck_ok":
                    self.libcheck_ok = True
                elif kind == "libcheck_failed":
                    self.libcheck_ok = False
                elif kind == "collected":
                    if self.collected is None:
                        self.collected = list(ev["ids"])
                        log("collected %d tests" % len(self.collected))
                    for i in ev["ids"]:
                        if i not in self.order:
                            self.order.append(i)
                elif kind == "collect_error":
                    self.record(ev["id"], "failed", "collection error:\n" + ev["longrepr"])
                    progressed = True
                elif kind == "start":
                    if running != ev["id"]:  # a rerun keeps the first start time
                        started = ev["t"]
                    running = ev["id"]
                elif kind == "rerun":
                    log("RERUN %s (failed in %s, pytest-rerunfailures retries it)" % (ev["id"], ev["when"]))
                elif kind == "result":
                    self.record(ev["id"], ev["outcome"], ev.get("longrepr", ""), ev["t"] - started)
                    running = None
                    progressed = True
            if rc is not None and not chunk:
                break
            now = time.time()
            if killed_why is None:
                if now > deadline:
                    killed_why = "overall timeout (%ds) reached" % a.total_timeout
                elif now - last_event > a.test_timeout + GRACE:
                    killed_why = "watchdog: no progress for %ds (hang)" % (now - last_event)
                if killed_why:
                    log("!! killing pytest: %s" % killed_why)
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.2)
        out.close()
        crash = ""
        if rc not in (0, 1, 5):  # 5: nothing selected was collected
            # Abnormal end (crash, kill, internal error): keep how it ended.
            # Python's faulthandler prints "Fatal Python error" then the
            # stacks, most recent call first, so show from there.
            with open(out.name, errors="replace") as f:
                text = f.read()
            k = text.find("Fatal Python error")
            crash = "\n".join((text[k:] if k >= 0 else text).splitlines()[:40] if k >= 0
                              else text.splitlines()[-40:])
            status = rc if rc >= 0 else "signal %d" % -rc
            crash = "pytest session %d ended with status %s; its output:\n%s" % (session_no, status, crash)
            if running is None:
                log("!! " + crash.splitlines()[0])
                log(indent(crash.split("\n", 1)[1] if "\n" in crash else ""))
        return rc, running, progressed, killed_why, crash

    def main(self):
        a = self.a
        start = time.time()
        deadline = start + a.total_timeout
        expected = None if a.all else read_expected(a.expected)
        if expected is not None and not expected:
            log("no tests listed in %s" % a.expected)
            log("0 passed, 0 failed")
            return 0
        select = expected
        session_no = 0
        while True:
            session_no += 1
            rc, running, progressed, killed_why, crash = self.session(select, deadline, session_no)
            if not self.libcheck_ok:
                log("!" * 78)
                log("ABORT: the pytest process did not pass the library check; results are void.")
                if self.mapped is None:
                    log("`import zmq` failed in the test process (output above); expected %s/libzmq.so.5"
                        % a.libdir)
                else:
                    log("mapped libzmq: %s ; expected %s/libzmq.so.5" % (self.mapped, a.libdir))
                log("!" * 78)
                n = len(expected) if expected else 1
                log("0 passed, %d failed" % n)
                return 2
            if running is not None:
                why = (killed_why + "\n" if killed_why else "") + "the test process died while this test ran:\n" + crash
                self.record(running, "failed", why)
                progressed = True
            if self.collected is None:
                log("ABORT: pytest session %d ended (status %s) before collection finished" % (session_no, rc))
                log("0 passed, %d failed" % (len(expected) if expected else 1))
                return 2
            universe = expected if expected is not None else (self.collected or [])
            remaining = [i for i in universe if i not in self.results
                         and (self.collected is None or i in self.collected)]
            if not remaining:
                break
            if time.time() > deadline:
                for i in remaining:
                    self.record(i, "failed", "not run: overall timeout (%ds)" % a.total_timeout)
                break
            if not progressed:
                for i in remaining:
                    self.record(i, "failed", "not run: pytest session %d aborted (status %s)" % (session_no, rc))
                break
            log("-- restarting pytest on the %d tests not run yet" % len(remaining))
            select = remaining
        if expected is not None:
            for i in expected:
                if i not in self.results:
                    self.record(i, "failed", "not collected: unknown test id (or its module failed to import)")
        elapsed = time.time() - start
        ids = expected if expected is not None else self.order
        passed = [i for i in ids if self.results.get(i, ("failed",))[0] == "passed"]
        skipped = [i for i in ids if self.results.get(i, ("failed",))[0] == "skipped"]
        failed = [i for i in ids if self.results.get(i, ("failed",))[0] == "failed"]
        log("")
        log("=" * 78)
        log("pyzmq %s test suite against %s (libzmq mapped: %s)"
            % (PYZMQ_VERSION, a.libdir, ", ".join(self.mapped or [])))
        log("time: %.0fs, pytest sessions: %d" % (elapsed, session_no))
        if failed:
            log("failed:")
            for i in failed:
                log("  " + i)
        if a.pass_list:
            with open(a.pass_list, "w") as f:
                f.write("".join(i + "\n" for i in passed))
        if expected is not None:
            # Default mode: every listed test must pass; a skip counts as a failure.
            for i in skipped:
                log("  %s was skipped, counted as failed (listed tests must pass)" % i)
            log("%d passed, %d failed" % (len(passed), len(failed) + len(skipped)))
            return 0 if not failed and not skipped else 1
        log("%d skipped" % len(skipped))
        log("%d passed, %d failed" % (len(passed), len(failed)))
        return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--libdir", required=True)
    p.add_argument("--sdist", required=True)
    p.add_argument("--expected", required=True)
    p.add_argument("--all", action="store_true")
    p.add_argument("--test-timeout", type=int, default=60)
    p.add_argument("--total-timeout", type=int, default=1800)
    p.add_argument("--pass-list", help="write the ids of passing tests here")
    p.add_argument("--keep", action="store_true", help="keep the work dir")
    p.add_argument("--netns", action="store_true",
                   help="run pytest in a private network namespace with only loopback")
    a = p.parse_args()
    import zmq  # Debian's; only to check the version pairing with the sdist
    if zmq.__version__ != PYZMQ_VERSION:
        log("ERROR: Debian's python3-zmq is %s, the sdist tests are %s" % (zmq.__version__, PYZMQ_VERSION))
        return 2
    a.work = tempfile.mkdtemp(prefix="pyzmq-tests.")
    os.makedirs(os.path.join(a.work, "home"))
    try:
        a.overlay = build_overlay(a.work, a.sdist)
        rc = Run(a).main()
    finally:
        if a.keep or os.environ.get("PYZMQ_KEEP_WORKDIR"):
            log("work dir kept: %s" % a.work)
        else:
            shutil.rmtree(a.work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
