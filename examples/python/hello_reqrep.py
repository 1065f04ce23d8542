"""hello_reqrep.py - the simplest pattern: a REQ client and a REP server.

The server is a second process (this script, run with the argument
"server"): it binds a REP socket to a port the system picks and reports the
endpoint (example.report()), which the client reads.  The client makes ROUNDS
round trips, "Hello N" -> "World N", checking each message on both sides,
and finally that the server exited cleanly.

Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
"""
import sys

import zmq

import example
from example import check

ROUNDS = 10


def server():
    example.start("server")
    ctx = zmq.Context()
    rep = example.socket(ctx, zmq.REP, linger=1000)  # let the last reply out
    example.report(example.bind_any_port(rep))
    for i in range(ROUNDS):
        request = rep.recv_string()
        check(request == "Hello %d" % i, "server expected 'Hello %d', got %r" % (i, request))
        rep.send_string("World %d" % i)
    rep.close()
    ctx.term()


def client():
    example.start()
    child = example.spawn("server")
    endpoint = example.next_report(child, "server")
    check(endpoint.startswith("tcp://"), "server did not report its endpoint")
    print("client: server process %d bound %s" % (child.pid, endpoint))

    ctx = zmq.Context()
    req = example.socket(ctx, zmq.REQ)
    req.connect(endpoint)
    for i in range(ROUNDS):
        req.send_string("Hello %d" % i)
        reply = req.recv_string()
        check(reply == "World %d" % i, "client expected 'World %d', got %r" % (i, reply))
        print("client: sent 'Hello %d', got %r" % (i, reply))
    req.close()
    ctx.term()

    example.wait_child(child, "server")
    print("OK: %d round trips, server exited cleanly" % ROUNDS)


if __name__ == "__main__":
    server() if sys.argv[1:] == ["server"] else client()
