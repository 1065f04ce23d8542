"""Helpers shared by the Python examples in this directory (pyzmq = Debian's
python3-zmq, run with /usr/bin/python3).

The examples follow the C demos' convention (examples/c/example.h):
  exit status 0  every check passed
  exit status 1  a check failed (fail(), check(), a receive that timed out,
                 an exception in any thread)
  exit status 2  the overall deadline (DEADLINE_S) ran out
and no receive waits longer than TIMEOUT_MS, so a lost message shows up as a
clear failure rather than a hang.

start() also proves which libzmq.so.5 pyzmq runs on: the one in the first
LD_LIBRARY_PATH directory that has a libzmq.so.5 (or the LD_PRELOAD one)
must be the libzmq mapped into the process, per /proc/self/maps.  So
    LD_LIBRARY_PATH=target/stage/lib /usr/bin/python3 examples/python/hello_reqrep.py
runs on zmq-oxide, and fails loudly if Debian's libzmq got loaded instead.
"""

import os
import queue
import subprocess
import sys
import threading
import traceback

import zmq

TIMEOUT_MS = 5000  # longest wait for any one message
DEADLINE_S = 20  # the whole program

name = os.path.splitext(os.path.basename(sys.argv[0]))[0]


def fail(message):
    """Report a failed check and end the process at once: _exit, because
    other threads may be blocked in zmq calls, and neither they nor a
    context teardown may keep a failing program alive."""
    sys.stdout.flush()
    sys.stderr.write("%s: FAIL: %s\n" % (name, message))
    sys.stderr.flush()
    os._exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def _uncaught(exc_type, exc, tb):
    if isinstance(exc, zmq.Again):
        message = "no message within %d ms" % TIMEOUT_MS
    else:
        message = "".join(traceback.format_exception(exc_type, exc, tb)).rstrip()
    fail(message)


def _deadline():
    sys.stderr.write("%s: FAIL: overall timeout\n" % name)
    sys.stderr.flush()
    os._exit(2)


def expected_libzmq():
    """The libzmq.so.5 this process is meant to run on, or None."""
    preload = [p for p in os.environ.get("LD_PRELOAD", "").replace(":", " ").split()
               if os.path.basename(p).startswith("libzmq.so")]
    if preload:
        return os.path.realpath(preload[0])
    for d in os.environ.get("LD_LIBRARY_PATH", "").split(":"):
        candidate = os.path.join(d or ".", "libzmq.so.5")
        if d and os.path.exists(candidate):
            return os.path.realpath(candidate)
    return None


def loaded_libzmq():
    """The libzmq files mapped into this process."""
    paths = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6 and "/libzmq.so" in fields[5]:
                paths.add(os.path.realpath(fields[5].strip()))
    return paths


def start(role=None):
    """First thing in every program: stdout flushed per line (so the traces of
    threads and processes interleave readably), the deadline, failures in
    any thread end the process, and the library check."""
    global name
    if role:
        name = "%s[%s]" % (name, role)
    sys.stdout.reconfigure(line_buffering=True)
    sys.excepthook = _uncaught
    threading.excepthook = lambda args: _uncaught(args.exc_type, args.exc_value,
                                                  args.exc_traceback)
    timer = threading.Timer(DEADLINE_S, _deadline)
    timer.daemon = True
    timer.start()

    want = expected_libzmq()
    if want is None:
        fail("run with LD_LIBRARY_PATH (or LD_PRELOAD) naming the libzmq.so.5 under test")
    loaded = loaded_libzmq()
    check(loaded == {want}, "pyzmq loaded %s, not %s" % (sorted(loaded) or "no libzmq", want))
    if role is None:
        print("%s: pyzmq %s on %s (libzmq %s)" % (name, zmq.__version__, want,
                                                zmq.zmq_version()))


def socket(ctx, kind, timeout=TIMEOUT_MS, linger=0):
    """A socket that waits at most timeout ms for a message (-1: forever,
    for sockets that wait until their context is terminated) and by default
    does not linger when closed."""
    s = ctx.socket(kind)
    s.rcvtimeo = timeout
    s.linger = linger
    return s


def bind_any_port(s):
    """Bind to a port the system picks; returns the endpoint really bound."""
    s.bind("tcp://127.0.0.1:*")
    return s.getsockopt_string(zmq.LAST_ENDPOINT)


def ipc_endpoint(tag, index=None):
    """An ipc:// endpoint of this process's own; unlink_ipc() removes it."""
    suffix = "" if index is None else "-%d" % index
    return "ipc:///tmp/zmq-demo-py-%s-%d%s.ipc" % (tag, os.getpid(), suffix)


def unlink_ipc(endpoint):
    try:
        os.unlink(endpoint[len("ipc://"):])
    except FileNotFoundError:
        pass


def nothing_more(s, what, wait_ms=100):
    """Check that no further message arrives within wait_ms."""
    if s.poll(wait_ms, zmq.POLLIN):
        fail("%s: unexpected extra message %r" % (what, s.recv_multipart()))


def serve_until_term(s, handle_one):
    """A worker's loop: handle_one() again and again until the context is
    terminated (the pending receive raises ContextTerminated), then close s."""
    try:
        while True:
            handle_one()
    except zmq.ContextTerminated:
        pass
    s.close()


def run_proxy(frontend, backend, who):
    """zmq.proxy() until the context is terminated; for a thread."""
    try:
        zmq.proxy(frontend, backend)
    except zmq.ContextTerminated:
        print("%s: proxy stopped by the context's termination" % who)
    frontend.close()
    backend.close()


def start_thread(target, *args):
    t = threading.Thread(target=target, args=args, daemon=True)
    t.start()
    return t


def spawn(role, *args):
    """Run this script again as a second process: `script role args...`, with
    pipes to its stdin and stdout.  The child's output is copied to ours; the
    lines it sends with report() are also queued for next_report()."""
    child = subprocess.Popen([sys.executable, sys.argv[0], role, *args],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    child.reports = queue.Queue()

    def copy_output():
        for line in child.stdout:
            sys.stdout.write(line)
            if line.startswith(REPORT):
                child.reports.put(line[len(REPORT):].strip())
        child.reports.put(None)  # end of output

    child.copier = start_thread(copy_output)
    return child


REPORT = "report: "


def report(text):
    """In a spawned process: one line for the parent's next_report()."""
    print(REPORT + text, flush=True)


def next_report(child, what):
    """The next line the spawned process sent with report()."""
    try:
        line = child.reports.get(timeout=DEADLINE_S)
    except queue.Empty:
        line = None
    check(line is not None, "%s process did not report" % what)
    return line


def wait_child(child, what):
    """Close the spawned process's stdin and wait for it: it must exit with
    status 0."""
    child.stdin.close()
    try:
        status = child.wait(TIMEOUT_MS / 1000)
    except subprocess.TimeoutExpired:
        child.kill()
        fail("%s process did not exit" % what)
    child.copier.join()
    check(status == 0, "%s process exited with status %d" % (what, status))
