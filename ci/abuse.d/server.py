"""The server under attack (ci/abuse): Debian's pyzmq on whichever libzmq.so.5 the loader
finds (LD_LIBRARY_PATH=LIBDIR), so the same program runs on ours and on the reference.

A ROUTER bound to tcp://127.0.0.1:* echoes every request; "quit" makes it answer, close
and terminate its context (a server that cannot do that in time has hung). With
--mech plain it is a PLAIN server whose ZAP handler (a thread on inproc://zeromq.zap.01)
accepts the user "legit" at once and never answers anyone else, so attackers' handshakes
stay pending. Prints its endpoint and the libzmq it really loaded, then serves.
"""
import argparse
import sys
import threading

import zmq


def zap_handler(ctx, ready, stop):
    # A ROUTER, not a REP: it may leave requests unanswered and still read the next one.
    zap = ctx.socket(zmq.ROUTER)
    zap.setsockopt(zmq.LINGER, 0)
    zap.setsockopt(zmq.RCVTIMEO, 100)
    zap.bind("inproc://zeromq.zap.01")
    ready.set()
    while not stop.is_set():
        try:
            req = zap.recv_multipart()
        except zmq.Again:
            continue
        # routing id, delimiter, version, request id, domain, address, identity,
        # mechanism, credentials (PLAIN: username, password)
        rid, version, request_id, mechanism = req[0], req[2], req[3], req[7]
        user = req[8] if mechanism == b"PLAIN" and len(req) > 8 else b""
        if user == b"legit":
            zap.send_multipart([rid, b"", version, request_id, b"200", b"OK", b"legit", b""])
    zap.close(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mech", default="null", choices=["null", "plain"])
    args = ap.parse_args()

    ctx = zmq.Context()
    stop = threading.Event()
    handler = None
    if args.mech == "plain":
        ready = threading.Event()
        handler = threading.Thread(target=zap_handler, args=(ctx, ready, stop))
        handler.start()
        ready.wait()
    s = ctx.socket(zmq.ROUTER)
    s.setsockopt(zmq.LINGER, 0)
    if args.mech == "plain":
        s.setsockopt(zmq.PLAIN_SERVER, 1)
    s.bind("tcp://127.0.0.1:*")
    loaded = [l.split()[-1] for l in open("/proc/self/maps") if "libzmq.so" in l]
    print(s.getsockopt(zmq.LAST_ENDPOINT).decode(), loaded[0] if loaded else "?", flush=True)
    while True:
        frames = s.recv_multipart()
        s.send_multipart(frames)
        if frames[-1] == b"quit":
            break
    s.close(0)
    stop.set()
    if handler:
        handler.join()
    ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
