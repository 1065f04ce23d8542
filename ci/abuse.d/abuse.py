"""ci/abuse: hostile peers against a libzmq server, one server process per case.

Usage: abuse.py LIBDIR [--only REGEX] [--markdown]

Each case starts ci/abuse.d/server.py with LD_LIBRARY_PATH=LIBDIR (Debian's pyzmq on that
libzmq), measures its open descriptors and RSS after a few legitimate requests, attacks it
over loopback with raw sockets while a legitimate client (pyzmq on the system's libzmq, a
fresh REQ connection per request) asks it to echo, then measures again once the attackers
are gone. The legitimate client runs here, never on the library under test.

Per case: served during the attack, served after it, crash (the server died), hang (it
did not finish "quit" + zmq_ctx_term within 10 s), descriptors and RSS before/after (and
the RSS peak while attackers hold their connections). A case fails when a check it
requires fails; every number is printed either way. Checks every case requires: no
crash, no hang, served after, descriptors back to the baseline, RSS after the attack at
most RSS_BOUND_MIB above before. Most cases also require "served during", and the
huge-length case requires the RSS while the attacker is still connected to stay within
the bound (the attacker sends HUGE_SENT_MIB after announcing a frame of 2^40 bytes).
"""
import argparse
import os
import random
import re
import resource
import socket
import struct
import subprocess
import sys
import threading
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
RSS_BOUND_MIB = 32
HUGE_SENT_MIB = 96
LEGIT_TIMEOUT_MS = 3000

# ---------------------------------------------------------------------------------------
# The server process


class Server:
    def __init__(self, libdir, mech="null", nofile=None):
        env = dict(os.environ, LD_LIBRARY_PATH=libdir)

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.mech = mech
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "server.py"), "--mech", mech],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2:
            raise RuntimeError("server did not start: " + self.proc.stderr.read())
        self.endpoint, self.loaded = line
        m = re.match(r"tcp://127\.0\.0\.1:(\d+)", self.endpoint)
        self.port = int(m.group(1))
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def fds(self):
        try:
            return len(os.listdir("/proc/%d/fd" % self.pid))
        except OSError:
            return -1

    def rss_mib(self):
        try:
            for line in open("/proc/%d/status" % self.pid):
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return -1

    def cpu_seconds(self):
        try:
            fields = open("/proc/%d/stat" % self.pid).read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            return -1

    def stop(self):
        """Asks it to quit; returns (crashed, hung, returncode)."""
        if not self.alive():
            return True, False, self.proc.returncode
        legit_request(self, b"quit", timeout_ms=2000, mech=self.mech)
        try:
            rc = self.proc.wait(10)
            return rc != 0, False, rc
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return False, True, None


# ---------------------------------------------------------------------------------------
# The legitimate client: the system's libzmq, a new connection per request.

_ctx = zmq.Context()


def legit_request(server, body=b"ping", timeout_ms=LEGIT_TIMEOUT_MS, mech="null"):
    s = _ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, timeout_ms)
    s.setsockopt(zmq.SNDTIMEO, timeout_ms)
    if mech == "plain":
        s.setsockopt(zmq.PLAIN_USERNAME, b"legit")
        s.setsockopt(zmq.PLAIN_PASSWORD, b"pw")
    try:
        s.connect(server.endpoint)
        s.send(body)
        return s.recv() == body
    except zmq.ZMQError:
        return False
    finally:
        s.close(0)


# ---------------------------------------------------------------------------------------
# Raw ZMTP pieces for the attackers


def greeting(mechanism=b"NULL", as_server=0, major=3, minor=1):
    return (b"\xff" + b"\0" * 7 + b"\x01\x7f" + bytes([major, minor]) + mechanism.ljust(20, b"\0")
            + bytes([as_server]) + b"\0" * 31)


def frame(body, command=False, more=False):
    flags = (4 if command else 0) | (1 if more else 0)
    if len(body) > 255:
        return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def prop(name, value):
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


def ready(socket_type=b"DEALER", extra=b""):
    return frame(b"\x05READY" + prop(b"Socket-Type", socket_type) + extra, command=True)


def connect(server, timeout=5):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise OSError("closed by the server")
        data += chunk
    return data


def open_zmtp(server, mechanism=b"NULL"):
    """A connection past the greeting exchange (ours sent, the server's read)."""
    s = connect(server)
    s.sendall(greeting(mechanism))
    recv_exact(s, 64)
    return s


def handshake(server):
    """A connection past the NULL handshake: the server's READY read, ours sent. Callers
    let the server take our READY in before sending more: the reference drops a peer that
    sends greeting, READY and another frame in one write (measured), which would hide
    what a case is about."""
    s = open_zmtp(server)
    flags, size = recv_exact(s, 2)
    recv_exact(s, size)
    s.sendall(ready())
    return s


def close_rst(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def dropped(s, wait=1.0):
    """Whether the server closed (or reset) this connection, reading whatever it sent."""
    s.settimeout(wait)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


def release(a, held, what):
    """Notes how many attacker connections were held, then closes them."""
    a.notes.append("%d %s" % (len(held), what))
    for s in held:
        s.close()


def in_threads(n, fn):
    ts = [threading.Thread(target=fn, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


# ---------------------------------------------------------------------------------------
# Cases. Each gets the server and a `during()` callback that runs the legitimate client
# while the attack is in progress (it records served-during), and returns notes.

class Attack:
    def __init__(self, server, mech):
        self.server = server
        self.mech = mech
        self.served_during = None
        self.peak_rss = server.rss_mib()
        self.notes = []
        # What "RSS after" is compared with; a case may move it past a first round.
        self.rss_baseline = self.peak_rss

    def during(self, tries=2):
        ok = all(legit_request(self.server, mech=self.mech) for _ in range(tries))
        self.served_during = ok if self.served_during is None else (self.served_during and ok)
        self.sample()
        return ok

    def sample(self):
        self.peak_rss = max(self.peak_rss, self.server.rss_mib())


def case_garbage_greeting(a):
    rnd = random.Random(1)
    stop = threading.Event()

    def attacker(i):
        while not stop.is_set():
            try:
                s = connect(a.server)
                s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300))))
                dropped(s, 0.05)
                s.close()
            except OSError:
                pass

    ts = [threading.Thread(target=attacker, args=(i,)) for i in range(4)]
    [t.start() for t in ts]
    time.sleep(0.5)
    a.during(3)
    time.sleep(1)
    stop.set()
    [t.join() for t in ts]


def case_truncated_greeting(a):
    g = greeting()
    held = []
    for n in range(1, 64):
        s = connect(a.server)
        s.sendall(g[:n])
        held.append(s)
    a.during(3)
    for s in held:
        s.close()


def case_bad_mechanism(a):
    attempts = [
        greeting(b"BOGUS"), greeting(b"CURVE"), greeting(b"PLAIN"), greeting(b"\xff" * 20),
        greeting(major=4), greeting(major=255, minor=255), greeting(major=2),
        greeting(b"NULL")[:10] + b"\x03\x01" + b"NU\0LL" + b"\0" * 47,
    ]
    results = []
    held = []
    for g in attempts * 10:
        s = connect(a.server)
        s.sendall(g + ready())
        held.append(s)
    a.during(2)
    for s in held[:len(attempts)]:
        results.append(dropped(s, 0.3))
    a.notes.append("dropped: %d/%d" % (sum(results), len(results)))
    for s in held:
        s.close()


def case_bad_commands(a):
    """Malformed and unexpected frames, during the handshake (after the greeting) and
    after it, five connections each, held while the legitimate client is served."""
    during_handshake = [
        frame(b"hello"),                                    # a message before READY
        frame(b"\x05READY\x05", command=True),              # truncated metadata
        frame(b"\x05READY" + b"\x0bSocket-Type\xff\xff\xff\xff", command=True),
        frame(b"\x05READY" + prop(b"Socket-Type", b"NOPE"), command=True),
        frame(b"\x05READY" + prop(b"Socket-Type", b"DEALER") + prop(b"", b"x"), command=True),
        frame(b"\x05READY" + prop(b"Socket-Type", b"DEALER") + prop(b"Identity", b"\0abc"), command=True),
        frame(b"\x05READY" + prop(b"Socket-Type", b"DEALER") + prop(b"Identity", b"i" * 300), command=True),
        frame(b"\x05READY" + prop(b"Socket-Type", b"DEALER") * 2, command=True),
        frame(b"\x05ERROR\x05", command=True),
        frame(b"\x07UNKNOWN", command=True),
        frame(b"", command=True),
        frame(b"\xff", command=True),
    ]
    after_handshake = [
        frame(b"\x04PING\xff\xff" + b"c" * 100, command=True) * 100,
        frame(b"\x09SUBSCRIBE" + b"t" * 200, command=True) * 100,
        frame(b"\xff" * 300, command=True) * 10,
        frame(b"", command=True),
    ]
    held = []
    for _ in range(5):
        for body in during_handshake:
            s = open_zmtp(a.server)
            s.sendall(body)
            held.append(s)
    late = [handshake(a.server) for _ in range(5 * len(after_handshake))]
    time.sleep(0.2)
    for s, body in zip(late, after_handshake * 5):
        s.sendall(body)
    held += late
    a.during(2)
    first = held[:len(during_handshake)] + late[:len(after_handshake)]
    drops = [dropped(s, 0.3) for s in first]
    a.notes.append("dropped: handshake %s, after %s" % (
        "".join("y" if d else "n" for d in drops[:len(during_handshake)]),
        "".join("y" if d else "n" for d in drops[len(during_handshake):])))
    for s in held:
        close_rst(s)


def case_huge_length(a):
    """A peer announces frames of 2^40 and 2^62 bytes (message after READY, and a command
    during the handshake) and streams HUGE_SENT_MIB into the first one."""
    s = handshake(a.server)
    time.sleep(0.1)
    s.sendall(b"\x02" + struct.pack(">Q", 1 << 40))
    chunk = b"\0" * (1 << 20)
    sent = 0
    s.settimeout(5)
    try:
        for _ in range(HUGE_SENT_MIB):
            s.sendall(chunk)
            sent += 1
            if sent % 8 == 0:
                a.sample()
    except OSError:
        pass
    time.sleep(0.5)
    a.sample()
    s2 = open_zmtp(a.server)
    s2.sendall(b"\x06" + struct.pack(">Q", 1 << 62) + b"\0" * 4096)
    s3 = handshake(a.server)
    time.sleep(0.1)
    s3.sendall(b"\x03" + struct.pack(">Q", (1 << 64) - 1) + b"\0" * 4096)
    a.during(2)
    a.sample()
    a.notes.append("sent %d MiB; dropped: 2^40 message %s, 2^62 command %s, 2^64-1 message %s" % (
        sent, "yes" if dropped(s, 0.5) else "no", "yes" if dropped(s2, 0.5) else "no",
        "yes" if dropped(s3, 0.5) else "no"))
    for x in (s, s2, s3):
        x.close()


def case_metadata_flood(a):
    """READY with ~1 MiB of properties on 16 connections held open, three rounds. Both
    libraries' allocators keep much of what the first rounds took (measured: the RSS
    levels off after two or three rounds), so what is checked is that a further round
    reuses it: RSS after round 3 at most RSS_BOUND_MIB above after round 2 (no leak)."""
    props = b"".join(prop(b"X-%05d" % i, b"v" * 16) for i in range(40000))
    body = ready(extra=props)
    after = []
    for _ in range(3):
        held = []

        def attacker(i):
            try:
                s = open_zmtp(a.server)
                s.sendall(body)
                held.append(s)
            except OSError:
                pass

        in_threads(16, attacker)
        time.sleep(0.5)
        a.during(2)
        for s in held:
            s.close()
        settle_fds(a.server, 0, 2.0)
        legit_request(a.server)
        after.append(a.server.rss_mib())
    a.notes.append("RSS after rounds 1-3: %.1f, %.1f, %.1f MiB" % tuple(after))
    a.rss_baseline = after[1]


def case_slow_loris(a):
    """300 connections each trickle greeting bytes, one per 0.5 s, and never finish."""
    g = greeting()
    held = []
    for _ in range(300):
        try:
            held.append(connect(a.server))
        except OSError:
            break
    for step in range(8):
        for s in held:
            try:
                s.send(g[step:step + 1])
            except OSError:
                pass
        if step in (2, 6):
            a.during(1)
        time.sleep(0.5)
    release(a, held, "connections held")


def case_zap_pending(a):
    """PLAIN server: 200 attackers send HELLO (and pipeline INITIATE and 64 KiB of
    messages behind it); the ZAP handler never answers them."""
    hello = frame(b"\x05HELLO\x08attacker\x02pw", command=True)
    initiate = frame(b"\x08INITIATE" + prop(b"Socket-Type", b"DEALER"), command=True)
    flood = frame(b"m" * 1000) * 64
    held = []
    lock = threading.Lock()

    def attacker(i):
        for _ in range(50):
            try:
                s = connect(a.server)
                s.sendall(greeting(b"PLAIN") + hello + initiate)
                s.setblocking(False)
                try:
                    s.send(flood)
                except OSError:
                    pass
                with lock:
                    held.append(s)
            except OSError:
                pass

    in_threads(4, attacker)
    time.sleep(0.5)
    a.during(2)
    release(a, held, "handshakes pending")


def case_churn_rst(a):
    """3000 connections: connect, send part of a greeting (or all of it and READY), reset."""
    g = greeting()
    stop = threading.Event()
    counts = [0] * 4

    def attacker(i):
        n = 0
        while not stop.is_set() and n < 750:
            try:
                s = connect(a.server)
                s.sendall(g[:n % 64 + 1] if n % 2 else g + ready())
                close_rst(s)
                n += 1
            except OSError:
                time.sleep(0.01)
        counts[i] = n

    ts = [threading.Thread(target=attacker, args=(i,)) for i in range(4)]
    [t.start() for t in ts]
    time.sleep(0.3)
    a.during(3)
    [t.join() for t in ts]
    a.notes.append("%d connections reset" % sum(counts))


def case_out_of_fds(a):
    """The server runs with RLIMIT_NOFILE 64; 100 attackers connect and hold. Served
    during is reported only (no descriptor is left to accept a new client); the CPU the
    server burns meanwhile shows a busy loop on EMFILE."""
    held = []
    for _ in range(100):
        try:
            held.append(connect(a.server))
        except OSError:
            break
    time.sleep(0.5)
    cpu0, t0 = a.server.cpu_seconds(), time.time()
    a.during(1)
    time.sleep(1)
    cpu = (a.server.cpu_seconds() - cpu0) / (time.time() - t0)
    release(a, held, "connections held; server CPU while out of descriptors %.0f%%" % (cpu * 100))


CASES = [
    # name, function, server mechanism, RLIMIT_NOFILE, requires served-during, requires peak RSS bound
    ("garbage_greeting", case_garbage_greeting, "null", None, True, False),
    ("truncated_greeting", case_truncated_greeting, "null", None, True, False),
    ("bad_mechanism", case_bad_mechanism, "null", None, True, False),
    ("bad_commands", case_bad_commands, "null", None, True, False),
    ("huge_length", case_huge_length, "null", None, True, True),
    ("metadata_flood", case_metadata_flood, "null", None, True, False),
    ("slow_loris", case_slow_loris, "null", None, True, False),
    ("zap_pending_flood", case_zap_pending, "plain", None, True, False),
    ("churn_rst", case_churn_rst, "null", None, True, False),
    ("out_of_fds", case_out_of_fds, "null", 64, False, False),
]


def settle_fds(server, target, timeout=5.0):
    """Descriptor count once it is back to `target` or `timeout` passed."""
    deadline = time.time() + timeout
    n = server.fds()
    while n > target and time.time() < deadline and server.alive():
        time.sleep(0.1)
        n = server.fds()
    return n


def run_case(libdir, name, fn, mech, nofile, need_during, need_peak):
    server = Server(libdir, mech, nofile)
    for _ in range(3):
        legit_request(server, mech=mech)
    time.sleep(0.2)
    fds0, rss0 = server.fds(), server.rss_mib()
    a = Attack(server, mech)
    t0 = time.time()
    error = None
    try:
        fn(a)
    except Exception as e:  # an attacker that breaks is a harness bug: show it, fail the case
        error = "%s: %s" % (type(e).__name__, e)
    a.sample()
    fds1 = settle_fds(server, fds0)
    served_after = server.alive() and all(legit_request(server, mech=mech) for _ in range(2))
    fds1 = settle_fds(server, fds0, 1.0)
    rss1 = server.rss_mib()
    crashed, hung, rc = server.stop()
    r = dict(name=name, loaded=server.loaded, during=a.served_during, after=served_after, crash=crashed,
             hang=hung, fds0=fds0, fds1=fds1, rss0=rss0, rss1=rss1, peak=a.peak_rss,
             secs=time.time() - t0, notes="; ".join(a.notes + ([error] if error else [])))
    fails = []
    if error:
        fails.append("harness error")
    if crashed:
        fails.append("crash (rc %s)" % rc)
    if hung:
        fails.append("hang")
    if need_during and not a.served_during:
        fails.append("not served during")
    if not served_after:
        fails.append("not served after")
    if fds1 > fds0:
        fails.append("fds %d -> %d" % (fds0, fds1))
    if rss1 - a.rss_baseline > RSS_BOUND_MIB:
        fails.append("RSS +%.0f MiB after" % (rss1 - a.rss_baseline))
    if need_peak and a.peak_rss - rss0 > RSS_BOUND_MIB:
        fails.append("RSS +%.0f MiB while attacked" % (a.peak_rss - rss0))
    r["fails"] = fails
    return r


def yn(v):
    return "-" if v is None else ("yes" if v else "no")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("libdir")
    ap.add_argument("--only", default="")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = ap.parse_args()
    libdir = os.path.abspath(args.libdir)
    results = []
    for name, fn, mech, nofile, need_during, need_peak in CASES:
        if args.only and not re.search(args.only, name):
            continue
        r = run_case(libdir, name, fn, mech, nofile, need_during, need_peak)
        results.append(r)
        status = "PASS" if not r["fails"] else "FAIL (%s)" % ", ".join(r["fails"])
        print("%-19s %s  served during %-3s after %-3s crash %-3s hang %-3s fds %d->%d  RSS %.1f->%.1f MiB (peak %.1f)  %.1f s%s"
              % (name, status, yn(r["during"]), yn(r["after"]), yn(r["crash"]), yn(r["hang"]), r["fds0"], r["fds1"],
                 r["rss0"], r["rss1"], r["peak"], r["secs"], ("  [" + r["notes"] + "]") if r["notes"] else ""),
              flush=True)
    if results:
        print("library loaded by the server: %s" % results[0]["loaded"])
    if args.markdown:
        print()
        print("| case | result | served during | after | crash | hang | fds before→after | RSS MiB before→after (peak) | notes |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in results:
            print("| %s | %s | %s | %s | %s | %s | %d→%d | %.1f→%.1f (%.1f) | %s |" % (
                r["name"], "pass" if not r["fails"] else "FAIL: " + ", ".join(r["fails"]), yn(r["during"]),
                yn(r["after"]), yn(r["crash"]), yn(r["hang"]), r["fds0"], r["fds1"], r["rss0"], r["rss1"], r["peak"],
                r["notes"]))
    failed = [r["name"] for r in results if r["fails"]]
    print("abuse: %d cases, %d failed%s" % (len(results), len(failed), (": " + " ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
