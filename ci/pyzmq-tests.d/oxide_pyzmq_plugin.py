"""pytest plugin used by ci/pyzmq-tests (our own code, loaded with `-p oxide_pyzmq_plugin`).

It does three things inside the test process itself:

1. Proof of library: right after `import zmq` it reads /proc/self/maps and
   aborts the whole session (exit 97) unless every mapped libzmq.so* is the
   file $ZMQ_OXIDE_LIBDIR/libzmq.so.5 (realpath compare).  It also checks that
   `zmq` is Debian's installed pyzmq and `zmq.tests` is the sdist copy.  A
   silent fallback to another libzmq would make every result meaningless.
2. Selection: `--oxide-select FILE` keeps only the node ids listed in FILE
   (the driver uses it for the expected list and to resume after a crash).
3. Event log: one JSON object per line to $ZMQ_OXIDE_EVENTS (collected ids,
   test start, final per-test outcome).  Lines are flushed immediately so the
   driver still knows which test was running if the process dies or hangs.
"""
import json
import os
import sys
import time

import pytest

_events = None
_state = {}  # nodeid -> dict(outcome=..., longrepr=...) for the current run of that test


def _emit(**obj):
    if _events is None:
        return
    obj["t"] = time.time()
    _events.write(json.dumps(obj) + "\n")
    _events.flush()


def _mapped_libzmq():
    """Realpaths of every libzmq shared object mapped into this process."""
    paths = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) == 6:
                path = parts[5].strip()
                if os.path.basename(path).startswith("libzmq.so"):
                    paths.add(os.path.realpath(path.replace(" (deleted)", "")))
    return sorted(paths)


def _check_library():
    """Return a list of problems (empty when the process uses what we asked for)."""
    problems = []
    libdir = os.environ.get("ZMQ_OXIDE_LIBDIR")
    overlay = os.environ.get("ZMQ_OXIDE_OVERLAY")
    if not libdir or not overlay:
        return ["ZMQ_OXIDE_LIBDIR / ZMQ_OXIDE_OVERLAY not set (run via ci/pyzmq-tests)"]
    import zmq  # noqa: the import that loads libzmq.so.5
    import zmq.tests

    expected = os.path.realpath(os.path.join(libdir, "libzmq.so.5"))
    mapped = _mapped_libzmq()
    sys.stderr.write(
        "oxide-pyzmq: libzmq mapped from %s (expected %s); libzmq %s, pyzmq %s\n"
        % (", ".join(mapped) or "NOTHING", expected, zmq.zmq_version(), zmq.__version__)
    )
    _emit(ev="libcheck", mapped=mapped, expected=expected, zmq_version=zmq.zmq_version())
    if mapped != [expected]:
        problems.append("mapped libzmq %s != expected [%r]" % (mapped, expected))
    # zmq must be Debian's installed package (seen through our overlay) ...
    backend = os.path.realpath(sys.modules["zmq.backend.cython.socket"].__file__) \
        if "zmq.backend.cython.socket" in sys.modules else "(cython backend not loaded)"
    if not backend.startswith("/usr/lib/python3/dist-packages/zmq/"):
        problems.append("zmq backend is %s, not Debian's python3-zmq" % backend)
    if os.path.dirname(os.path.realpath(zmq.__file__)) != "/usr/lib/python3/dist-packages/zmq":
        problems.append("zmq package is %s, not Debian's python3-zmq" % zmq.__file__)
    # ... while zmq.tests is the sdist copy inside the overlay.
    if not os.path.realpath(zmq.tests.__file__).startswith(os.path.realpath(overlay) + os.sep):
        problems.append("zmq.tests is %s, not the sdist copy in %s" % (zmq.tests.__file__, overlay))
    return problems


def pytest_addoption(parser):
    parser.addoption("--oxide-select", metavar="FILE",
                     help="run only the node ids listed in FILE (one per line)")


def pytest_configure(config):
    global _events
    path = os.environ.get("ZMQ_OXIDE_EVENTS")
    if path:
        _events = open(path, "a", buffering=1)
    problems = _check_library()
    if problems:
        msg = "\n".join("  " + p for p in problems)
        sys.stderr.write("\n" + "!" * 78 + "\noxide-pyzmq: WRONG LIBRARY OR PACKAGE LOADED, "
                         "aborting the session:\n" + msg + "\n" + "!" * 78 + "\n")
        _emit(ev="libcheck_failed", problems=problems)
        pytest.exit("oxide-pyzmq: library check failed", returncode=97)
    _emit(ev="libcheck_ok")


def pytest_collection_modifyitems(config, items):
    sel = config.getoption("--oxide-select")
    if sel:
        with open(sel) as f:
            wanted = {line.rstrip("\n") for line in f if line.strip()}
        keep = [i for i in items if i.nodeid in wanted]
        drop = [i for i in items if i.nodeid not in wanted]
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collection_finish(session):
    _emit(ev="collected", ids=[i.nodeid for i in session.items])


def pytest_collectreport(report):
    # A module that fails to import would otherwise just vanish from the counts.
    if report.failed:
        _emit(ev="collect_error", id=report.nodeid, longrepr=str(report.longrepr)[-4000:])


def pytest_runtest_logstart(nodeid, location):
    _state[nodeid] = {"outcome": None, "longrepr": ""}
    _emit(ev="start", id=nodeid)


def pytest_runtest_logreport(report):
    st = _state.setdefault(report.nodeid, {"outcome": None, "longrepr": ""})
    if report.outcome == "rerun":  # pytest-rerunfailures: another run follows
        st["outcome"] = "rerun"
        _emit(ev="rerun", id=report.nodeid, when=report.when)
        return
    if report.failed:
        if st["outcome"] != "failed":
            st["longrepr"] = ""
        st["outcome"] = "failed"
        st["longrepr"] += "[%s] %s\n" % (report.when, report.longreprtext)
    elif report.skipped:
        if st["outcome"] is None:
            st["outcome"] = "skipped"
            lr = report.longrepr
            st["longrepr"] = lr[2] if isinstance(lr, tuple) and len(lr) == 3 else str(lr)
    elif report.when == "call" and st["outcome"] is None:
        st["outcome"] = "passed"


def pytest_runtest_logfinish(nodeid, location):
    st = _state.pop(nodeid, None) or {"outcome": None, "longrepr": ""}
    if st["outcome"] == "rerun":
        return
    outcome = st["outcome"] or "failed"  # no call report at all: treat as failure
    _emit(ev="result", id=nodeid, outcome=outcome, longrepr=st["longrepr"][-6000:])
