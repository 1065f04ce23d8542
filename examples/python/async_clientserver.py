"""async_clientserver.py - asynchronous clients and a multi-threaded server.

  CLIENTS x DEALER --tcp--> ROUTER (frontend) [zmq.proxy] DEALER (backend) --inproc--> WORKERS x DEALER

DEALER clients fire all their requests at once and then collect replies as
they come.  Each worker thread answers every request with REPLIES separate
messages, each behind the client's routing id that the ROUTER frontend put
in front of the request, so the ROUTER can route every reply back.  Each
client checks that every one of its requests got exactly REPLIES replies, in
order, and nothing else.  The proxy runs in its own thread; terminating the
context stops it and the workers.

Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
"""
import re
import threading

import zmq

import example
from example import check

CLIENTS = 3
REQUESTS = 4  # per client
REPLIES = 3  # per request
WORKERS = 2


def client(ctx, cid, endpoint, done):
    name = "client-%d" % cid
    dealer = example.socket(ctx, zmq.DEALER)
    dealer.setsockopt_string(zmq.ROUTING_ID, name)
    dealer.connect(endpoint)
    for k in range(REQUESTS):  # no waiting for replies in between
        dealer.send_string("%s req %d" % (name, k))
    got = [0] * REQUESTS
    for _ in range(REQUESTS * REPLIES):
        reply = dealer.recv_string()
        match = re.fullmatch(r"(\S+) req (\d+): reply (\d+)/\d+ from worker \d+", reply)
        check(match and match.group(1) == name and int(match.group(2)) < REQUESTS,
              "%s got a reply not meant for it: %r" % (name, reply))
        k, r = int(match.group(2)), int(match.group(3))
        check(r == got[k] + 1, "%s: request %d: expected reply %d, got %r" %
              (name, k, got[k] + 1, reply))
        got[k] = r
    example.nothing_more(dealer, name)
    print("%s: got %d replies to each of its %d requests" % (name, REPLIES, REQUESTS))
    done.append(name)
    dealer.close()


def worker(ctx, up, wid, served):
    dealer = example.socket(ctx, zmq.DEALER, timeout=-1)  # waits until ctx.term()
    dealer.connect("inproc://backend")
    up.wait()

    def serve_one():
        client_id, request = dealer.recv_multipart()
        for r in range(1, REPLIES + 1):
            reply = "%s: reply %d/%d from worker %d" % (request.decode(), r, REPLIES, wid)
            dealer.send_multipart([client_id, reply.encode()])
        served[wid] += 1

    example.serve_until_term(dealer, serve_one)


def main():
    example.start()
    ctx = zmq.Context()
    frontend = example.socket(ctx, zmq.ROUTER, timeout=-1)
    backend = example.socket(ctx, zmq.DEALER, timeout=-1)
    endpoint = example.bind_any_port(frontend)
    backend.bind("inproc://backend")
    print("server: frontend %s, backend inproc://backend" % endpoint)
    proxy = example.start_thread(example.run_proxy, frontend, backend, "server")

    served, done = [0] * WORKERS, []
    # Wait until every worker is connected: one that only started after
    # ctx.term() could not even create its socket.
    up = threading.Barrier(WORKERS + 1)
    workers = [example.start_thread(worker, ctx, up, w, served) for w in range(WORKERS)]
    up.wait()
    clients = [example.start_thread(client, ctx, c, endpoint, done) for c in range(CLIENTS)]
    for t in clients:
        t.join()
    check(len(done) == CLIENTS, "only %d clients finished" % len(done))
    ctx.term()
    for t in workers + [proxy]:
        t.join()
    print("workers served %s" % served)
    check(sum(served) == CLIENTS * REQUESTS, "workers served %d requests" % sum(served))
    print("OK: %d clients x %d requests x %d replies, all routed right" %
          (CLIENTS, REQUESTS, REPLIES))


if __name__ == "__main__":
    main()
